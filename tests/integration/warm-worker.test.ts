/**
 * The warm worker client against the real Python worker: a forked run trains, the worker closes when
 * idle and starts again on the next fork, a worker that cannot start rejects with a readable line, and
 * runs outlive a worker that dies.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/process/identity.js';
import { findTrainerPython, PYTHON_DIR } from '../../src/python-env/find-python.js';
import { WarmWorker, type WarmRunSpec } from '../../src/executor/local/warm-worker.js';
import { workspacePaths } from '../../src/workspace/paths.js';
import { tempWorkspace, writeDataset } from '../helpers/workspace.js';

const workers: WarmWorker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close()));
});

async function trainerPython(ws: string): Promise<string> {
  return findTrainerPython(workspacePaths(ws), process.env, false);
}

function newWorker(ws: string, python: string, extra: Partial<ConstructorParameters<typeof WarmWorker>[0]> = {}): WarmWorker {
  const w = new WarmWorker({ python, logFile: path.join(ws, 'worker.log'), ...extra });
  workers.push(w);
  return w;
}

function runSpec(ws: string, id: string, argv: string[]): WarmRunSpec {
  const dir = path.join(ws, 'runs', id);
  mkdirSync(dir, { recursive: true });
  return {
    id,
    argv,
    env: { ...process.env, PYTHONPATH: PYTHON_DIR, PYTHONUNBUFFERED: '1' },
    cwd: ws,
    outputFile: path.join(dir, 'output.txt'),
    exitStatusFile: path.join(dir, 'exit-status.json'),
  };
}

/** A dataset path that is a FIFO: the trainer blocks reading it until the test writes the CSV into it. */
function gatedDataset(ws: string, name: string): string {
  const fifo = path.join(ws, name);
  execFileSync('mkfifo', [fifo]);
  return fifo;
}

function trainerArgv(ws: string, id: string, dataset = path.join(ws, 'data', 'train.csv')): string[] {
  const runDir = path.join(ws, 'runs', id);
  mkdirSync(runDir, { recursive: true });
  const config = {
    family: 'logistic_regression',
    hyperparameters: { max_iter: 1000, random_state: 42 },
    dataset_path: dataset,
    label_column: 'target',
    seed: 42,
    device: 'cpu',
    run_dir: runDir,
    max_rows: null,
    test_size: 0.2,
  };
  return ['--config', JSON.stringify(config), '--summary-out', path.join(runDir, 'summary.json')];
}

const readJson = (file: string): any => JSON.parse(readFileSync(file, 'utf8'));

