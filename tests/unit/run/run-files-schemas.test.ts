/**
 * The schemas of a run folder's helper files (contracts/run-files.ts) accept what their writers write,
 * and the zod-free exit-status check that status commands run agrees with the zod schema.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ArtifactTypeLineSchema, ExitStatusFileSchema, MetricPointSchema, OutputOffsetSchema, TrainerSummarySchema } from '../../../src/contracts/run-files.js';
import { WarmExitStatusSchema } from '../../../src/contracts/warm-worker.js';
import { isWarmExitStatus, readExitFile } from '../../../src/process/exit-status.js';
import { recordExitStatus } from '../../../src/process/pooled-shell.js';
import { PYTHON_DIR } from '../../../src/python-env/find-python.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'runforge-run-files-schemas-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a Python snippet with the repository's python/ folder importable. */
const python = (code: string, args: string[] = [], env: Record<string, string> = {}): void => {
  execFileSync('python3', ['-c', code, ...args], { env: { ...process.env, PYTHONPATH: PYTHON_DIR, ...env }, stdio: 'pipe', timeout: 60_000 });
};

describe('exit status: the fast check and the zod schema agree', () => {
  const values: [string, unknown][] = [
    ['a code', { pid: 7, exit_code: 0, signal: null }],
    ['a signal', { pid: 7, exit_code: null, signal: 'SIGKILL' }],
    ['extra fields kept', { pid: 7, exit_code: 1, signal: null, note: 'x' }],
    ['pid 0', { pid: 0, exit_code: 0, signal: null }],
    ['negative pid', { pid: -3, exit_code: 0, signal: null }],
    ['fractional pid', { pid: 1.5, exit_code: 0, signal: null }],
    ['pid as text', { pid: '7', exit_code: 0, signal: null }],
    ['no pid', { exit_code: 0, signal: null }],
    ['fractional exit code', { pid: 7, exit_code: 0.5, signal: null }],
    ['exit code as text', { pid: 7, exit_code: '0', signal: null }],
    ['no exit code', { pid: 7, signal: null }],
    ['no signal', { pid: 7, exit_code: 0 }],
    ['signal as number', { pid: 7, exit_code: null, signal: 9 }],
    ['unsafe pid', { pid: 2 ** 60, exit_code: 0, signal: null }],
    ['an array', [7, 0, null]],
    ['null', null],
    ['a number', 0],
    ['a string', 'SIGTERM'],
  ];
  it.each(values)('%s', (_name, value) => {
    expect(isWarmExitStatus(value)).toBe(WarmExitStatusSchema.safeParse(value).success);
  });

  const texts: [string, string][] = [
    ['shell: 0', '0\n'],
    ['shell: 143', '143\n'],
    ['shell: spaces around', '  3  '],
    ['shell: negative', '-1\n'],
    ['shell: a fraction', '1.5\n'],
    ['shell: exponent', '1e2\n'],
    ['warm worker', '{"pid":7,"exit_code":1,"signal":null}'],
    ['warm worker, a signal', '{"pid":7,"exit_code":null,"signal":"SIGTERM"}\n'],
    ['warm worker, no pid', '{"exit_code":"0"}'],
    ['cut short', '{"pid":7,"exit_'],
    ['empty', ''],
    ['a word', 'done'],
    ['JSON number in quotes', '"0"'],
  ];
  it.each(texts)('the file read by readExitFile and by ExitStatusFileSchema: %s', (name, text) => {
    const file = path.join(dir, `exit-${name.replace(/\W+/g, '-')}`);
    writeFileSync(file, text);
    expect(readExitFile(file) !== undefined).toBe(ExitStatusFileSchema.safeParse(text).success);
  });
});

describe('the schemas accept what the writers write', () => {
  it("the sh wrapper's exit status", () => {
    const file = path.join(dir, 'sh-exit');
    expect(spawnSync('/bin/sh', ['-c', `(exit 3); ${recordExitStatus(`'${file}'`)}`], { stdio: 'ignore' }).status).toBe(3);
    expect(ExitStatusFileSchema.safeParse(readFileSync(file, 'utf8')).data).toBe(3);
  }, 30_000);

  it('metrics.jsonl points of the trainer and of the helper', () => {
    const runDir = mkdtempSync(path.join(dir, 'metrics-'));
    python(
      'from runforge_trainer.tokens import MetricsWriter; import runforge_helper as rf, os; ' +
        'w = MetricsWriter(os.path.join(os.environ["RUNFORGE_RUN_DIR"], "metrics.jsonl")); ' +
        'w.point("accuracy", 0.9, step=1); w.point("loss", 0.5, step=2, epoch_index=1); ' +
        'rf.metric("f1", 0.7); rf.metric("loss", 0.25, step=5, epoch=2); ' +
        'import runforge; runforge.log_metrics({"a": 1, "b": 2}); runforge.summary(f1=0.75)',
      [],
      { RUNFORGE_RUN_DIR: runDir },
    );
    const lines = readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(7);
    for (const line of lines) expect(MetricPointSchema.safeParse(JSON.parse(line)).error).toBeUndefined();
  }, 60_000);

  it("the artifact types runforge.artifact records", () => {
    const runDir = mkdtempSync(path.join(dir, 'artifacts-'));
    writeFileSync(path.join(runDir, 'model.pt'), 'w');
    python(
      'import os, runforge; d = os.environ["RUNFORGE_RUN_DIR"]; ' +
        'runforge.artifact(os.path.join(d, "model.pt"), type="model"); runforge.artifact(os.path.join(d, "model.pt"))',
      [],
      { RUNFORGE_RUN_DIR: runDir },
    );
    const lines = readFileSync(path.join(runDir, '.artifacts.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((line) => ArtifactTypeLineSchema.parse(JSON.parse(line)))).toEqual([
      { path: 'artifacts/model.pt', type: 'model' },
      { path: 'artifacts/model.pt', type: 'other' },
    ]);
  }, 60_000);

  it("the trainer's summaries: a trained one and an error", () => {
    const ok = path.join(dir, 'summary-ok.json');
    const failed = path.join(dir, 'summary-failed.json');
    python(
      'import sys; from runforge_trainer.__main__ import write_summary; ' +
        'write_summary(sys.argv[1], {"metrics": {"accuracy": 0.9, "f1": 0.8}, "primary_metric": {"name": "accuracy", "value": 0.9}, ' +
        '"artifacts": [{"path": "artifacts/model.pkl", "type": "model", "bytes": 10}], "classes": ["a", "b"], "rows": 150}); ' +
        'write_summary(sys.argv[2], {"error": {"message": "boom", "type": "ValueError", "traceback": "Traceback ..."}})',
      [ok, failed],
    );
    for (const file of [ok, failed]) expect(TrainerSummarySchema.safeParse(JSON.parse(readFileSync(file, 'utf8'))).error).toBeUndefined();
    expect(TrainerSummarySchema.safeParse({ metrics: { accuracy: 'high' } }).success).toBe(false);
  }, 60_000);

  it.each([
    ['three numbers', '2 6 40', { from: 2, to: 6, logSize: 40 }],
    ['one number (earlier builds)', '2\n', { from: 2, to: 2, logSize: undefined }],
    ['two numbers', '2 6', undefined],
    ['a word', 'abc', undefined],
    ['negative', '-1 2 3', undefined],
    ['empty', '', undefined],
  ])('the output offset: %s', (_name, text, expected) => {
    const parsed = OutputOffsetSchema.safeParse(text);
    expect(parsed.success ? parsed.data : undefined).toEqual(expected);
  });
});
