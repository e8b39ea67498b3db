/**
 * The Executor contract (src/executor/executor.ts): what every executor guarantees, checked through the
 * interface alone with small real programs. The local executor runs it now
 * (tests/contracts/local-executor.test.ts); a Slurm executor runs the same suite, not friendlier tests
 * of its own. Processes are looked at from outside (/proc, files the programs write), never through
 * what the executor under test reports about them.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Executor, type JobHandle, type LaunchRequest, type RecordLaunch, type StartedJob, StartError } from '../../src/executor/executor.js';
import { FAKE_GPU_BIN, waitFor } from '../helpers/daemon.js';
import { probeNumbers, waitForProbe } from '../helpers/probe.js';
import {
  commandRequest,
  delay,
  FORK_GRANDCHILD,
  isLive,
  Leftovers,
  linesOf,
  liveMembers,
  livePidsWithArgv,
  newRun,
  settlesWithin,
  shRequest,
  TERM_PROBE,
  uniqueDigits,
} from './executor-programs.js';

/** An executor under test, in a workspace of its own. */
export interface ExecutorUnderTest {
  executor: Executor;
  /** A fresh instance over the same workspace, as after a daemon restart. */
  reopen(): Executor;
  /** Closes every instance made (`close`; the jobs are the suite's to stop) and lets go of the workspace. */
  dispose(): Promise<void>;
  /** The workspace folder: run folders are made under it. */
  dir: string;
}

export interface ExecutorFactoryOptions {
  /** The environment the executor itself sees (PATH decides which nvidia-smi, if any, it finds). */
  env: NodeJS.ProcessEnv;
}

export type ExecutorFactory = (options: ExecutorFactoryOptions) => ExecutorUnderTest | Promise<ExecutorUnderTest>;

interface Ctx {
  factory: ExecutorFactory;
  t: ExecutorUnderTest;
  left: Leftovers;
}

/** What `start` passed to `record`, in order. */
type RecordCalls = (JobHandle | undefined)[];

/** How long a stop test gives a job to leave after SIGTERM before SIGKILL, ms. */
const GRACE_MS = 1500;

/** The process environment without any folder of PATH that holds an nvidia-smi. */
function envWithoutNvidiaSmi(): NodeJS.ProcessEnv {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '' && !existsSync(path.join(d, 'nvidia-smi')));
  return { ...process.env, PATH: dirs.join(path.delimiter) };
}

/** Starts `request` on `executor`, its record noted (after `recordDelayMs`) and its job left for the clean-up. */
async function launch(ctx: Ctx, request: LaunchRequest, executor = ctx.t.executor, recordDelayMs = 0): Promise<StartedJob & { calls: RecordCalls }> {
  const calls: RecordCalls = [];
  const record: RecordLaunch = async (handle) => {
    calls.push(handle);
    if (handle) ctx.left.job(handle);
    if (recordDelayMs > 0) await delay(recordDelayMs);
    // The launch record exists from now on: a program that runs later sees it.
    writeFileSync(path.join(request.runDir, 'recorded'), '');
  };
  const started = await executor.start(request, record);
  ctx.left.job(started.handle);
  return { ...started, calls };
}

/** Starts a job that marks `ready` once set up and then runs until `release` exists in its run folder. */
async function launchHeld(ctx: Ctx, ignoreTerm = false, recordDelayMs = 0): Promise<StartedJob & { calls: RecordCalls; runId: string; runDir: string }> {
  const run = newRun(ctx.t.dir);
  const trap = ignoreTerm ? "trap '' TERM; " : '';
  const job = await launch(ctx, shRequest(run, `${trap}: > ready; while [ ! -e release ]; do echo tick >> ticks; sleep 0.05; done`), ctx.t.executor, recordDelayMs);
  await waitFor(`the job in ${run.runDir} to be set up`, () => existsSync(path.join(run.runDir, 'ready')));
  return { ...job, ...run };
}

/** Stops `handle` and times it, ms. */
async function timedStop(executor: Executor, handle: JobHandle, graceMs: number): Promise<{ forced: boolean; ms: number }> {
  const t0 = performance.now();
  const { forced } = await executor.stop(handle, graceMs);
  return { forced, ms: performance.now() - t0 };
}

/** The grandchild `sleep 299.<digits>` (or 298.…), once it runs. */
const grandchildOf = (digits: string, prefix = '299'): Promise<number> =>
  waitFor(`the grandchild sleep ${prefix}.${digits}`, () => livePidsWithArgv('sleep', `${prefix}.${digits}`)[0]);

