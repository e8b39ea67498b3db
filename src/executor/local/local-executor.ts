/**
 * The local executor: jobs run as process groups on this machine, and outlive the daemon. Three ways
 * to start one, chosen here and nowhere else (`start`):
 * - a **pooled shell** (process/pooled-shell.ts): an `sh` already waiting, known by PID before it runs
 *   anything, so the launch record names the job before the job exists — for a user's own command;
 * - a fork of the **warm Python worker** (warm-worker.ts), which has imported the trainer's libraries
 *   once — for the built-in trainer, when the worker runs the Python the run needs and is ready;
 * - a **plain spawn** through the spawner (process/spawner.ts) — when neither is at hand.
 * Whichever way, the job's output goes to `<run>/output.log` and its exit status to `<run>/.exit_status`.
 */
import { cpus } from 'node:os';
import path from 'node:path';
import type { GpuDevice } from '../../gpu/devices.js';
import type { Clock } from '../../infra/clock.js';
import { installRoot } from '../../infra/install.js';
import type { Logger } from '../../infra/logger.js';
import { shellExit } from '../../process/exit-status.js';
import { findProcessByArgv, isGroupAlive, isSameProcess, processArgv, waitForExit } from '../../process/identity.js';
import { pooledJobScript } from '../../process/pooled-shell.js';
import { terminateProcessGroup } from '../../process/signal.js';
import { type DetachedProcess, findProgram, withExitFile } from '../../process/spawn.js';
import { Spawner } from '../../process/spawner.js';
import { exitStatusFileOf as exitFileOf, outputFile } from '../../run/files/names.js';
import type { LaunchSpec } from '../../run/prepare.js';
import type { WorkspacePaths } from '../../workspace/paths.js';
import { type Capabilities, type Executor, type JobHandle, type LaunchRequest, type RecordLaunch, StartError, type StartedJob } from '../executor.js';
import { WarmWorker } from './warm-worker.js';

export interface LocalExecutorOptions {
  ws: WorkspacePaths;
  clock: Clock;
  log: Logger;
  /** The daemon's environment (the pooled shells start with it). */
  env: NodeJS.ProcessEnv;
  /** Jobs that may start at once: as many shells wait in the pool (at most `MAX_POOLED_SHELLS`). */
  maxParallel: number;
  /** Start built-in trainer runs as forks of a warm Python worker. */
  warmTrainer: boolean;
  /** The Python the trainer's runs use (without torch): the warm worker runs it. */
  trainerPython: () => Promise<string>;
  /** GPU detection; called once, on the first `capabilities()`. */
  detectGpus: () => Promise<GpuDevice[]>;
}

/** Shells kept waiting for jobs at most (pooled-shell.ts), whatever `--max-parallel` is. */
const MAX_POOLED_SHELLS = 8;
/** How long the executor trusts that a job's program exists, ms. */
const PROGRAM_CACHE_MS = 5_000;

export class LocalExecutor implements Executor {
  private readonly spawner: Spawner;
  private worker: WarmWorker | undefined;
  private lastWorkerError: string | undefined;
  private gpus: Promise<GpuDevice[]> | undefined;
  /** Programs of jobs found lately (`check`), by program, folder and PATH: when, ms. */
  private readonly programsFound = new Map<string, number>();

  constructor(private readonly o: LocalExecutorOptions) {
    this.spawner = new Spawner(path.join(installRoot(), 'dist', 'process', 'spawner-process.js'), o.clock);
    // A start takes a waiting shell: as many wait as can start at once (a pass starts that many at most).
    this.spawner.usePool(Math.min(o.maxParallel, MAX_POOLED_SHELLS), o.env);
  }

  async capabilities(): Promise<Capabilities> {
    this.gpus ??= this.o.detectGpus();
    return { cpus: cpus().length, gpus: await this.gpus, labels: ['local'] };
  }

  /**
   * Whether the job's program can be started (`findProgram`), a found program remembered for a few
   * seconds: a sweep starts the same program for every run, and looking costs a look in each PATH
   * folder. (One removed meanwhile fails as the shell reports it: exit code 127.)
   */
  check(request: LaunchRequest): string | undefined {
    const { program, cwd, env } = request.spec;
    const key = `${program}\0${cwd}\0${env.PATH ?? ''}`;
    const seen = this.programsFound.get(key);
    if (seen !== undefined && this.o.clock.now() - seen < PROGRAM_CACHE_MS) return undefined;
    if (!findProgram(program, cwd, env.PATH)) return 'not found, or not executable (searched PATH)';
    if (this.programsFound.size > 100) this.programsFound.clear();
    this.programsFound.set(key, this.o.clock.now());
    return undefined;
  }

