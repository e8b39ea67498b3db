import { Daemon, type DaemonOptions } from '../../daemon/daemon.js';
import { TrainerPythons } from '../../daemon/trainer-pythons.js';
import { LocalExecutor } from '../../executor/local/local-executor.js';
import { openFileStore } from '../../store/file/file-store.js';
import { detectGpus, type GpuDetectMode, gpuDetectMode } from '../../gpu/detect.js';
import { NO_GPU } from './gpu.js';
import { systemClock } from '../../infra/clock.js';
import { UsageError } from '../../infra/errors.js';
import { VERSION } from '../../version.js';
import { fileLogger, type Logger } from '../../infra/logger.js';
import type { WorkspacePaths } from '../../workspace/paths.js';
import { daemonStartedToken, daemonStoppedToken, jobDoneToken, jobStartedToken } from '../../run/tokens.js';
import { parseIntFlag, parseSecondsFlag, resolveWorkspace } from '../options.js';
import { err, out } from '../output.js';
import { mkdirSync } from 'node:fs';

interface DaemonFlags {
  workspace?: string;
  maxParallel: string;
  gpuSlots: string;
  jobsPerGpu: string;
  jobTimeout: string;
  killGrace: string;
  shutdownGrace: string;
  heartbeatInterval: string;
  staleAfter: string;
  pollInterval: string;
  orphanPolicy: string;
  maxAttempts: string;
  warmTrainer: boolean;
}

/** The daemon's settings from its flags; a bad value is a usage error (exit 2) before anything starts. */
function daemonSettings(opts: DaemonFlags): Omit<DaemonOptions, 'env' | 'detectGpus'> {
  if (opts.orphanPolicy !== 'requeue' && opts.orphanPolicy !== 'fail') {
    throw new UsageError(`--orphan-policy must be requeue or fail (got '${opts.orphanPolicy}')`);
  }
  return {
    maxParallel: parseIntFlag('--max-parallel', opts.maxParallel, 1),
    gpuSlots: parseIntFlag('--gpu-slots', opts.gpuSlots, 0),
    jobsPerGpu: parseIntFlag('--jobs-per-gpu', opts.jobsPerGpu, 1),
    jobTimeoutMs: parseSecondsFlag('--job-timeout', opts.jobTimeout, 0.1),
    killGraceMs: parseSecondsFlag('--kill-grace', opts.killGrace),
    shutdownGraceMs: parseSecondsFlag('--shutdown-grace', opts.shutdownGrace),
    heartbeatMs: parseSecondsFlag('--heartbeat-interval', opts.heartbeatInterval, 0.05),
    staleMs: parseSecondsFlag('--stale-after', opts.staleAfter, 0.1),
    pollMs: parseSecondsFlag('--poll-interval', opts.pollInterval, 0.05),
    orphanPolicy: opts.orphanPolicy,
    maxAttempts: parseIntFlag('--max-attempts', opts.maxAttempts, 1),
    warmTrainer: opts.warmTrainer,
  };
}

/** The daemon over this workspace's store (the file store) and this machine's executor (the local one). */
function localDaemon(ws: WorkspacePaths, settings: Omit<DaemonOptions, 'env' | 'detectGpus'>, log: Logger): Daemon {
  const options: DaemonOptions = { ...settings, env: process.env, detectGpus: async () => (await detectGpus(ws, process.env)).devices };
  const pythons = new TrainerPythons(ws, process.env, systemClock);
  const executor = new LocalExecutor({
    ws,
    clock: systemClock,
    log,
    env: process.env,
    maxParallel: options.maxParallel,
    warmTrainer: options.warmTrainer,
    trainerPython: () => pythons.find(false),
    detectGpus: options.detectGpus,
  });
  return new Daemon(ws, openFileStore(ws, systemClock), executor, options, systemClock, log, pythons);
}

/** The original's `[DAEMON]` lines, and the RF tokens it defined but never printed. */
function printDaemonEvents(daemon: Daemon, ws: WorkspacePaths, gpuDetect: GpuDetectMode): void {
  const tag = (j: { requires_gpu: boolean }): string => (j.requires_gpu ? ' [GPU]' : '');
  daemon.on('daemon:started', (e) => {
    out(`[DAEMON] runforge daemon v${VERSION}`);
    out(`[DAEMON] Workspace: ${ws.root}`);
    out(`[DAEMON] Max parallel: ${e.maxParallel}`);
    out(`[DAEMON] GPU slots: ${e.gpuSlots}`);
    out(`[DAEMON] PID: ${e.pid}`);
    if (e.gpus.length > 0) {
      out(`[DAEMON] GPU available (${e.gpus[0]!.source}):`);
      for (const g of e.gpus) out(`  [${g.index}] ${g.name} (${g.memory_total_mb} MB${g.compute_capability ? `, CC ${g.compute_capability}` : ''})`);
    } else {
      out(`[DAEMON] No GPU available (${NO_GPU[gpuDetect]})`);
      if (e.gpuSlots > 0) out(`[DAEMON] Warning: gpu_slots=${e.gpuSlots} but no GPU detected; GPU runs use the CPU`);
    }
    out(daemonStartedToken(e.pid, e.maxParallel, e.gpuSlots));
  });
  daemon.on('job:started', (e) => {
    out(`[DAEMON] Starting job ${e.job.job_id} (${e.job.run_id})${tag(e.job)}`);
    out(jobStartedToken(e.job.job_id, e.job.run_id, e.gpuDevice !== null));
  });
  daemon.on('job:finished', (e) => {
    out(`[DAEMON] Job ${e.job.job_id} (${e.job.run_id})${tag(e.job)} ${e.job.state}`);
    out(jobDoneToken(e.job.job_id, e.job.run_id, e.job.state));
  });
  daemon.on('lock:takeover', (e) => out(`Took over a stale daemon lock (previous PID ${e.previousPid}: ${e.reason})`));
  daemon.on('daemon:error', (e) => err(`Error: ${e.message}`));
  daemon.on('daemon:stopping', () => {
    out('[DAEMON] Shutdown requested');
    out('[DAEMON] Waiting for active jobs to complete...');
  });
  daemon.on('daemon:stopped', (e) => {
    out('[DAEMON] Shutdown complete');
    out(daemonStoppedToken(e.pid));
  });
}

export async function daemonCommand(opts: DaemonFlags): Promise<number> {
  const settings = daemonSettings(opts);
  // A bad value stops the start (exit 2) rather than fall back silently to another detection.
  const gpuDetect = gpuDetectMode(process.env);
  const ws = resolveWorkspace(opts.workspace);
  mkdirSync(ws.queueDir, { recursive: true });
  const log = fileLogger(ws.daemonLog);
  const daemon = localDaemon(ws, settings, log);
  printDaemonEvents(daemon, ws, gpuDetect);

  const onSignal = (signal: string): void => void daemon.stop(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await daemon.start();
  } catch (error) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    log.flush();
    throw error;
  }
  await daemon.done;
  log.flush();
  // Adopted jobs' pollers and watchers may still hold the event loop: the daemon is done.
  setTimeout(() => process.exit(process.exitCode ?? 0), 50).unref();
  return 0;
}