/**
 * Runs the executor contract against the executor `factory` makes (a fresh workspace for each test).
 * `name` names the implementation in the test titles.
 */
export function describeExecutorContract(name: string, factory: ExecutorFactory): void {
  describe(`Executor contract: ${name}`, () => {
    const ctx = { factory } as Ctx;
    beforeEach(async () => {
      ctx.left = new Leftovers();
      ctx.t = await factory({ env: { ...process.env } });
    });
    afterEach(async () => {
      ctx.left.killAll();
      await ctx.t.dispose();
    });
    describeStart(ctx);
    describeStop(ctx);
    describeAdoption(ctx);
    describeChecks(ctx);
  });
}

function describeStart(ctx: Ctx): void {
  it('start awaits record before the program runs, and has recorded the handle by the time it resolves', async () => {
    // Several jobs in a row: an executor may start its first job one way and later ones another.
    for (let i = 0; i < 4; i++) {
      const run = newRun(ctx.t.dir);
      const job = await launch(ctx, shRequest(run, 'if [ -e recorded ]; then echo yes > saw; else echo no > saw; fi'), ctx.t.executor, 300);
      const atStart = [...job.calls];
      expect(await job.exited).toEqual({ exitCode: 0, signal: null });
      expect(readFileSync(path.join(run.runDir, 'saw'), 'utf8'), `job ${i}: the program saw the launch record`).toBe('yes\n');
      // At most one call without a handle, the first; every handle recorded is the job's.
      expect(atStart.length).toBeGreaterThan(0);
      expect(atStart.slice(1).every((h) => h !== undefined)).toBe(true);
      expect(atStart.at(-1)).toEqual(job.handle);
      for (const h of atStart) if (h) expect(h).toEqual(job.handle);
      expect(job.handle.pid).toBeGreaterThan(1);
      expect(job.handle.pgid).toBeGreaterThan(1);
    }
  });

  it('exited settles with the exit code, or the signal of a program that killed itself', async () => {
    const three = await launch(ctx, shRequest(newRun(ctx.t.dir), 'exit 3'));
    expect(await three.exited).toEqual({ exitCode: 3, signal: null });
    const usr1 = await launch(ctx, shRequest(newRun(ctx.t.dir), 'kill -USR1 $$'));
    expect(await usr1.exited).toEqual({ exitCode: null, signal: 'SIGUSR1' });
    const ok = await launch(ctx, commandRequest(newRun(ctx.t.dir), 'true', []));
    expect(await ok.exited).toEqual({ exitCode: 0, signal: null });
  });

  it('find names a running job from its run folder, and nothing once it ended or where none runs', async () => {
    const job = await launchHeld(ctx);
    // Needed when the launch record names no process (its daemon died before the second record).
    if (job.calls[0] === undefined) expect(ctx.t.reopen().find({ runDir: job.runDir })).toEqual(job.handle);
    expect(ctx.t.executor.find({ runDir: newRun(ctx.t.dir).runDir })).toBeUndefined();
    writeFileSync(path.join(job.runDir, 'release'), '');
    expect(await job.exited).toEqual({ exitCode: 0, signal: null });
    await waitFor('the job to be gone', () => liveMembers(job.handle.pgid).length === 0);
    expect(ctx.t.reopen().find({ runDir: job.runDir })).toBeUndefined();
  });

  it('close leaves running jobs running (they outlive the daemon)', async () => {
    const a = await launchHeld(ctx);
    const b = await launchHeld(ctx);
    await ctx.t.executor.close();
    for (const job of [a, b]) {
      const ticks = linesOf(path.join(job.runDir, 'ticks')).length;
      // Still at work well after close: ticks go on being written.
      await waitFor(`the job in ${job.runDir} to go on after close`, () => linesOf(path.join(job.runDir, 'ticks')).length >= ticks + 10);
      expect(ctx.t.reopen().isRunning(job.handle, job.runId)).toBe(true);
    }
  });
}

/**
 * Two held jobs, the second started once the first runs: an executor may start its first job one way
 * and later ones another (the local executor: a plain spawn, then a pooled shell once its spawner is
 * up, which the first job's slow launch record gives it time for), and stops must hold for each. They
 * are stopped at once, which also shows stops of different jobs do not wait on each other.
 */
async function launchTwoHeld(ctx: Ctx, ignoreTerm: boolean): Promise<Awaited<ReturnType<typeof launchHeld>>[]> {
  const first = await launchHeld(ctx, ignoreTerm, 500);
  return [first, await launchHeld(ctx, ignoreTerm)];
}