  /**
   * A user's command takes a pooled shell (named in the launch record before it runs); the trainer
   * forks the warm worker, else takes a pooled shell; anything else is spawned. Without a pooled shell
   * the launch record is written first without the process, then with it.
   */
  async start(request: LaunchRequest, record: RecordLaunch): Promise<StartedJob> {
    let pooled = request.mode === 'trainer' ? undefined : this.fromPool(request);
    if (!pooled) await record(undefined);
    let proc = pooled?.proc;
    if (request.mode === 'trainer') {
      proc = await this.forkWarm(request);
      pooled = proc ? undefined : this.fromPool(request);
      proc ??= pooled?.proc;
    }
    if (!proc) {
      const exitFile = exitFileOf(request.runDir);
      const [file, args] = withExitFile(request.spec.program, request.spec.args, exitFile);
      try {
        const spawned = await this.spawner.spawn(file, args, { cwd: request.spec.cwd, env: request.spec.env, outputFile: outputFile(request.runDir), exitFile });
        proc = { ...spawned, exited: spawned.exited.then(shellExit) };
      } catch (err) {
        throw new StartError((err as Error).message);
      }
    }
    if (proc.pid === 0) throw new StartError('the process could not be created');
    const handle: JobHandle = { pid: proc.pid, pgid: proc.pgid, startTime: proc.startTime };
    try {
      await record(handle);
    } catch (err) {
      pooled?.discard();
      throw err;
    }
    pooled?.go();
    return { handle, exited: proc.exited };
  }

  /**
   * A pooled shell for the job (pooled-shell.ts), known by PID before the job runs, and how to let it
   * go; undefined when no shell is waiting (the job is spawned the plain way).
   */
  private fromPool(request: LaunchRequest): { proc: DetachedProcess; go: () => void; discard: () => void } | undefined {
    const pooled = this.spawner.takePooled();
    if (!pooled) return undefined;
    const exitFile = exitFileOf(request.runDir);
    const script = pooledJobScript({ ...request.spec, baseEnv: this.spawner.poolEnv ?? {}, outputFile: outputFile(request.runDir), exitFile });
    if (script === undefined) {
      pooled.discard();
      return undefined;
    }
    return { proc: { ...pooled, exited: pooled.exited.then(shellExit) }, go: () => pooled.start(script, exitFile), discard: () => pooled.discard() };
  }

  /**
   * Starts a trainer run as a fork of the warm worker, when the worker runs this Python and is ready;
   * otherwise undefined (the run starts cold) and the worker is warmed up for the next runs.
   */
  private async forkWarm(request: LaunchRequest): Promise<DetachedProcess | undefined> {
    const spec: LaunchSpec = request.spec;
    if (!this.o.warmTrainer || !spec.trainerArgs) return undefined;
    const base = await this.o.trainerPython().catch(() => undefined);
    if (spec.program !== base) return undefined; // an mlp run needing another Python (with torch) than the worker's
    this.worker ??= new WarmWorker({ python: base, logFile: path.join(this.o.ws.queueDir, 'worker.log'), env: this.o.env, clock: this.o.clock });
    // Waiting for the worker's first start would hold the state lock for a second: start it, run cold now.
    if (!this.worker.isReady) {
      this.worker.warmUp();
      return undefined;
    }
    try {
      return await this.worker.fork({
        id: request.jobId,
        argv: spec.trainerArgs,
        env: spec.env,
        cwd: spec.cwd,
        outputFile: outputFile(request.runDir),
        exitStatusFile: exitFileOf(request.runDir),
      });
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastWorkerError) this.o.log.warn({ err: message }, 'warm worker unavailable; starting runs cold');
      this.lastWorkerError = message;
      return undefined;
    }
  }

  stop(handle: JobHandle, graceMs: number): Promise<{ forced: boolean }> {
    return terminateProcessGroup(handle.pgid, graceMs, this.o.clock);
  }

  async reap(handle: JobHandle, graceMs: number): Promise<void> {
    if (isGroupAlive(handle.pgid)) await terminateProcessGroup(handle.pgid, graceMs, this.o.clock);
  }

  /** A recorded start time identifies the process; without one, its command line must name the run. */
  isRunning(handle: JobHandle, runId: string): boolean {
    if (!isSameProcess(handle.pid, handle.startTime)) return false;
    if (handle.startTime) return true;
    const argv = processArgv(handle.pid);
    return argv === null || argv.some((a) => a.includes(runId));
  }

  async waitForEnd(handle: JobHandle): Promise<void> {
    await waitForExit(handle.pid, handle.startTime, this.o.clock);
  }

  /**
   * A job spawned the plain way whose daemon died before naming it: its shell's command line holds its
   * exit file (the chaos suite's kill storm found such jobs started a second time).
   */
  find(request: Pick<LaunchRequest, 'runDir'>): JobHandle | undefined {
    const proc = findProcessByArgv(exitFileOf(request.runDir));
    return proc ? { pid: proc.pid, pgid: proc.pid, startTime: proc.startTime } : undefined; // every job leads its own process group
  }

  async close(): Promise<void> {
    await this.worker?.close().catch(() => undefined);
    this.spawner.close();
  }

  abandon(): void {
    this.spawner.close();
  }
}
