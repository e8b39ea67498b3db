/**
 * `runforge add -- <command…>` (docs/cli.md, docs/your-own-script.md): one run of the user's own
 * command, made and queued in one step, with the caller's working directory and environment recorded
 * so that the daemon runs it as the caller's shell would.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliResult, parseJsonOut, runCli } from '../helpers/cli.js';
import { allDone, queueJobs, startDaemon, waitFor } from '../helpers/daemon.js';
import { baseRequest, queueFile, readJson, tempWorkspace, writeRun } from '../helpers/workspace.js';

const runsDir = (ws: string): string => path.join(ws, '.ml', 'runs');
const requestOf = (ws: string, runId: string): Record<string, any> => readJson(path.join(runsDir(ws), runId, 'request.json'));
const RUN_LINE = /^Enqueued run (run_\d{8}_\d{6}_[0-9a-f]{12}) as job (job_\S+)$/;

/** The run id `add` printed (its one line, enqueue-run's). */
function addedRunId(r: CliResult): string {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.lines).toHaveLength(1);
  return RUN_LINE.exec(r.lines[0]!)![1]!;
}

/**
 * A workspace with a project folder (the caller's cwd) and a program `my-trainer` in a folder that
 * only the caller's PATH has, not the daemon's: it writes what it sees into `seen.txt`, a path
 * relative to the folder it runs in.
 */
function project(): { ws: string; cwd: string; callerPath: string } {
  const ws = tempWorkspace();
  const cwd = path.join(ws, 'project');
  const bin = path.join(ws, 'tools', 'bin');
  mkdirSync(cwd, { recursive: true });
  mkdirSync(bin, { recursive: true });
  const script = path.join(bin, 'my-trainer');
  writeFileSync(script, '#!/bin/sh\necho "setting=${MY_SETTING-unset} cuda=${CUDA_VISIBLE_DEVICES-unset} run_dir=$RUNFORGE_RUN_DIR args=$*" > seen.txt\n');
  chmodSync(script, 0o755);
  return { ws, cwd, callerPath: `${bin}${path.delimiter}${process.env.PATH}` };
}

