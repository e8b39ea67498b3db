/**
 * Typed events: the seam for observation. The daemon emits; the CLI (tokens on stdout), the logger,
 * the dashboard and tests subscribe.
 */
import type { Job } from '../contracts/queue.js';
import type { GpuDevice } from '../gpu/devices.js';

export interface DaemonEvents {
  'daemon:started': [{ pid: number; maxParallel: number; gpuSlots: number; gpus: GpuDevice[] }];
  'daemon:heartbeat': [{ activeJobs: number; activeGpuJobs: number }];
  'daemon:stopping': [{ reason: string }];
  'daemon:stopped': [{ pid: number }];
  'lock:takeover': [{ previousPid: number; reason: string }];
  'job:started': [{ job: Job; gpuDevice: number | null }];
  'job:adopted': [{ job: Job }];
  'job:finished': [{ job: Job }];
  'job:requeued': [{ failed: Job; retry: Job }];
  'daemon:error': [{ message: string }];
}
