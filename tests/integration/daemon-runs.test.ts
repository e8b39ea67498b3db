/**
 * How the daemon runs a job itself (docs/daemon.md): output copied into logs.txt as it comes, the
 * exit status kept in the run folder, and what a daemon that takes over after `kill -9` does with a
 * job that is still running or that ended while no daemon watched it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { allDone, findProcesses, queueJobs, startDaemon, waitFor } from '../helpers/daemon.js';
import { baseRequest, readJson, samplePlan, tempWorkspace, writeDataset, writePlan, writeRun } from '../helpers/workspace.js';

const runFolder = (ws: string, runId: string): string => path.join(ws, '.ml', 'runs', runId);
const logLines = (ws: string, runId: string): string[] => readFileSync(path.join(runFolder(ws, runId), 'logs.txt'), 'utf8').split('\n');
/** A job that prints, waits for the file `release` in the workspace, prints again and exits with `code`. */
const waiting = (code = 0): string[] => ['sh', '-c', `echo before; while [ ! -f release ]; do sleep 0.05; done; echo after; exit ${code}`];

/** Whether a process has ended (gone, or a zombie waiting for its parent). */
const processGone = (pid: number) => (): boolean => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z');

/** Starts a new daemon and waits for the workspace's one job to be resolved; the daemon is stopped again. */
async function resolveWithNewDaemon(ws: string): Promise<any> {
  const d = startDaemon(ws);
  const [done] = await waitFor('resolved', allDone(ws, 1));
  d.kill();
  await d.exited;
  return done;
}

/** Queues a `waiting` run, lets a daemon start it and copy its first line, then kills that daemon with SIGKILL. */
async function killDaemonWhileRunning(ws: string, runId: string, code: number): Promise<any> {
  writeRun(ws, runId, baseRequest({ command: waiting(code) }));
  await runCli(['enqueue-run', '--run-id', runId], { cwd: ws });
  const d1 = startDaemon(ws);
  const job = await waitFor('running and printing', () => {
    const j = queueJobs(ws).find((x) => x.state === 'running' && x.pid);
    return j && logLines(ws, runId).some((l) => l.endsWith('] before')) ? j : undefined;
  });
  d1.kill('SIGKILL');
  await d1.exited;
  return job;
}

/** Runs one job of `command` through a daemon to its end; the daemon is stopped again. */
async function runOneJob(ws: string, runId: string, command: string[]): Promise<any> {
  writeRun(ws, runId, baseRequest({ command }));
  await runCli(['enqueue-run', '--run-id', runId], { cwd: ws });
  const d = startDaemon(ws);
  const [job] = await waitFor('done', allDone(ws, 1));
  d.kill();
  await d.exited;
  return job;
}

describe('jobs run by the daemon itself', () => {
  it("copies the job's output into logs.txt while it runs, timestamped, tokens verbatim, and leaves no helper files", async () => {
    const ws = tempWorkspace();
    const job = await runOneJob(ws, 'talk', ['sh', '-c', 'echo one; echo "[RF:PROGRESS=1/2 steps]"; printf "no newline"']);
    expect(job).toMatchObject({ state: 'succeeded', exit_code: 0 });
    const lines = logLines(ws, 'talk');
    expect(lines).toContain('[RF:PROGRESS=1/2 steps]');
    expect(lines.filter((l) => /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] (one|no newline)$/.test(l))).toHaveLength(2);
    expect(lines.at(-2)).toBe('[RF:STAGE=COMPLETED]');
    for (const helper of ['output.log', '.output-offset', '.launch.json', '.exit_status']) {
      expect(existsSync(path.join(runFolder(ws, 'talk'), helper)), helper).toBe(false);
    }
  });

  it('a program killed by a signal fails with that signal named', async () => {
    const ws = tempWorkspace();
    const job = await runOneJob(ws, 'killed', ['sh', '-c', 'kill -KILL $$']);
    expect(job).toMatchObject({ state: 'failed', error: 'Command was killed by SIGKILL' });
    expect(readJson(path.join(runFolder(ws, 'killed'), 'result.json'))).toMatchObject({ status: 'failed', error: { type: 'CommandFailed' } });
  });

  it('kill -9 of the daemon: a job that ends while no daemon runs is concluded from its exit status, not run again', async () => {
    const ws = tempWorkspace();
    const job = await killDaemonWhileRunning(ws, 'survivor', 3);
    writeFileSync(path.join(ws, 'release'), '');
    await waitFor('job ended', processGone(job.pid));
    const d2 = startDaemon(ws);
    await d2.waitForLine(/DAEMON=STARTED/);
    const jobs = await waitFor('resolved', allDone(ws, 1));
    // One job, attempt 1: the run was concluded from what it left, not re-queued as a new attempt.
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ job_id: job.job_id, state: 'failed', attempt: 1, error: 'Command exited with code 3', exit_code: 3 });
    expect(readJson(path.join(runFolder(ws, 'survivor'), 'result.json'))).toMatchObject({ status: 'failed', exit_code: 3, job_id: job.job_id });
    const lines = logLines(ws, 'survivor');
    expect(lines.filter((l) => l.endsWith('] before'))).toHaveLength(1);
    expect(lines.filter((l) => l.endsWith('] after'))).toHaveLength(1);
    expect(await d2.waitForLine(new RegExp(`JOB_DONE ${job.job_id} `))).toBe(`[RF:QUEUE=JOB_DONE ${job.job_id} run_id=survivor status=failed]`);
    d2.kill();
    await d2.exited;
  });

  it('kill -9 of the daemon: a job still running is re-adopted; its output goes on into logs.txt once, and its outcome is recorded', async () => {
    const ws = tempWorkspace();
    const job = await killDaemonWhileRunning(ws, 'adoptee', 0);
    const d2 = startDaemon(ws);
    await d2.waitForLine(/DAEMON=STARTED/);
    writeFileSync(path.join(ws, 'release'), '');
    const [done] = await waitFor('resolved', allDone(ws, 1));
    expect(done).toMatchObject({ job_id: job.job_id, state: 'succeeded', attempt: 1 });
    const lines = logLines(ws, 'adoptee');
    expect(lines.filter((l) => l.endsWith('] before'))).toHaveLength(1);
    expect(lines.filter((l) => l.endsWith('] after'))).toHaveLength(1);
    expect(readFileSync(path.join(ws, '.runforge', 'queue', 'daemon.log'), 'utf8')).toContain('re-adopted a job that survived the previous daemon');
    d2.kill();
    await d2.exited;
  });
});

