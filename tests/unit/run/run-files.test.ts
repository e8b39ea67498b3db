/** The readers and writers of a run folder's files (src/run/files/): what each gives for a good, a missing and a bad file. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LaunchRecord } from '../../../src/contracts/launch.js';
import type { RunResult } from '../../../src/contracts/result.js';
import { checkRequest, readRequest, readResult, removeResult, writeResult, writeRunRequests } from '../../../src/run/files/documents.js';
import { exitTimeOf, readExitStatus, removeExitStatus } from '../../../src/run/files/exit-status.js';
import { readLaunchRecord, removeLaunchRecord, writeLaunchRecord } from '../../../src/run/files/launch-record.js';
import * as names from '../../../src/run/files/names.js';
import { readOutputOffset, resumeOffset, writeOutputOffset } from '../../../src/run/files/output.js';
import { lastMetricValues, listArtifacts, readMetricPoints, takeTrainerSummary } from '../../../src/run/files/trainer-output.js';
import { workspacePaths } from '../../../src/workspace/paths.js';
import { baseRequest } from '../../helpers/workspace.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A workspace with one empty run folder `r1`. */
function runFolder(): { root: string; dir: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'runforge-run-files-'));
  dirs.push(root);
  const dir = path.join(root, '.ml', 'runs', 'r1');
  mkdirSync(dir, { recursive: true });
  return { root, dir };
}

describe('file names', () => {
  it('every file of a run folder, as SPEC §3 and docs/run-folder.md name them', () => {
    const d = '/w/.ml/runs/r1';
    expect([
      names.requestFileOf(d), names.resultFileOf(d), names.launchRecordFile(d), names.exitStatusFileOf(d), names.outputFile(d),
      names.outputOffsetFileOf(d), names.logsFileOf(d), names.runnerLogFileOf(d), names.metricsFileOf(d), names.trainerSummaryFileOf(d),
      names.artifactsDirOf(d), names.artifactTypesFileOf(d),
    ].map((f) => path.basename(f))).toEqual([
      'request.json', 'result.json', '.launch.json', '.exit_status', 'output.log',
      '.output-offset', 'logs.txt', 'runner.log', 'metrics.jsonl', '.trainer-summary.json',
      'artifacts', '.artifacts.jsonl',
    ]);
  });
});

describe('request.json', () => {
  const request = baseRequest();

  it('written with the run folder (a sweep), read back and checked', async () => {
    const { root } = runFolder();
    const ws = workspacePaths(root);
    await writeRunRequests(ws, [{ runId: 'r2', request: request as never }]);
    expect(readFileSync(path.join(ws.runsDir, 'r2', 'request.json'), 'utf8')).toBe(`${JSON.stringify(request, null, 2)}\n`);
    expect(await readRequest(ws, 'r2')).toEqual(request);
    expect(await checkRequest(path.join(ws.runsDir, 'r2'))).toEqual({ ok: true, value: request });
  });

  it('checkRequest: undefined without the file; the problems of an invalid one, naming the field', async () => {
    const { dir } = runFolder();
    expect(await checkRequest(dir)).toBeUndefined();
    writeFileSync(path.join(dir, 'request.json'), '{"version": 1}');
    const checked = await checkRequest(dir);
    expect(checked?.ok).toBe(false);
    expect(checked?.ok === false && checked.problems.join('\n')).toMatch(/dataset/);
    writeFileSync(path.join(dir, 'request.json'), '{"version": 1,');
    expect(await checkRequest(dir)).toEqual({ ok: false, problems: [expect.stringMatching(/^invalid JSON/)] });
  });
});

describe('result.json', () => {
  it('writeResult writes what readResult reads, formatted as every RunForge file; removeResult removes it', async () => {
    const { root, dir } = runFolder();
    const result: RunResult = { version: 1, status: 'failed', duration_ms: 5, job_id: 'j1', error: { message: 'boom', type: 'X' } };
    await writeResult(dir, result);
    expect(readFileSync(path.join(dir, 'result.json'), 'utf8')).toBe(`${JSON.stringify(result, null, 2)}\n`);
    expect(await readResult(workspacePaths(root), 'r1')).toEqual(result);
    removeResult(dir);
    expect(existsSync(path.join(dir, 'result.json'))).toBe(false);
    expect(await readResult(workspacePaths(root), 'r1')).toBeUndefined();
  });

  it('a corrupt result.json is an error naming the file', async () => {
    const { root, dir } = runFolder();
    writeFileSync(path.join(dir, 'result.json'), '{"version": 1, "status": "maybe"');
    await expect(readResult(workspacePaths(root), 'r1')).rejects.toThrow(/\.ml\/runs\/r1\/result\.json/);
  });

  it('writeResult rejects when the run folder is gone (the caller decides what then)', async () => {
    const { dir } = runFolder();
    rmSync(dir, { recursive: true });
    await expect(writeResult(dir, { version: 1, status: 'succeeded', duration_ms: 0 })).rejects.toThrow(/ENOENT/);
  });
});