describe('warm worker client', () => {
  it('forks a run that trains a logistic regression and reports its exit', async () => {
    const ws = tempWorkspace();
    writeDataset(ws);
    const worker = newWorker(ws, await trainerPython(ws));
    const spec = runSpec(ws, 'lr', trainerArgv(ws, 'lr'));
    const run = await worker.fork(spec);
    expect(run.pgid).toBe(run.pid);
    expect(run.pid).not.toBe(worker.workerPid);
    expect(await run.exited).toEqual({ exitCode: 0, signal: null });
    const summary = readJson(path.join(ws, 'runs', 'lr', 'summary.json'));
    expect(summary.primary_metric.name).toBe('accuracy');
    expect(existsSync(path.join(ws, 'runs', 'lr', 'artifacts', 'model.pkl'))).toBe(true);
    expect(readJson(spec.exitStatusFile)).toEqual({ pid: run.pid, exit_code: 0, signal: null });
    expect(readFileSync(spec.outputFile, 'utf8')).toContain('[RF:STAGE=WRITING_ARTIFACTS]');

    // A usage error exits 2, as `python -m runforge_trainer` does; the worker carries on.
    const bad = await worker.fork(runSpec(ws, 'usage', ['--config', '{}']));
    expect(await bad.exited).toEqual({ exitCode: 2, signal: null });
  });

  it('a run killed through its process group reports the signal; the worker carries on', async () => {
    const ws = tempWorkspace();
    writeDataset(ws);
    const worker = newWorker(ws, await trainerPython(ws));
    const run = await worker.fork(runSpec(ws, 'gated', trainerArgv(ws, 'gated', gatedDataset(ws, 'gate'))));
    process.kill(-run.pgid, 'SIGTERM');
    expect(await run.exited).toEqual({ exitCode: null, signal: 'SIGTERM' });
    const next = await worker.fork(runSpec(ws, 'next', ['--help']));
    expect(await next.exited).toEqual({ exitCode: 0, signal: null });
  });

  it('closes the worker when idle and starts a new one on the next fork', async () => {
    const ws = tempWorkspace();
    const worker = newWorker(ws, await trainerPython(ws), { idleMs: 200 });
    const exits: string[] = [];
    worker.on('worker:exit', (e) => exits.push(e.reason));
    const first = await worker.fork(runSpec(ws, 'a', ['--help']));
    const firstWorker = worker.workerPid!;
    expect(await first.exited).toEqual({ exitCode: 0, signal: null });
    if (worker.workerPid !== undefined) await once(worker, 'worker:exit');
    expect(exits).toEqual(['idle']);
    expect(isAlive(firstWorker)).toBe(false);

    const second = await worker.fork(runSpec(ws, 'b', ['--help']));
    expect(worker.workerPid).not.toBe(firstWorker);
    expect(await second.exited).toEqual({ exitCode: 0, signal: null });
    expect(readFileSync(path.join(ws, 'runs', 'b', 'output.txt'), 'utf8')).toContain('usage: runforge_trainer');
  });

  it('a Python without pandas and scikit-learn rejects fork with one line that says why', async () => {
    const ws = tempWorkspace();
    // Stands in for a bare Python (the pyenv python3 here has numpy only): pandas cannot be imported.
    const fake = path.join(ws, 'bare-python');
    writeFileSync(
      fake,
      `#!/bin/sh\nexec ${await trainerPython(ws)} -c "import sys; sys.modules['pandas'] = None; sys.argv[1:] = sys.argv[3:]; from runforge_trainer.worker import main; sys.exit(main())" "$@"\n`,
    );
    chmodSync(fake, 0o755);
    const worker = newWorker(ws, fake);
    const error = await worker.fork(runSpec(ws, 'a', ['--help'])).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(`The warm worker (${fake}) could not start: cannot import pandas: ModuleNotFoundError: import of pandas halted; None in sys.modules`);
    // Until retryAfterMs passes, the next fork fails at once with the same error (cold start then).
    await expect(worker.fork(runSpec(ws, 'b', ['--help']))).rejects.toBe(error);
  });

  it('a worker that crashes before it is ready, or cannot be run at all, is named in the error', async () => {
    const ws = tempWorkspace();
    const crashing = path.join(ws, 'crashing-python');
    writeFileSync(crashing, '#!/bin/sh\necho "Segmentation fault (pretend)" >&2\nexit 139\n');
    chmodSync(crashing, 0o755);
    await expect(newWorker(ws, crashing).fork(runSpec(ws, 'a', []))).rejects.toThrow(
      `The warm worker (${crashing}) could not start: it exited with code 139 before it was ready (last log line: Segmentation fault (pretend))`,
    );
    await expect(newWorker(ws, '/no/such/python3').fork(runSpec(ws, 'a', []))).rejects.toThrow(
      'The warm worker (/no/such/python3) could not start: spawn /no/such/python3 ENOENT',
    );
  });

  it("runs outlive a worker that dies, and their exited still settle", async () => {
    const ws = tempWorkspace();
    writeDataset(ws);
    const worker = newWorker(ws, await trainerPython(ws));
    const exits: string[] = [];
    worker.on('worker:exit', (e) => exits.push(e.reason));
    const a = { spec: runSpec(ws, 'a', trainerArgv(ws, 'a', gatedDataset(ws, 'gate-a'))), fifo: path.join(ws, 'gate-a') };
    const b = { spec: runSpec(ws, 'b', trainerArgv(ws, 'b', gatedDataset(ws, 'gate-b'))), fifo: path.join(ws, 'gate-b') };
    const runA = await worker.fork(a.spec);
    const runB = await worker.fork(b.spec);
    const gone = once(worker, 'worker:exit');
    process.kill(worker.workerPid!, 'SIGKILL');
    await gone;
    expect(exits).toEqual(['crashed']);
    // Stands in for a worker that wrote run a's exit status and died before it could say so.
    writeFileSync(a.spec.exitStatusFile, JSON.stringify({ pid: runA.pid, exit_code: 0, signal: null }));
    const csv = readFileSync(path.join(ws, 'data', 'train.csv'));
    writeFileSync(a.fifo, csv);
    writeFileSync(b.fifo, csv);
    expect(await runA.exited).toEqual({ exitCode: 0, signal: null });
    // Nobody saw run b end: both null, and the caller judges it by the files the run wrote.
    expect(await runB.exited).toEqual({ exitCode: null, signal: null });
    for (const id of ['a', 'b']) expect(readJson(path.join(ws, 'runs', id, 'summary.json')).primary_metric.name).toBe('accuracy');
  });
});