describe('runforge add', () => {
  it('makes the run folder and a request with the command, the caller\'s folder and environment, and queues it', async () => {
    const { ws, cwd, callerPath } = project();
    const env = { PATH: callerPath, MY_SETTING: 'from-shell', CUDA_VISIBLE_DEVICES: '7', CUDA_DEVICE_ORDER: 'FASTEST_FIRST', RUNFORGE_ANYTHING: 'x' };
    const r = await runCli(['add', '-w', ws, '--name', 'lr sweep 1', '--env', 'EXTRA=a=b', '--timeout', '90', '--', 'my-trainer', '--lr', '0.01'], { cwd, env });
    const runId = addedRunId(r);
    const jobId = RUN_LINE.exec(r.lines[0]!)![2];

    const request = requestOf(ws, runId);
    expect(request).toMatchObject({ version: 1, device: { type: 'cpu' }, name: 'lr sweep 1', command: ['my-trainer', '--lr', '0.01'], cwd, timeout_s: 90 });
    expect(request.dataset).toBeUndefined();
    expect(request.model).toBeUndefined();
    expect(request.env).toMatchObject({ PATH: callerPath, MY_SETTING: 'from-shell', EXTRA: 'a=b' });
    // What RunForge sets itself is never recorded.
    const recorded = Object.keys(request.env);
    expect(recorded.filter((k) => k.startsWith('CUDA_') || k.startsWith('RUNFORGE_'))).toEqual([]);

    const [job] = readJson(queueFile(ws)).jobs;
    expect(job).toMatchObject({ job_id: jobId, run_id: runId, state: 'queued', priority: 0, requires_gpu: false, attempt: 1 });
    expect((await runCli(['validate', path.join(runsDir(ws), runId, 'request.json')])).code).toBe(0);
  });

  it('prints the run and its job as JSON with --json; --group and --priority reach the job', async () => {
    const ws = tempWorkspace();
    const r = await runCli(['add', '--json', '--group', 'my-group', '--priority', '5', '--', 'python3', 'train.py'], { cwd: ws });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = parseJsonOut<{ run_id: string; run_dir: string; job: Record<string, unknown> }>(r);
    expect(out.run_dir).toBe(path.join(runsDir(ws), out.run_id));
    expect(out.job).toMatchObject({ run_id: out.run_id, group_id: 'my-group', priority: 5, state: 'queued' });
    expect(readJson(queueFile(ws)).jobs).toEqual([out.job]);
    expect(requestOf(ws, out.run_id).cwd).toBe(ws);
  });

  it("runs under the daemon with the caller's PATH and environment, in the caller's folder; --no-env runs with the daemon's", async () => {
    const { ws, cwd, callerPath } = project();
    const env = { PATH: callerPath, MY_SETTING: 'from-shell', CUDA_VISIBLE_DEVICES: '7' };
    const withEnv = addedRunId(await runCli(['add', '-w', ws, '--', 'my-trainer', 'a', 'b'], { cwd, env }));
    const other = path.join(ws, 'other');
    mkdirSync(other);
    const noEnv = addedRunId(await runCli(['add', '-w', ws, '--no-env', '--', 'sh', '-c', 'echo "setting=${MY_SETTING-unset}" > seen.txt'], { cwd: other, env }));
    expect(requestOf(ws, noEnv).env).toBeUndefined();

    // The daemon's environment has neither the caller's PATH folder nor MY_SETTING.
    expect(process.env.PATH).not.toContain(path.join(ws, 'tools'));
    expect(process.env.MY_SETTING).toBeUndefined();
    const d = startDaemon(ws, ['--max-parallel', '1']);
    const jobs = await waitFor('both runs ended', allDone(ws, 2), 60_000);
    d.kill();
    expect(jobs.map((j: { state: string }) => j.state)).toEqual(['succeeded', 'succeeded']);
    // Found on the caller's PATH, run in the caller's folder (seen.txt is relative), with the caller's
    // variables; the device is RunForge's (a CPU run sees no GPU), not the caller's.
    const seen = readFileSync(path.join(cwd, 'seen.txt'), 'utf8').trim();
    expect(seen).toBe(`setting=from-shell cuda= run_dir=${path.join(runsDir(ws), withEnv)} args=a b`);
    expect(readFileSync(path.join(other, 'seen.txt'), 'utf8').trim()).toBe('setting=unset');
    expect(queueJobs(ws)).toHaveLength(2);
  }, 90_000);

  it("--timeout is the run's own limit: the daemon stops it then, whatever --job-timeout says", async () => {
    const ws = tempWorkspace();
    const short = addedRunId(await runCli(['add', '-w', ws, '--timeout', '1', '--', 'sleep', '30'], { cwd: ws }));
    const plain = addedRunId(await runCli(['add', '-w', ws, '--', 'sleep', '0.2'], { cwd: ws }));
    const d = startDaemon(ws, ['--max-parallel', '2', '--job-timeout', '600', '--kill-grace', '1']);
    const jobs = await waitFor('both runs ended', allDone(ws, 2), 60_000);
    d.kill();
    const byRun = new Map(jobs.map((j: { run_id: string }) => [j.run_id, j]));
    expect(byRun.get(short)).toMatchObject({ state: 'failed', error: 'Timed out after 1 s' });
    expect(byRun.get(plain)).toMatchObject({ state: 'succeeded' });
    const result = readJson(path.join(runsDir(ws), short, 'result.json'));
    expect(result).toMatchObject({ status: 'failed', error: { message: 'Timed out after 1 s', type: 'Timeout' } });
    expect(result.duration_ms).toBeLessThan(20_000);
  }, 90_000);

  it.each([
    ['no --', ['add', 'python3', 'train.py'], "Error: Put the command after '--' (got 'python3' before it): runforge add [options] -- <command…>"],
    ['nothing at all', ['add'], 'Error: No command: runforge add [options] -- <command…>'],
    ['nothing after --', ['add', '--name', 'x', '--'], "Error: No command after '--': runforge add [options] -- <command…>"],
    ['an operand before --', ['add', 'python3', '--', 'train.py'], "Error: Unexpected 'python3' before '--': runforge add [options] -- <command…>"],
    ['a mistyped option', ['add', '--nmae', 'x', '--', 'train.py'], "Error: Unexpected '--nmae' before '--': runforge add [options] -- <command…>"],
    ['a malformed --env', ['add', '--env', 'LR', '--', 'python3'], "Error: --env needs NAME=VALUE (got 'LR')"],
    ['an --env RunForge sets', ['add', '--env', 'CUDA_VISIBLE_DEVICES=1', '--', 'python3'], 'Error: --env cannot set CUDA_VISIBLE_DEVICES: RunForge sets it for every run'],
    ['--env with --no-env', ['add', '--no-env', '--env', 'A=1', '--', 'python3'], 'Error: --env and --no-env cannot be used together'],
    ['a zero --timeout', ['add', '--timeout', '0', '--', 'python3'], "Error: --timeout must be a number of seconds above 0 (got '0')"],
    ['a bad --priority', ['add', '--priority', 'high', '--', 'python3'], "Error: --priority must be an integer (got 'high')"],
    ['an unsafe --group', ['add', '--group', '../x', '--', 'python3'], "Error: Invalid group id '../x': use 1-128 letters, digits, '.', '_' or '-', not starting with '.' or '-'"],
  ])('refuses %s: one line, exit 2, nothing written', async (_what, args, line) => {
    const ws = tempWorkspace();
    const r = await runCli(args, { cwd: ws });
    expect(r.stderr.trimEnd().split('\n')).toEqual([line]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(readdirSync(ws)).toEqual([]);
  });

  it('names a workspace that does not exist (exit 3), nothing written', async () => {
    const ws = tempWorkspace();
    const r = await runCli(['add', '-w', path.join(ws, 'nope'), '--', 'python3'], { cwd: ws });
    expect(r.stderr.trim()).toBe(`Error: Workspace not found: ${path.join(ws, 'nope')}`);
    expect(r.code).toBe(3);
    expect(readdirSync(ws)).toEqual([]);
  });
});

describe('a request with a command needs no dataset or model', () => {
  it('validate accepts a command-only request and still wants dataset and model of a built-in trainer run', async () => {
    const ws = tempWorkspace();
    const commandOnly = { version: 1, device: { type: 'cpu' }, created_at: '2026-02-01T21:20:47Z', created_by: 'me', command: ['python', 'train.py'] };
    writeFileSync(path.join(ws, 'request.json'), JSON.stringify(commandOnly));
    const ok = await runCli(['validate', 'request.json'], { cwd: ws });
    expect(ok).toMatchObject({ code: 0, lines: ['OK'] });

    const { command: _, ...trainerRun } = commandOnly;
    writeFileSync(path.join(ws, 'request.json'), JSON.stringify(trainerRun));
    const bad = await runCli(['validate', 'request.json'], { cwd: ws });
    expect(bad.code).toBe(2);
    expect(bad.lines).toEqual(['dataset is required', 'model is required (unless the request has a custom "command")']);
  });

  it('the built-in trainer still refuses a run without a dataset, with the message it had', async () => {
    const ws = tempWorkspace();
    const request = baseRequest();
    delete request.dataset;
    const dir = writeRun(ws, 'no-data', request);
    const r = await runCli(['run', '--run-dir', dir, '--quiet'], { cwd: ws });
    expect(r.code).not.toBe(0);
    const result = readJson(path.join(dir, 'result.json'));
    expect(result.status).toBe('failed');
    expect(result.error.message).toBe('.ml/runs/no-data/request.json is not a valid request: dataset is required');
    expect(existsSync(path.join(dir, 'logs.txt'))).toBe(true);
  });
});
