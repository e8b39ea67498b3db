/**
 * Typed events: the seam for observation. The daemon emits; the CLI (tokens on stdout), the logger,
 * the dashboard and tests subscribe.
 */
import { EventEmitter } from 'node:events';
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

export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> extends EventEmitter {
  override emit<K extends keyof Events & string>(event: K, ...args: Events[K]): boolean {
    return super.emit(event, ...args);
  }
  override on<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }
  override once<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }
}