function describeStop(ctx: Ctx): void {
  it('stop: a job that ignores SIGTERM is SIGKILLed once the grace has passed, not before', async () => {
    const jobs = await launchTwoHeld(ctx, true);
    const stops = await Promise.all(jobs.map((job) => timedStop(ctx.t.executor, job.handle, GRACE_MS)));
    for (const [i, job] of jobs.entries()) {
      expect(stops[i]!.forced, `job ${i}`).toBe(true);
      expect(stops[i]!.ms, `job ${i}`).toBeGreaterThanOrEqual(GRACE_MS - 50);
      expect(stops[i]!.ms, `job ${i}`).toBeLessThan(GRACE_MS + 15_000);
      expect(liveMembers(job.handle.pgid), `job ${i}`).toEqual([]);
      expect(await settlesWithin(job.exited, 15_000), `job ${i}`).toBe(true);
    }
  });

  it('stop: a job that exits on SIGTERM is not forced and does not wait out the grace', async () => {
    const jobs = await launchTwoHeld(ctx, false);
    const stops = await Promise.all(jobs.map((job) => timedStop(ctx.t.executor, job.handle, 30_000)));
    for (const [i, job] of jobs.entries()) {
      expect(stops[i]!.forced, `job ${i}`).toBe(false);
      expect(stops[i]!.ms, `job ${i}`).toBeLessThan(15_000);
      expect(liveMembers(job.handle.pgid), `job ${i}`).toEqual([]);
      expect(await settlesWithin(job.exited, 15_000), `job ${i}`).toBe(true);
    }
  });

  it('stop takes the whole tree: the grandchild is gone afterwards', async () => {
    const jobs: { handle: JobHandle; grandchild: number }[] = [];
    for (let i = 0; i < 2; i++) {
      const digits = uniqueDigits();
      // As in launchTwoHeld: the first job's record is slow, so the second may be started another way.
      const job = await launch(ctx, commandRequest(newRun(ctx.t.dir), FORK_GRANDCHILD, [digits]), ctx.t.executor, i === 0 ? 500 : 0);
      const grandchild = await grandchildOf(digits);
      ctx.left.pid(grandchild);
      expect(isLive(grandchild)).toBe(true);
      jobs.push({ handle: job.handle, grandchild });
    }
    await Promise.all(jobs.map((job) => ctx.t.executor.stop(job.handle, GRACE_MS)));
    for (const [i, job] of jobs.entries()) {
      expect(isLive(job.grandchild), `job ${i}`).toBe(false);
      expect(liveMembers(job.handle.pgid), `job ${i}`).toEqual([]);
    }
  });

  it('two stops at once send one SIGTERM and resolve together', async () => {
    const run = newRun(ctx.t.dir);
    const job = await launch(ctx, commandRequest(run, TERM_PROBE, ['trap']));
    const probe = await waitForProbe(run.runDir);
    ctx.left.pid(probe.parent.pid);
    ctx.left.pid(probe.child.pid);
    const first = timedStop(ctx.t.executor, job.handle, GRACE_MS);
    // The second comes while the first is under way: after its SIGTERM arrived.
    await waitFor('the first SIGTERM', () => probeNumbers(run.runDir, 'parent.term').length > 0);
    const second = ctx.t.executor.stop(job.handle, GRACE_MS).then((r) => ({ ...r, at: performance.now() }));
    const a = await first;
    const firstEnd = performance.now();
    const b = await second;
    expect(probeNumbers(run.runDir, 'parent.term')).toHaveLength(1);
    expect(probeNumbers(run.runDir, 'child.term')).toHaveLength(1);
    // Joined, the second ends with the first, with its outcome (the SIGKILL after the first's grace).
    expect([a.forced, b.forced]).toEqual([true, true]);
    expect(Math.abs(firstEnd - b.at)).toBeLessThan(1000);
    expect(liveMembers(job.handle.pgid)).toEqual([]);
  });

  it('reap stops a grandchild left by a job whose own process ended (SIGTERM, grace, SIGKILL)', async () => {
    const digits = uniqueDigits();
    const run = newRun(ctx.t.dir);
    // The grandchild ignores SIGTERM: reaping it takes the SIGKILL after the grace.
    const job = await launch(ctx, shRequest(run, `(trap '' TERM; exec sleep 298.${digits}) & exit 0`));
    const grandchild = await grandchildOf(digits, '298');
    ctx.left.pid(grandchild);
    expect(await job.exited).toEqual({ exitCode: 0, signal: null });
    expect(isLive(grandchild)).toBe(true);
    const t0 = performance.now();
    await ctx.t.executor.reap(job.handle, GRACE_MS);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(GRACE_MS - 50);
    expect(isLive(grandchild)).toBe(false);
    expect(liveMembers(job.handle.pgid)).toEqual([]);
  });
}