/**
 * The daemon names a job's process in the run's launch record before queue.json records the job as
 * running. Killed in between, it leaves a queued job whose process exists: simulated here by a real
 * kill -9 of a daemon running the job, then queue.json put back as it was before that job started.
 */
describe('a daemon killed between starting a job and recording it', () => {
  const queueFile = (ws: string): string => path.join(ws, '.runforge', 'queue', 'queue.json');
  function unrecordStart(ws: string, jobId: string): void {
    const queue = readJson(queueFile(ws));
    const job = queue.jobs.find((j: any) => j.job_id === jobId);
    for (const key of ['pid', 'pgid', 'process_start_time', 'gpu_device', 'exit_code']) delete job[key];
    Object.assign(job, { state: 'queued', started_at: null });
    writeFileSync(queueFile(ws), JSON.stringify(queue, null, 2));
  }
  const befores = (ws: string, runId: string): number => logLines(ws, runId).filter((l) => l.endsWith('] before')).length;

  it('a job still running is adopted, not started a second time', async () => {
    const ws = tempWorkspace();
    const job = await killDaemonWhileRunning(ws, 'unrecorded', 0);
    unrecordStart(ws, job.job_id);
    const d2 = startDaemon(ws);
    await d2.waitForLine(/DAEMON=STARTED/);
    expect(queueJobs(ws)[0]).toMatchObject({ job_id: job.job_id, state: 'running', pid: job.pid, attempt: 1 });
    writeFileSync(path.join(ws, 'release'), '');
    const [done] = await waitFor('resolved', allDone(ws, 1));
    expect(done).toMatchObject({ job_id: job.job_id, state: 'succeeded', attempt: 1, exit_code: 0 });
    expect(befores(ws, 'unrecorded')).toBe(1);
    d2.kill();
    await d2.exited;
  });

  it('a job that ended meanwhile is concluded from its exit status, not run again', async () => {
    const ws = tempWorkspace();
    const job = await killDaemonWhileRunning(ws, 'ended', 4);
    unrecordStart(ws, job.job_id);
    writeFileSync(path.join(ws, 'release'), '');
    await waitFor('job ended', processGone(job.pid));
    const done = await resolveWithNewDaemon(ws);
    expect(done).toMatchObject({ job_id: job.job_id, state: 'failed', attempt: 1, exit_code: 4, error: 'Command exited with code 4' });
    expect(befores(ws, 'ended')).toBe(1);
  });

  it('a job whose process died without an exit status is still queued, and runs', async () => {
    const ws = tempWorkspace();
    const job = await killDaemonWhileRunning(ws, 'vanished', 0);
    unrecordStart(ws, job.job_id);
    // Its whole process group killed too: the shell that writes the exit status with it.
    process.kill(-job.pgid, 'SIGKILL');
    await waitFor('job gone', processGone(job.pid));
    writeFileSync(path.join(ws, 'release'), '');
    const done = await resolveWithNewDaemon(ws);
    expect(done).toMatchObject({ job_id: job.job_id, state: 'succeeded', attempt: 1, exit_code: 0 });
    expect(done.pid).not.toBe(job.pid);
    expect(befores(ws, 'vanished')).toBe(2);
  });
});

