/**
 * The Executor seam: how a job's training process is run. The local executor (pooled shells, the warm
 * Python worker, a plain spawn; executor/local/) is the first implementation; a Slurm executor is the
 * next. Every implementation runs the same suite, tests/contracts/executor.contract.ts.
 *
 * Guarantees every implementation gives (the contract suite checks each):
 * - `start` awaits `record` before the job's program can run: with the job's handle when the executor
 *   knows it in advance, otherwise first without one and then with it as soon as it is known. A daemon
 *   that dies anywhere in between leaves a launch record from which the next one finds the job (or
 *   knows it never ran): a job is started once.
 * - A handle identifies the job's process across daemon restarts (PID + the OS's start time for the
 *   local executor): a later process that reuses the PID is not taken for the job.
 * - `exited` settles once, when the job's process has ended, with its exit code or signal.
 * - `stop` is SIGTERM, a grace period, SIGKILL — of the whole tree (the job's process group), and resolves
 *   once nothing of it is left; a second stop while one is under way joins it (one SIGTERM, one grace).
 * - `isRunning` and `waitForEnd` work for a job started by an earlier daemon (adoption).
 * - Nothing the executor does for a job outlives `close` except the jobs themselves.
 */
import type { GpuDevice } from '../gpu/devices.js';
import type { ChildOutcome } from '../process/spawn.js';
import type { LaunchSpec } from '../run/prepare.js';

/** A job's process as the executor knows it, stable across daemon restarts (recorded in the queue). */
export interface JobHandle {
  pid: number;
  /** Process group: the job leads its own, and stopping it stops the group. */
  pgid: number;
  /** The OS's start time of `pid`, to tell the job from a later process that reuses the PID. */
  startTime: string | null;
}

/** What a job asks the executor to run. */
export interface LaunchRequest {
  jobId: string;
  runId: string;
  /** The run folder: the process's output and end record go there. */
  runDir: string;
  /** `trainer`: the built-in trainer (a warm worker may run it); `command`: the user's own program. */
  mode: 'trainer' | 'command';
  spec: LaunchSpec;
}

/** A job the executor started. */
export interface StartedJob {
  handle: JobHandle;
  /** Settles when the process has ended (never rejects). */
  exited: Promise<ChildOutcome>;
}

/** Writes the launch record: without a handle before a process the executor cannot name in advance. */
export type RecordLaunch = (handle: JobHandle | undefined) => Promise<void>;

/** What this executor can run. */
export interface Capabilities {
  /** CPU cores it may use. */
  cpus: number;
  /** GPUs it may hand to jobs (empty when none). */
  gpus: GpuDevice[];
  /** Free-form labels of what it offers (e.g. `local`, a partition name); empty when none. */
  labels: string[];
}

/** A job the executor could not start: the one-line reason goes into the run's result. */
export class StartError extends Error {}

export interface Executor {
  /** What it can run; GPUs are detected once, when first asked. */
  capabilities(): Promise<Capabilities>;
  /** Why the job cannot start (e.g. its program is not found), checked before anything is started; undefined when it can. */
  check(request: LaunchRequest): string | undefined;
  /** Starts the job (see the guarantees on `record`); rejects with `StartError` when it cannot. */
  start(request: LaunchRequest, record: RecordLaunch): Promise<StartedJob>;
  /** SIGTERM, `graceMs`, SIGKILL of the job's whole tree; `forced` when SIGKILL was needed. */
  stop(handle: JobHandle, graceMs: number): Promise<{ forced: boolean }>;
  /** Stops what a job that ended left running in its tree (a grandchild), the same way as `stop`. */
  reap(handle: JobHandle, graceMs: number): Promise<void>;
  /** Whether the job's process is still running; `runId` confirms a handle that has no start time. */
  isRunning(handle: JobHandle, runId: string): boolean;
  /** Settles when a job that this executor did not start in this life (an adopted one) has ended. */
  waitForEnd(handle: JobHandle): Promise<void>;
  /** The job's process when its launch record names none (its daemon died while starting it), if it runs. */
  find(request: Pick<LaunchRequest, 'runDir'>): JobHandle | undefined;
  /** Stops the executor's own helpers (not the jobs), waiting for them. */
  close(): Promise<void>;
  /** Lets go of the executor's own helpers at once, without waiting (another daemon took over). */
  abandon(): void;
}