describe('.launch.json', () => {
  const record: LaunchRecord = { job_id: 'j1', started_ms: 1000, name: null, mode: 'trainer', program: 'python3', effective_config: { seed: 1 } };

  it('is read back as written, and removed', () => {
    const { dir } = runFolder();
    writeLaunchRecord(dir, record);
    expect(readLaunchRecord(dir)).toEqual(record);
    removeLaunchRecord(dir);
    expect(readLaunchRecord(dir)).toBeUndefined();
  });

  it.each([['cut short', '{"job_id": "j1", "sta'], ['not a launch record', '{"job_id": 3}'], ['empty', '']])('%s: none (the run is treated as started by an older version)', (_n, text) => {
    const { dir } = runFolder();
    writeFileSync(path.join(dir, '.launch.json'), text);
    expect(readLaunchRecord(dir)).toBeUndefined();
  });
});

describe('.exit_status', () => {
  it('a number or the warm worker JSON; none when missing or cut short; removed', () => {
    const { dir } = runFolder();
    expect(readExitStatus(dir)).toBeUndefined();
    writeFileSync(path.join(dir, '.exit_status'), '137\n');
    expect(readExitStatus(dir)).toEqual({ exitCode: null, signal: 'SIGKILL' });
    writeFileSync(path.join(dir, '.exit_status'), '{"pid":9,"exit_code":0,"signal":null}');
    expect(readExitStatus(dir)).toEqual({ pid: 9, exitCode: 0, signal: null });
    writeFileSync(path.join(dir, '.exit_status'), '{"pid":9,"exit');
    expect(readExitStatus(dir)).toBeUndefined();
    removeExitStatus(dir);
    expect(existsSync(path.join(dir, '.exit_status'))).toBe(false);
  });

  it("exitTimeOf: the file's mtime, clamped to [started, now]; undefined without the file", () => {
    const { dir } = runFolder();
    const file = names.exitStatusFileOf(dir);
    expect(exitTimeOf(file, 0, Date.now())).toBeUndefined();
    writeFileSync(file, '0\n');
    utimesSync(file, 5000, 5000); // seconds
    expect(exitTimeOf(file, 1_000_000, 9_000_000)).toBe(5_000_000);
    expect(exitTimeOf(file, 6_000_000, 9_000_000)).toBe(6_000_000);
    expect(exitTimeOf(file, 1_000_000, 2_000_000)).toBe(2_000_000);
  });
});

describe('.output-offset', () => {
  it('written as "<from> <to> <logSize>" and read back', () => {
    const { dir } = runFolder();
    writeOutputOffset(dir, { from: 2, to: 6, logSize: 40 });
    expect(readFileSync(path.join(dir, '.output-offset'), 'utf8')).toBe('2 6 40');
    expect(readOutputOffset(dir)).toEqual({ from: 2, to: 6, logSize: 40 });
  });

  it('resumes at `to` once logs.txt grew past logSize, at `from` if not; one number is the offset', () => {
    const { dir } = runFolder();
    const logs = path.join(dir, 'logs.txt');
    writeFileSync(logs, 'x'.repeat(40));
    writeOutputOffset(dir, { from: 2, to: 6, logSize: 40 });
    expect(resumeOffset(dir, logs)).toBe(2);
    writeFileSync(logs, 'x'.repeat(41));
    expect(resumeOffset(dir, logs)).toBe(6);
    writeFileSync(path.join(dir, '.output-offset'), '7\n');
    expect(resumeOffset(dir, logs)).toBe(7);
  });

  it.each([['missing', undefined], ['a word', 'abc'], ['cut short', '2 6'], ['empty', '']])('%s: copying starts over at 0', (_n, text) => {
    const { dir } = runFolder();
    if (text !== undefined) writeFileSync(path.join(dir, '.output-offset'), text);
    expect(readOutputOffset(dir)).toBeUndefined();
    expect(resumeOffset(dir, path.join(dir, 'logs.txt'))).toBe(0);
  });
});

