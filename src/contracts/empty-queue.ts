/** The queue of a workspace that has none yet (zod-free: read-only commands use it). */
import { DEFAULT_GPU_SLOTS, DEFAULT_MAX_PARALLEL } from './constants.js';
import type { Queue } from './queue.js';

export function emptyQueue(): Queue {
  return {
    version: 1,
    kind: 'execution_queue',
    max_parallel: DEFAULT_MAX_PARALLEL,
    gpu_slots: DEFAULT_GPU_SLOTS,
    jobs: [],
    last_served_group: null,
  };
}
