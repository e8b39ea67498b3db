import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, parseJsonOut, runCli } from '../helpers/cli.js';
import { waitFor, withFakeGpus } from '../helpers/daemon.js';
import { baseRequest, readJson, samplePlan, tempWorkspace, writeDataset, writePlan, writeRun } from '../helpers/workspace.js';

const request = (family: string, hyperparameters: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  baseRequest({ model: { family, hyperparameters }, ...extra });

function stagesOf(logs: string): string[] {
  return logs.split('\n').filter((l) => l.startsWith('[RF:STAGE='));
}

describe('runforge run trains for real', () => {
  it.each([
    ['logistic_regression', {}],
    ['random_forest', { n_estimators: 30 }],
    ['linear_svc', {}],
    ['mlp', { epochs: 12, hidden_sizes: [16], learning_rate: 0.01 }],
  ])('%s: succeeded, accuracy above 0.85, artifacts, tokens in order', async (family, hp) => {
    const ws = tempWorkspace();
    writeDataset(ws);
    const dir = writeRun(ws, 'r', request(family, hp));
    const r = await runCli(['run', '--run-dir', dir, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = readJson(path.join(dir, 'result.json'));
    expect(result.status).toBe('succeeded');
    expect(result.summary.metrics.accuracy).toBeGreaterThan(0.85);
    expect(result.summary.primary_metric).toEqual({ name: 'accuracy', value: result.summary.metrics.accuracy, goal: 'maximize' });
    expect(result.started_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(result.effective_config.model.family).toBe(family);
    expect(result.effective_config.device).toEqual({ type: 'cpu' });
    expect(result.artifacts.some((a: any) => a.type === 'model' && a.bytes > 0)).toBe(true);
    expect(result.artifacts.map((a: any) => a.path)).toEqual(expect.arrayContaining(['artifacts/metrics.json', 'artifacts/label_encoder.pkl']));
    const logs = readFileSync(path.join(dir, 'logs.txt'), 'utf8');
    expect(stagesOf(logs)).toEqual([
      '[RF:STAGE=STARTING]', '[RF:STAGE=LOADING_DATASET]', '[RF:STAGE=TRAINING]', '[RF:STAGE=EVALUATING]',
      '[RF:STAGE=WRITING_ARTIFACTS]', '[RF:STAGE=COMPLETED]',
    ]);
    expect(logs).toMatch(/^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] Loaded 200 rows: 2 numeric and 1 categorical features, 2 classes/m);
    if (family === 'mlp') {
      expect(logs).toContain('[RF:EPOCH=12/12]');
      const points = readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(points.filter((p) => p.name === 'loss').map((p) => p.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    }
  });

  it('--max-rows trains on the first N rows only', async () => {
    const ws = tempWorkspace();
    writeDataset(ws);
    const dir = writeRun(ws, 'r', request('logistic_regression'));
    expect((await runCli(['run', '--run-dir', dir, '--max-rows', '60', '--quiet'])).code).toBe(0);
    expect(readFileSync(path.join(dir, 'logs.txt'), 'utf8')).toMatch(/Loaded 60 rows: .* 48 train \/ 12 test/);
    expect((await runCli(['run', '--run-dir', dir, '--max-rows', '0'])).code).toBe(2);
  });

  it('the same seed gives the same metrics', async () => {
    const ws = tempWorkspace();
    writeDataset(ws);
    const a = writeRun(ws, 'a', request('random_forest', { n_estimators: 20 }, { seed: 5 }));
    const b = writeRun(ws, 'b', request('random_forest', { n_estimators: 20 }, { seed: 5 }));
    await runCli(['run', '--run-dir', a, '--quiet']);
    await runCli(['run', '--run-dir', b, '--quiet']);
    expect(readJson(path.join(a, 'result.json')).summary.metrics).toEqual(readJson(path.join(b, 'result.json')).summary.metrics);
  });

  it.each([
    ['a missing label column', () => request('logistic_regression', {}, { dataset: { path: 'data/train.csv', label_column: 'nope' } }), 1, 'InvalidDataset', "Label column 'nope' not found in the dataset (columns: x1, x2, color, target)"],
    ['a missing dataset', () => request('logistic_regression', {}, { dataset: { path: 'data/none.csv', label_column: 'target' } }), 3, 'MissingFiles', 'Dataset not found: '],
    // Refused before the trainer starts (issue 14: the family's table, docs/training.md); exit 2 as any invalid request.
    ['an unknown hyperparameter', () => request('random_forest', { depth: 3 }), 2, 'InvalidRequest', 'model.hyperparameters.depth is not a hyperparameter of random_forest; did you mean `max_depth`?'],
    ['a hyperparameter of the wrong type', () => request('random_forest', { n_estimators: 'fifty' }), 2, 'InvalidRequest', 'model.hyperparameters.n_estimators must be a positive integer (got "fifty")'],
  ])('%s ends in result.json failed with message and type', async (_n, make, code, type, message) => {
    const ws = tempWorkspace();
    writeDataset(ws);
    const dir = writeRun(ws, 'r', make());
    const r = await runCli(['run', '--run-dir', dir, '--quiet']);
    expect(r.code).toBe(code);
    const result = readJson(path.join(dir, 'result.json'));
    expect(result).toMatchObject({ status: 'failed', error: { type } });
    expect(result.error.message).toContain(message);
    expect(stagesOf(readFileSync(path.join(dir, 'logs.txt'), 'utf8')).at(-1)).toBe('[RF:STAGE=FAILED]');
  });

  it('an invalid request.json still gets a failed result.json (exit 2)', async () => {
    const ws = tempWorkspace();
    const dir = writeRun(ws, 'r', { version: 1 });
    const r = await runCli(['run', '--run-dir', dir, '--quiet']);
    expect(r.code).toBe(2);
    expect(readJson(path.join(dir, 'result.json'))).toMatchObject({ status: 'failed', error: { type: 'InvalidRequest' } });
  });

  it('with no Python that can train, the run fails naming what is missing', async () => {
    const ws = tempWorkspace();
    writeDataset(ws);
    const dir = writeRun(ws, 'r', request('logistic_regression'));
    const r = await runCli(['run', '--run-dir', dir, '--quiet'], { env: { RUNFORGE_PYTHON: '/no/such/python3' } });
    expect(r.code).toBe(1);
    const result = readJson(path.join(dir, 'result.json'));
    expect(result.error.type).toBe('PythonNotFound');
    expect(result.error.message).toMatch(/^The Python set by RUNFORGE_PYTHON cannot train: \/no\/such\/python3 \(not runnable\); install them with/);
  });

  it('G8: device gpu on a machine without GPU runs on the CPU with no_gpu_detected', async () => {
    const ws = tempWorkspace();
    writeDataset(ws);
    const dir = writeRun(ws, 'r', request('mlp', { epochs: 2 }, { device: { type: 'gpu' } }));
    const r = await runCli(['run', '--run-dir', dir], { env: { PATH: '/usr/bin:/bin' } });
    expect(r.code).toBe(0);
    expect(r.lines).toContain('[RF:DEVICE=CPU gpu_reason=no_gpu_detected]');
    expect(readJson(path.join(dir, 'result.json')).effective_config.device).toEqual({ type: 'cpu', gpu_reason: 'no_gpu_detected' });
  });

  it('with a GPU (stand-in nvidia-smi) a foreground run gets a device and a CPU request says user_requested_cpu', async () => {
    const ws = tempWorkspace();
    writeDataset(ws);
    const gpuRun = writeRun(ws, 'g', baseRequest({ device: { type: 'gpu' }, command: ['sh', '-c', 'echo "visible=$CUDA_VISIBLE_DEVICES order=$CUDA_DEVICE_ORDER"'] }));
    const cpuRun = writeRun(ws, 'c', request('logistic_regression'));
    const g = await runCli(['run', '--run-dir', gpuRun], { env: withFakeGpus('0:1000,1:9000') });
    expect(g.lines).toContain('[RF:DEVICE=GPU]');
    expect(g.stdout).toContain('visible=1 order=PCI_BUS_ID');
    expect(readJson(path.join(gpuRun, 'result.json')).effective_config.device).toEqual({ type: 'gpu', gpu_id: 1 });
    const c = await runCli(['run', '--run-dir', cpuRun], { env: withFakeGpus() });
    expect(c.lines).toContain('[RF:DEVICE=CPU gpu_reason=user_requested_cpu]');
  });

  it('a trainer stopped mid-run ends cancelled; one killed outright ends failed — never without a result', async () => {
    const ws = tempWorkspace();
    writeDataset(ws, 400);
    const dir = writeRun(ws, 'slow', request('mlp', { epochs: 100000, batch_size: 1 }));
    const child = spawn(process.execPath, [CLI, 'run', '--run-dir', dir, '--quiet'], { detached: true, stdio: 'ignore' });
    await waitFor('training', () => readFileSync(path.join(dir, 'logs.txt'), 'utf8').includes('[RF:EPOCH=1/'), 60_000);
    process.kill(-child.pid!, 'SIGTERM');
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(5);
    expect(readJson(path.join(dir, 'result.json'))).toMatchObject({ status: 'cancelled' });

    const dir2 = writeRun(ws, 'killed', request('mlp', { epochs: 100000, batch_size: 1 }));
    const child2 = spawn(process.execPath, [CLI, 'run', '--run-dir', dir2, '--quiet'], { detached: true, stdio: 'ignore' });
    await waitFor('training', () => readFileSync(path.join(dir2, 'logs.txt'), 'utf8').includes('[RF:EPOCH=1/'), 60_000);
    const python = readFileSync('/proc/' + child2.pid + '/task/' + child2.pid + '/children', 'utf8').trim().split(' ')[0];
    process.kill(Number(python), 'SIGKILL');
    expect(await new Promise((r) => child2.on('exit', r))).toBe(1);
    const result = readJson(path.join(dir2, 'result.json'));
    expect(result).toMatchObject({ status: 'failed', error: { type: 'TrainerCrashed', message: 'The trainer was killed by SIGKILL without a summary' } });
  });

  it('a custom script reports metrics with the shipped helper in two lines', async () => {
    const ws = tempWorkspace();
    writeFileSync(
      path.join(ws, 'train.py'),
      ['import runforge_helper as rf', 'for step in range(1, 4):', '    rf.epoch(step, 3)', '    rf.metric("loss", 1.0 / step, step=step)', 'rf.metric("accuracy", 0.9)'].join('\n'),
    );
    const dir = writeRun(ws, 'custom', baseRequest({ command: ['python3', 'train.py'], model: undefined }));
    const r = await runCli(['run', '--run-dir', dir], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.lines).toContain('[RF:EPOCH=3/3]');
    const result = readJson(path.join(dir, 'result.json'));
    expect(result.summary.metrics).toEqual({ loss: 1 / 3, accuracy: 0.9 });
    expect(result.summary.primary_metric).toEqual({ name: 'accuracy', value: 0.9, goal: 'maximize' });
  });

  it('a custom script with `import runforge`: metrics, a typed artifact and its summary reach result.json', async () => {
    const ws = tempWorkspace();
    writeFileSync(
      path.join(ws, 'train.py'),
      [
        'import runforge',
        'assert runforge.params() == {}, runforge.params()',
        'runforge.stage("TRAINING")',
        'for e in range(1, 3):',
        '    runforge.epoch(e, 2)',
        '    runforge.log_metrics({"loss": 1.0 / e, "accuracy": 0.5}, step=e)',
        'open("weights.bin", "wb").write(b"12345")',
        'print(runforge.artifact("weights.bin", type="checkpoint"))',
        'runforge.summary(accuracy=0.95)',
      ].join('\n'),
    );
    const dir = writeRun(ws, 'custom', baseRequest({ command: ['python3', 'train.py'], model: undefined }));
    const r = await runCli(['run', '--run-dir', dir], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.lines).toEqual(expect.arrayContaining(['[RF:STAGE=TRAINING]', '[RF:EPOCH=2/2]']));
    expect(r.lines.some((l) => l.endsWith('] artifacts/weights.bin'))).toBe(true);
    const result = readJson(path.join(dir, 'result.json'));
    expect(result.summary.metrics).toEqual({ loss: 0.5, accuracy: 0.95 });
    expect(result.artifacts).toEqual([{ path: 'artifacts/weights.bin', type: 'checkpoint', bytes: 5 }]);
  });

  it('--dry-run checks the dataset and label column without training', async () => {
    const ws = tempWorkspace();
    writeDataset(ws);
    const ok = writeRun(ws, 'ok', request('mlp'));
    const bad = writeRun(ws, 'bad', request('mlp', {}, { dataset: { path: 'data/train.csv', label_column: 'y' } }));
    expect((await runCli(['run', '--run-dir', ok, '--dry-run', '--quiet'])).code).toBe(0);
    expect(readJson(path.join(ok, 'result.json')).summary.metrics).toEqual({ dry_run: 1 });
    expect((await runCli(['run', '--run-dir', bad, '--dry-run', '--quiet'])).code).toBe(1);
    expect(readJson(path.join(bad, 'result.json')).error.message).toBe("Label column 'y' not found in data/train.csv (columns: x1, x2, color, target)");
  });
});

describe('runforge sweep (direct mode)', () => {
  const plan = (ws: string, failSecond: boolean, failFast: boolean) =>
    samplePlan(ws, {
      base_request: baseRequest({ command: ['sh', '-c', 'sleep 0.3'], model: undefined }),
      strategy: {
        type: 'list',
        parameters: [{ path: 'command', values: [['sh', '-c', 'sleep 0.2'], failSecond ? ['sh', '-c', 'exit 3'] : ['true'], ['sleep', '0.5'], ['sleep', '0.5'], ['sleep', '0.5']] }],
      },
      execution: { max_parallel: 1, fail_fast: failFast, stop_on_cancel: true },
    });

  it('runs every run with group tokens and ends completed (exit 0)', async () => {
    const ws = tempWorkspace();
    const r = await runCli(['sweep', '--plan', writePlan(ws, plan(ws, false, false))], { cwd: ws });
    expect(r.code).toBe(0);
    const gid = /^\[RF:GROUP=START (\S+) runs=5\]$/.exec(r.lines[0]!)![1]!;
    expect(r.lines[1]).toBe(`[RF:GROUP=RUN ${gid}-run-001 1/5]`);
    expect(r.lines[2]).toBe(`[RF:GROUP=RUN_DONE ${gid}-run-001 status=succeeded]`);
    expect(r.lines.at(-1)).toBe(`[RF:GROUP=COMPLETE ${gid} succeeded=5 failed=0 canceled=0]`);
    expect(readJson(path.join(ws, '.runforge', 'groups', gid, 'group.json'))).toMatchObject({ status: 'completed', summary: { succeeded: 5 } });
  });

  it('fail_fast stops at the first failure: the rest are canceled (exit 1)', async () => {
    const ws = tempWorkspace();
    const r = await runCli(['sweep', '--plan', writePlan(ws, plan(ws, true, true))], { cwd: ws });
    expect(r.code).toBe(1);
    const gid = /GROUP=START (\S+)/.exec(r.lines[0]!)![1]!;
    expect(r.stdout).toContain(`[RF:GROUP=RUN_DONE ${gid}-run-002 status=failed]`);
    expect(r.lines.at(-1)).toBe(`[RF:GROUP=COMPLETE ${gid} succeeded=1 failed=1 canceled=3]`);
    expect(r.stdout).not.toContain('-run-003 3/5');
  });

  it('without fail_fast a failure does not stop the others', async () => {
    const ws = tempWorkspace();
    const r = await runCli(['sweep', '--plan', writePlan(ws, plan(ws, true, false))], { cwd: ws });
    expect(r.code).toBe(1);
    expect(r.lines.at(-1)).toMatch(/succeeded=4 failed=1 canceled=0\]$/);
  });

  it('Ctrl-C stops running and pending runs (exit 5), the group ends canceled', async () => {
    const ws = tempWorkspace();
    const p = samplePlan(ws, { base_request: baseRequest({ command: ['sleep', '30'], model: undefined }), strategy: { type: 'list', parameters: [{ path: 'seed', values: [1, 2, 3, 4] }] } });
    const child = spawn(process.execPath, [CLI, 'sweep', '--plan', writePlan(ws, p), '--kill-grace', '1'], { cwd: ws });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    await waitFor('two runs started', () => (out.match(/GROUP=RUN \S+ \d\/4/g) ?? []).length === 2);
    await waitFor('sleeps running', () => readdirRuns(ws).filter((d) => readSafe(path.join(d, 'logs.txt')).includes('Command:')).length === 2);
    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(5);
    const gid = /GROUP=START (\S+)/.exec(out)![1]!;
    expect(out).toContain(`[RF:GROUP=CANCELED ${gid}]`);
    expect(out.trim().split('\n').at(-1)).toBe(`[RF:GROUP=COMPLETE ${gid} succeeded=0 failed=0 canceled=4]`);
    const group = readJson(path.join(ws, '.runforge', 'groups', gid, 'group.json'));
    expect(group).toMatchObject({ status: 'canceled', execution: { cancelled: true } });
  });

  it('with stop_on_cancel false, Ctrl-C lets running runs finish and cancels the pending ones (exit 5)', async () => {
    const ws = tempWorkspace();
    const p = samplePlan(ws, {
      base_request: baseRequest({ command: ['sleep', '2'], model: undefined }),
      strategy: { type: 'list', parameters: [{ path: 'seed', values: [1, 2, 3, 4] }] },
      execution: { max_parallel: 2, fail_fast: false, stop_on_cancel: false },
    });
    const child = spawn(process.execPath, [CLI, 'sweep', '--plan', writePlan(ws, p)], { cwd: ws });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    await waitFor('sleeps running', () => readdirRuns(ws).filter((d) => readSafe(path.join(d, 'logs.txt')).includes('Command:')).length === 2);
    child.kill('SIGINT');
    expect(await new Promise((r) => child.on('exit', r))).toBe(5);
    const gid = /GROUP=START (\S+)/.exec(out)![1]!;
    expect(out.trim().split('\n').at(-1)).toBe(`[RF:GROUP=COMPLETE ${gid} succeeded=2 failed=0 canceled=2]`);
  });
});

function readdirRuns(ws: string): string[] {
  try {
    return readdirSync(path.join(ws, '.ml', 'runs')).map((d) => path.join(ws, '.ml', 'runs', d));
  } catch {
    return [];
  }
}
function readSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

describe('demo, doctor and gpu', () => {
  it('runforge demo trains a real sweep with a daemon and prints a leaderboard', async () => {
    const ws = tempWorkspace();
    const dir = path.join(ws, 'demo');
    const r = await runCli(['demo', '--dir', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.lines[0]).toBe(`RunForge demo in ${dir}`);
    expect(r.stdout).toContain("Dataset: data/wine.csv (178 rows of scikit-learn's wine data, 13 features, 3 classes)");
    expect(r.stdout).toMatch(/\[RF:DAEMON=STARTED pid=\d+ max_parallel=2 gpu_slots=1\]/);
    expect(r.stdout).toMatch(/\[RF:DAEMON=STOPPED pid=\d+\]/);
    const board = r.lines.slice(r.lines.findIndex((l) => l.startsWith('Leaderboard of')));
    expect(board[0]).toMatch(/\(completed\):$/);
    expect(board[1]).toMatch(/#\s+RUN\s+FAMILY\s+DEVICE\s+ACCURACY/);
    expect(board.filter((l) => /^\s+\d\s+run-00\d/.test(l))).toHaveLength(8);
    expect(board.join('\n')).toContain('cpu (no_gpu_detected)');
    const status = parseJsonOut<any>(await runCli(['queue-status', '--json', '--workspace', dir]));
    expect(status.jobs).toMatchObject({ succeeded: 8, total: 8 });
    expect(status.daemon.health).toBe('stopped');
  });

  it('doctor reports each dependency with ok/missing/warn', async () => {
    const ws = tempWorkspace();
    const r = await runCli(['doctor', '--json'], { cwd: ws, env: { PATH: '/usr/bin:/bin' } });
    const report = parseJsonOut<any>(r);
    const by = Object.fromEntries(report.checks.map((c: any) => [c.name, c.status]));
    expect(by).toMatchObject({ node: 'ok', python: 'ok', sklearn: 'ok', pandas: 'ok', joblib: 'ok', torch: 'ok', 'nvidia-smi': 'warn', workspace: 'ok', daemon: 'warn' });
    expect(r.code).toBe(0);
    const broken = await runCli(['doctor'], { cwd: ws, env: { RUNFORGE_PYTHON: '/no/python' } });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^missing python\s+no Python with the trainer's modules \(\/no\/python: not runnable\) — fix: run `bash scripts\/install-system-deps.sh`/m);
  });

  it('gpu lists the stand-in devices; --json too', async () => {
    const ws = tempWorkspace();
    const r = await runCli(['gpu', '--json'], { cwd: ws, env: withFakeGpus() });
    const j = parseJsonOut<any>(r);
    expect(j.source).toBe('nvidia-smi');
    expect(j.devices.map((d: any) => [d.index, d.name, d.memory_total_mb])).toEqual([
      [0, 'Fake RunForge GPU 0', 16384],
      [1, 'Fake RunForge GPU 1', 16384],
    ]);
    const none = await runCli(['gpu'], { cwd: ws, env: { PATH: '/usr/bin:/bin' } });
    expect(none.lines[0]).toMatch(/^No GPU detected/);
  });
});