describe('metrics.jsonl', () => {
  it('the points in order; a blank, cut-short or non-point line is skipped; the last value of each metric', async () => {
    const { dir } = runFolder();
    writeFileSync(
      path.join(dir, 'metrics.jsonl'),
      [
        '{"step": 1, "name": "loss", "value": 0.9, "time": 1.5}',
        '',
        '{"step": 2, "name": "loss", "value": 0.4, "time": 2.5, "epoch": 1}',
        '{"name": "accuracy", "value": 0.8}',
        '{"step": 3, "name": "loss", "value": "low"}',
        '[1, 2]',
        '{"step": 4, "name": "loss", "va',
      ].join('\n'),
    );
    expect(await readMetricPoints(dir)).toEqual([
      { step: 1, name: 'loss', value: 0.9, time: 1.5 },
      { step: 2, name: 'loss', value: 0.4, time: 2.5, epoch: 1 },
      { name: 'accuracy', value: 0.8 },
    ]);
    expect(await lastMetricValues(dir)).toEqual({ loss: 0.4, accuracy: 0.8 });
  });

  it('none without the file', async () => {
    const { dir } = runFolder();
    expect(await readMetricPoints(dir)).toEqual([]);
    expect(await lastMetricValues(dir)).toEqual({});
  });
});

describe('.trainer-summary.json', () => {
  it('is taken: read and removed', () => {
    const { dir } = runFolder();
    const summary = { metrics: { accuracy: 0.9 }, primary_metric: { name: 'accuracy', value: 0.9 }, rows: 150 };
    writeFileSync(path.join(dir, '.trainer-summary.json'), JSON.stringify(summary));
    expect(takeTrainerSummary(dir)).toEqual(summary);
    expect(existsSync(path.join(dir, '.trainer-summary.json'))).toBe(false);
    expect(takeTrainerSummary(dir)).toBeUndefined();
  });

  it.each([['cut short', '{"metrics": {"accuracy": 0.'], ['not a summary', '{"metrics": {"accuracy": "high"}}'], ['null', 'null'], ['empty', '']])(
    '%s: none (the run failed without a summary), and the file is removed',
    (_n, text) => {
      const { dir } = runFolder();
      writeFileSync(path.join(dir, '.trainer-summary.json'), text);
      expect(takeTrainerSummary(dir)).toBeUndefined();
      expect(existsSync(path.join(dir, '.trainer-summary.json'))).toBe(false);
    },
  );
});

describe('artifacts/', () => {
  it('its files by name, typed by their names, folders left out; [] without the folder', () => {
    const { dir } = runFolder();
    expect(listArtifacts(dir)).toEqual([]);
    mkdirSync(path.join(dir, 'artifacts', 'sub'), { recursive: true });
    for (const name of ['model.pt', 'metrics.json', 'label_encoder.pkl', 'x.ckpt', 'notes.txt', 'data.csv', 'encoder.json']) {
      writeFileSync(path.join(dir, 'artifacts', name), 'ab');
    }
    expect(listArtifacts(dir)).toEqual([
      { path: 'artifacts/data.csv', type: 'other', bytes: 2 },
      { path: 'artifacts/encoder.json', type: 'encoder', bytes: 2 },
      { path: 'artifacts/label_encoder.pkl', type: 'model', bytes: 2 },
      { path: 'artifacts/metrics.json', type: 'metrics', bytes: 2 },
      { path: 'artifacts/model.pt', type: 'model', bytes: 2 },
      { path: 'artifacts/notes.txt', type: 'log', bytes: 2 },
      { path: 'artifacts/x.ckpt', type: 'checkpoint', bytes: 2 },
    ]);
  });

  it('the type the program recorded (.artifacts.jsonl) wins over the name; the last line of a path; bad lines skipped', () => {
    const { dir } = runFolder();
    mkdirSync(path.join(dir, 'artifacts'));
    for (const name of ['best.bin', 'curve.png', 'model.pt']) writeFileSync(path.join(dir, 'artifacts', name), 'abc');
    writeFileSync(
      path.join(dir, '.artifacts.jsonl'),
      [
        '{"path": "artifacts/best.bin", "type": "other"}',
        '{"path": "artifacts/best.bin", "type": "checkpoint"}',
        '{"path": "artifacts/curve.png", "type": "plot"}',
        '{"path": "artifacts/model.pt", "type": ""}',
        '{"path": "artifacts/gone.pt", "type": "model"}',
        '{"path": "artifacts/model.pt", "ty',
      ].join('\n'),
    );
    expect(listArtifacts(dir)).toEqual([
      { path: 'artifacts/best.bin', type: 'checkpoint', bytes: 3 },
      { path: 'artifacts/curve.png', type: 'plot', bytes: 3 },
      { path: 'artifacts/model.pt', type: 'model', bytes: 3 },
    ]);
  });
});