function describeAdoption(ctx: Ctx): void {
  it('after a restart, the new instance knows the job is running, waits for its end, and then knows it ended', async () => {
    const job = await launchHeld(ctx);
    ctx.t.executor.abandon();
    const next = ctx.t.reopen();
    expect(next.isRunning(job.handle, job.runId)).toBe(true);
    const ended = next.waitForEnd(job.handle);
    // The job cannot end before it is released: waitForEnd must still be waiting.
    expect(await settlesWithin(ended, 600)).toBe(false);
    expect(next.isRunning(job.handle, job.runId)).toBe(true);
    writeFileSync(path.join(job.runDir, 'release'), '');
    await ended;
    expect(liveMembers(job.handle.pgid)).toEqual([]);
    expect(next.isRunning(job.handle, job.runId)).toBe(false);
  });

  it('a handle whose start time is another process’s (a reused PID) is not running', async () => {
    const job = await launchHeld(ctx);
    const next = ctx.t.reopen();
    const reused: JobHandle = { ...job.handle, startTime: `other:${String(job.handle.startTime)}` };
    expect(next.isRunning(job.handle, job.runId)).toBe(true);
    expect(next.isRunning(reused, job.runId)).toBe(false);
    expect(ctx.t.executor.isRunning(reused, job.runId)).toBe(false);
  });

  it('after a restart, the new instance stops the job: SIGTERM, grace, SIGKILL of the tree', async () => {
    const job = await launchHeld(ctx, true);
    ctx.t.executor.abandon();
    const stop = await timedStop(ctx.t.reopen(), job.handle, GRACE_MS);
    expect(stop.forced).toBe(true);
    expect(stop.ms).toBeGreaterThanOrEqual(GRACE_MS - 50);
    expect(liveMembers(job.handle.pgid)).toEqual([]);
    expect(ctx.t.reopen().isRunning(job.handle, job.runId)).toBe(false);
  });
}

function describeChecks(ctx: Ctx): void {
  it('check gives a one-line reason for a program that is missing or not executable, nothing for one that runs', async () => {
    const run = newRun(ctx.t.dir);
    const plain = path.join(run.runDir, 'plain.sh');
    writeFileSync(plain, '#!/bin/sh\nexit 0\n');
    chmodSync(plain, 0o644);
    for (const program of [path.join(run.runDir, 'no-such-program'), 'no-such-program-on-path', plain]) {
      const reason = ctx.t.executor.check(commandRequest(run, program, []));
      expect(reason, program).toMatch(/^[^\n]+$/);
    }
    expect(ctx.t.executor.check(commandRequest(run, 'sh', ['-c', 'exit 0']))).toBeUndefined();
    expect(ctx.t.executor.check(commandRequest(run, FORK_GRANDCHILD, ['1']))).toBeUndefined();
  });

  it('start of a missing program rejects with StartError, or its job fails', async () => {
    const run = newRun(ctx.t.dir);
    const request = commandRequest(run, path.join(run.runDir, 'no-such-program'), []);
    try {
      const job = await launch(ctx, request);
      const exit = await job.exited;
      expect(exit.exitCode !== 0 || exit.signal !== null, `exit ${JSON.stringify(exit)}`).toBe(true);
    } catch (err) {
      expect(err).toBeInstanceOf(StartError);
      expect((err as Error).message).toMatch(/^[^\n]+$/);
    }
  });

  it('capabilities: the GPUs this machine offers (two from the stand-in nvidia-smi, none without it)', async () => {
    const withGpus = await ctx.factory({ env: { ...process.env, PATH: `${FAKE_GPU_BIN}${path.delimiter}${process.env.PATH}`, FAKE_GPUS: '0:16000,1:12000' } });
    const without = await ctx.factory({ env: envWithoutNvidiaSmi() });
    try {
      const caps = await withGpus.executor.capabilities();
      expect(caps.gpus.map((g) => [g.index, g.name])).toEqual([
        [0, 'Fake RunForge GPU 0'],
        [1, 'Fake RunForge GPU 1'],
      ]);
      expect(Number.isInteger(caps.cpus) && caps.cpus >= 1).toBe(true);
      expect(caps.labels.every((l) => typeof l === 'string')).toBe(true);
      expect((await without.executor.capabilities()).gpus).toEqual([]);
    } finally {
      await withGpus.dispose();
      await without.dispose();
    }
  });
}