describe('the warm trainer worker in the daemon', () => {
  const SEEDS = [1, 2, 3, 4, 5, 6];
  const workerLog = (ws: string): string => {
    try {
      return readFileSync(path.join(ws, '.runforge', 'queue', 'worker.log'), 'utf8');
    } catch {
      return '';
    }
  };

  /** A logistic-regression sweep over SEEDS on a real dataset through a daemon started with `args`; with `warmFirst`, after one run that warms the worker up. */
  async function trainSweep(args: string[], warmFirst: boolean): Promise<{ ws: string; jobs: any[] }> {
    const ws = tempWorkspace();
    writeDataset(ws);
    const d = startDaemon(ws, ['--max-parallel', '2', ...args]);
    if (warmFirst) {
      writeRun(ws, 'warm-up', baseRequest({ model: { family: 'logistic_regression', hyperparameters: {} } }));
      await runCli(['enqueue-run', '--run-id', 'warm-up'], { cwd: ws });
      await waitFor('the worker is up', () => workerLog(ws).includes('ready in'), 120_000);
    }
    const plan = samplePlan(ws, { strategy: { type: 'grid', parameters: [{ path: 'seed', values: SEEDS }] } });
    await runCli(['enqueue-sweep', '--plan', writePlan(ws, plan)], { cwd: ws });
    const all = await waitFor('trained', allDone(ws, SEEDS.length + (warmFirst ? 1 : 0)), 120_000);
    d.kill();
    await d.exited;
    return { ws, jobs: all.filter((j: any) => j.run_id !== 'warm-up') };
  }

  it('trains a sweep as forks of the warm worker, with the same results as cold starts', async () => {
    const warm = await trainSweep([], true);
    expect(warm.jobs.map((j) => j.state)).toEqual(SEEDS.map(() => 'succeeded'));
    const log = workerLog(warm.ws);
    for (const j of warm.jobs) expect(log, j.job_id).toContain(`run ${j.job_id}: pid`);
    const cold = await trainSweep(['--no-warm-trainer'], false);
    expect(cold.jobs.map((j) => j.state)).toEqual(SEEDS.map(() => 'succeeded'));
    expect(workerLog(cold.ws)).toBe('');
    // Same data, same seeds: the same metrics run by run, warm or cold.
    const metrics = (ws: string, jobs: any[]): Record<number, unknown> =>
      Object.fromEntries(jobs.map((j) => [readJson(path.join(runFolder(ws, j.run_id), 'request.json')).seed, readJson(path.join(runFolder(ws, j.run_id), 'result.json')).summary.metrics]));
    expect(metrics(warm.ws, warm.jobs)).toEqual(metrics(cold.ws, cold.jobs));
    for (const j of warm.jobs) {
      const lines = logLines(warm.ws, j.run_id);
      expect(lines).toContain('[RF:STAGE=TRAINING]');
      expect(lines.filter((l) => l === '[RF:STAGE=COMPLETED]')).toHaveLength(1);
    }
  });
});

describe('the spawner', () => {
  const parentOf = (pid: number): number | undefined => {
    try {
      return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    } catch {
      return undefined; // gone
    }
  };

  it('starts jobs once it is up; killed, its jobs still end and are recorded, and later jobs start without it', async () => {
    const ws = tempWorkspace();
    writeRun(ws, 'first', baseRequest({ command: ['true'] }));
    writeRun(ws, 'third', baseRequest({ command: ['true'] }));
    const d = startDaemon(ws, ['--max-parallel', '8']);
    await d.waitForLine(/DAEMON=STARTED/);
    // The first job starts the spawner (and itself starts directly while it comes up).
    await runCli(['enqueue-run', '--run-id', 'first'], { cwd: ws });
    await waitFor('first done', allDone(ws, 1));
    // This daemon's spawner (other tests' daemons have theirs).
    const spawner = await waitFor('the spawner', () => findProcesses(path.join(REPO_ROOT, 'dist', 'process', 'spawner-process.js')).find((p) => parentOf(p) === d.pid));
    // Jobs that wait for the release file, until one is started by the spawner (once it said it is ready).
    let viaSpawner: any;
    for (let i = 0; i < 20 && !viaSpawner; i++) {
      writeRun(ws, `probe-${i}`, baseRequest({ command: waiting(0) }));
      await runCli(['enqueue-run', '--run-id', `probe-${i}`], { cwd: ws });
      const job = await waitFor('probe running', () => queueJobs(ws).find((j) => j.run_id === `probe-${i}` && j.state === 'running' && j.pid));
      if (parentOf(job.pid) === spawner) viaSpawner = job;
    }
    expect(viaSpawner && parentOf(viaSpawner.pid)).toBe(spawner);
    const probes = queueJobs(ws).filter((j) => j.run_id.startsWith('probe-')).length;
    process.kill(spawner, 'SIGKILL');
    writeFileSync(path.join(ws, 'release'), '');
    await waitFor('probes done', allDone(ws, 1 + probes));
    expect(queueJobs(ws).find((j) => j.job_id === viaSpawner.job_id)).toMatchObject({ state: 'succeeded', exit_code: 0 });
    await runCli(['enqueue-run', '--run-id', 'third'], { cwd: ws });
    const jobs = await waitFor('third done', allDone(ws, 2 + probes));
    expect(jobs.every((j) => j.state === 'succeeded')).toBe(true);
    d.kill();
    await d.exited;
  });
});
