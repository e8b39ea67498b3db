/**
 * examples/digits/train.py (issue 16, "Show it"): the PyTorch example run the way the README and
 * examples/README.md show it — queued from the repository's folder with the built CLI (`runforge add`,
 * the one-line `enqueue-sweep --grid … -- <command>`), trained by a daemon, its metrics and artifact
 * in the run folder.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { allDone, startDaemon, waitFor } from '../helpers/daemon.js';
import { readJson, tempWorkspace } from '../helpers/workspace.js';

const SCRIPT = path.join('examples', 'digits', 'train.py');

/**
 * A Python with torch and scikit-learn (the example's needs): RUNFORGE_PYTHON, Debian's, or the one on
 * PATH. Failing, not skipping, without one: setup.sh installs them, and a skipped example proves nothing.
 */
function trainingPython(): string {
  const candidates = [process.env.RUNFORGE_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p);
  const found = candidates.find((py) => spawnSync(py, ['-c', 'import torch, sklearn'], { stdio: 'ignore' }).status === 0);
  if (!found) throw new Error(`no Python with torch and scikit-learn among ${candidates.join(', ')} (bash scripts/setup.sh installs them)`);
  return found;
}

interface Point {
  step?: number;
  epoch?: number;
  name: string;
  value: number;
}
const runDir = (ws: string, runId: string): string => path.join(ws, '.ml', 'runs', runId);
const metricsOf = (ws: string, runId: string): Point[] =>
  readFileSync(path.join(runDir(ws, runId), 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Point);

/** The run trained the example: succeeded, `epochs` points of each metric, plausible accuracy, a model. */
function expectTrained(ws: string, runId: string, epochs: number): Record<string, any> {
  const result = readJson(path.join(runDir(ws, runId), 'result.json'));
  expect(result, JSON.stringify(result.error)).toMatchObject({ status: 'succeeded', exit_code: 0 });
  const points = metricsOf(ws, runId);
  for (const name of ['train_loss', 'val_loss', 'val_accuracy']) {
    const perEpoch = points.filter((p) => p.name === name && p.step !== undefined);
    expect(perEpoch.map((p) => [p.step, p.epoch])).toEqual(Array.from({ length: epochs }, (_, i) => [i + 1, i + 1]));
  }
  // Ten classes: chance is 0.1; a couple of epochs of this MLP land near 0.9.
  const accuracy = result.summary.metrics.accuracy as number;
  expect(accuracy).toBeGreaterThan(0.5);
  expect(accuracy).toBe(points.filter((p) => p.name === 'val_accuracy').at(-1)!.value);
  expect(result.summary.primary_metric).toEqual({ name: 'accuracy', value: accuracy, goal: 'maximize' });
  expect(result.artifacts).toEqual([expect.objectContaining({ path: 'artifacts/model.pt', type: 'model' })]);
  expect(result.artifacts[0].bytes).toBeGreaterThan(1000);
  return result;
}

describe('examples/digits/train.py', () => {
  it('runforge add queues it from the repository folder; a daemon trains it on the CPU and it reports per epoch', async () => {
    const ws = tempWorkspace();
    const python = trainingPython();
    const r = await runCli(['add', '-w', ws, '--name', 'digits', '--', python, SCRIPT, '--epochs', '2', '--lr', '0.01', '--hidden', '32'], { cwd: REPO_ROOT });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const runId = /^Enqueued run (\S+) as job \S+$/.exec(r.lines[0]!)![1]!;

    const d = startDaemon(ws, ['--max-parallel', '1']);
    const [job] = await waitFor('the run ended', allDone(ws, 1), 180_000, 250);
    d.kill();
    expect(job.state).toBe('succeeded');
    const result = expectTrained(ws, runId, 2);
    expect(result.effective_config.command).toEqual([python, SCRIPT, '--epochs', '2', '--lr', '0.01', '--hidden', '32']);
    // Its own log line says what it trained with and where: the arguments reached it, the device is RunForge's.
    const logs = readFileSync(path.join(runDir(ws, runId), 'logs.txt'), 'utf8');
    expect(logs).toContain('on cpu; lr=0.01 hidden=32 epochs=2');
    expect(logs).toContain('[RF:EPOCH=2/2]');
  }, 240_000);

  it('the one-line sweep over its arguments: each run trains with its own values, ranked by accuracy', async () => {
    const ws = tempWorkspace();
    const python = trainingPython();
    const command = [python, SCRIPT, '--lr', '{lr}', '--hidden', '{hidden}', '--epochs', '2'];
    const r = await runCli(['enqueue-sweep', '-w', ws, '--grid', 'lr=0.1,0.01', '--grid', 'hidden=32', '--', ...command], { cwd: REPO_ROOT });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const groupId = /^\[RF:GROUP=ENQUEUED (\S+) runs=2\]$/m.exec(r.stdout)![1]!;

    const d = startDaemon(ws, ['--max-parallel', '2']);
    const jobs = await waitFor('both runs ended', allDone(ws, 2), 240_000, 250);
    d.kill();
    expect(jobs.map((j: { state: string }) => j.state)).toEqual(['succeeded', 'succeeded']);
    const byLr = new Map<string, string>();
    for (const { run_id: runId } of jobs as { run_id: string }[]) {
      const result = expectTrained(ws, runId, 2);
      const lr = result.effective_config.command[3] as string;
      byLr.set(lr, runId);
      expect(result.effective_config.command).toEqual([python, SCRIPT, '--lr', lr, '--hidden', '32', '--epochs', '2']);
      expect(readFileSync(path.join(runDir(ws, runId), 'logs.txt'), 'utf8')).toContain(`on cpu; lr=${lr} hidden=32 epochs=2`);
    }
    expect([...byLr.keys()].sort()).toEqual(['0.01', '0.1']);

    const board = await runCli(['groups', 'show', groupId, '-w', ws]);
    expect(board.code).toBe(0);
    expect(board.stdout).toContain('Ranked by accuracy (higher is better)');
  }, 300_000);
});
