import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../../src/infra/clock.js';
import { OutputTail } from '../../../src/run/output-tail.js';
import { outputFile } from '../../../src/run/files/names.js';
import { RunLog } from '../../../src/run/run-log.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function runFolder(): { dir: string; clock: TestClock; log: RunLog; logText: () => string[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runforge-tail-'));
  dirs.push(dir);
  const clock = new TestClock(Date.UTC(2026, 10, 25, 8, 0, 0));
  const log = new RunLog(path.join(dir, 'logs.txt'), clock);
  const logText = (): string[] => (existsSync(path.join(dir, 'logs.txt')) ? readFileSync(path.join(dir, 'logs.txt'), 'utf8').split('\n').slice(0, -1) : []);
  return { dir, clock, log, logText };
}

describe('OutputTail', () => {
  it('copies whole lines as they come, timestamped, tokens verbatim; the last partial line only at the end', () => {
    const { dir, clock, log, logText } = runFolder();
    const tail = OutputTail.start(dir, log, clock);
    appendFileSync(outputFile(dir), 'first\n[RF:EPOCH=1/3]\nhalf a li');
    clock.tick(250);
    expect(logText()).toEqual(['[2026-11-25 08:00:00] first', '[RF:EPOCH=1/3]']);
    appendFileSync(outputFile(dir), 'ne\nno newline at the end');
    clock.tick(250);
    expect(logText()).toEqual(['[2026-11-25 08:00:00] first', '[RF:EPOCH=1/3]', '[2026-11-25 08:00:00] half a line']);
    tail.close();
    expect(logText().at(-1)).toBe('[2026-11-25 08:00:00] no newline at the end');
    // logs.txt has everything now: the raw output and the offset are gone.
    expect(existsSync(outputFile(dir))).toBe(false);
    expect(existsSync(path.join(dir, '.output-offset'))).toBe(false);
  });

  it('a later daemon resumes from the copied length: no line twice, none lost', () => {
    const { dir, clock, log, logText } = runFolder();
    const first = OutputTail.start(dir, log, clock);
    appendFileSync(outputFile(dir), 'a\nb\n');
    clock.tick(250);
    first.detach(); // the daemon dies
    appendFileSync(outputFile(dir), 'c\nd\n');
    const next = OutputTail.resume(dir, new RunLog(path.join(dir, 'logs.txt'), clock), clock);
    next.close();
    expect(logText().map((l) => l.replace(/^\[[^\]]+\] /, ''))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a daemon killed while it copies: the piece it was appending is copied once, whether or not it got into logs.txt', () => {
    for (const appended of [false, true]) {
      const { dir, clock, log, logText } = runFolder();
      const first = OutputTail.start(dir, log, clock);
      appendFileSync(outputFile(dir), 'a\n');
      clock.tick(250);
      first.detach();
      appendFileSync(outputFile(dir), 'b\nc\n');
      // What the killed daemon left: the piece "b\nc\n" recorded as being copied, and appended or not.
      const logSize = readFileSync(path.join(dir, 'logs.txt')).length;
      writeFileSync(path.join(dir, '.output-offset'), `2 6 ${logSize}`);
      if (appended) new RunLog(path.join(dir, 'logs.txt'), clock).output('b\nc\n');
      OutputTail.resume(dir, new RunLog(path.join(dir, 'logs.txt'), clock), clock).close();
      expect(logText().map((l) => l.replace(/^\[[^\]]+\] /, '')), `appended: ${appended}`).toEqual(['a', 'b', 'c']);
    }
  });

  it('an offset file of one number (as earlier builds wrote it) is the offset', () => {
    const { dir, clock, logText } = runFolder();
    appendFileSync(outputFile(dir), 'a\nb\n');
    writeFileSync(path.join(dir, '.output-offset'), '2');
    OutputTail.resume(dir, new RunLog(path.join(dir, 'logs.txt'), clock), clock).close();
    expect(logText().map((l) => l.replace(/^\[[^\]]+\] /, ''))).toEqual(['b']);
  });

  it('a new attempt starts from an empty output.log', () => {
    const { dir, clock, log, logText } = runFolder();
    appendFileSync(outputFile(dir), 'left by an earlier attempt\n');
    OutputTail.start(dir, log, clock).close();
    expect(logText()).toEqual([]);
  });
});
