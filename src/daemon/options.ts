/** The daemon's settings (`runforge daemon` flags) and the state it is in. */
import type { GpuDevice } from '../gpu/devices.js';
import type { OrphanPolicy } from '../queue/recovery.js';

export interface DaemonOptions {
  /** Jobs running at once at most (the daemon's `--max-parallel`; a plan's `execution.max_parallel` caps its own group). */
  maxParallel: number;
  /** GPU jobs running at once at most. */
  gpuSlots: number;
  /** Jobs per GPU device at most. Default 1. */
  jobsPerGpu: number;
  /** Heartbeat interval in ms. Default 5000. */
  heartbeatMs: number;
  /** A daemon whose heartbeat is older than this (ms) is dead; its lock is taken over. Default 30000. */
  staleMs: number;
  /** Safety-net poll of the queue in ms, besides watching the store. Default 10000. */
  pollMs: number;
  /** A job running longer than this (ms) is killed and fails. Default 3600000. */
  jobTimeoutMs: number;
  /** Between SIGTERM and SIGKILL of a job's process group, ms. Default 10000. */
  killGraceMs: number;
  /** How long a shutdown waits for running jobs before stopping them, ms. Default 60000. */
  shutdownGraceMs: number;
  orphanPolicy: OrphanPolicy;
  /** Attempts of a run at most, when jobs are re-queued after a crash or shutdown. Default 3. */
  maxAttempts: number;
  /**
   * Start built-in trainer runs through a warm Python worker that forks one child per run (no
   * interpreter start and imports per run); runs start cold while it warms up or when it cannot
   * start. Default true.
   */
  warmTrainer: boolean;
  /** Environment for job processes. */
  env: NodeJS.ProcessEnv;
  /** GPU detection; called once at start. */
  detectGpus: () => Promise<GpuDevice[]>;
}

/** starting → running → stopping → stopped; or starting → stopped (a failed start, an early stop). */
export type DaemonState = 'starting' | 'running' | 'stopping' | 'stopped';
