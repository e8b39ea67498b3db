/** updateState's own work per update: one parse, one serialisation, and no stale in-process copy. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../../src/infra/clock.js';
import { makeJob } from '../../../src/queue/jobs.js';
import { workspacePaths } from '../../../src/workspace/paths.js';
import { updateState } from '../../../src/workspace/store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function workspace() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runforge-store-'));
  dirs.push(dir);
  return workspacePaths(dir);
}
const clock = new TestClock(Date.UTC(2026, 0, 1));
const addJob = (runId: string) => (tx: Parameters<Parameters<typeof updateState>[2]>[0]) => {
  tx.queue.jobs.push(makeJob({ jobId: tx.newJobId(), runId, groupId: null, priority: 0, requiresGpu: false, attempt: 1, createdAt: tx.now }));
};
const runIds = (file: string): string[] => (JSON.parse(readFileSync(file, 'utf8')) as { jobs: { run_id: string }[] }).jobs.map((j) => j.run_id);

describe('updateState', () => {
  it('an update that changes nothing does not rewrite queue.json', async () => {
    const ws = workspace();
    await updateState(ws, clock, addJob('a'));
    const before = readFileSync(ws.queueFile, 'utf8');
    writeFileSync(ws.queueFile, before); // a new mtime, the same bytes
    await updateState(ws, clock, () => undefined);
    expect(readFileSync(ws.queueFile, 'utf8')).toBe(before);
  });

  it('sees a queue.json another process wrote since, even of the same size', async () => {
    const ws = workspace();
    await updateState(ws, clock, addJob('a'));
    const text = readFileSync(ws.queueFile, 'utf8');
    writeFileSync(ws.queueFile, text.replace('"run_id": "a"', '"run_id": "b"'));
    await updateState(ws, clock, addJob('c'));
    expect(runIds(ws.queueFile)).toEqual(['b', 'c']);
  });

  it('an update that throws after changing the queue leaves no trace, on disk or in memory', async () => {
    const ws = workspace();
    await updateState(ws, clock, addJob('a'));
    await expect(
      updateState(ws, clock, (tx) => {
        addJob('lost')(tx);
        tx.queue.jobs[0]!.state = 'failed';
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await updateState(ws, clock, addJob('b'));
    const jobs = JSON.parse(readFileSync(ws.queueFile, 'utf8')).jobs as { run_id: string; state: string }[];
    expect(jobs.map((j) => [j.run_id, j.state])).toEqual([
      ['a', 'queued'],
      ['b', 'queued'],
    ]);
  });

  it('a corrupt queue.json is still reported after this process wrote it', async () => {
    const ws = workspace();
    await updateState(ws, clock, addJob('a'));
    writeFileSync(ws.queueFile, '{"version": 1');
    await expect(updateState(ws, clock, addJob('b'))).rejects.toThrow(/queue\.json is corrupt/);
    expect(readFileSync(ws.queueFile, 'utf8')).toBe('{"version": 1');
  });
});
