/** `.runforge/queue/daemon.json`: the daemon's heartbeat. SPEC §6. */
import { z } from 'zod';
import { NonNegativeInt, PositiveInt, Timestamp } from './common.js';
import { DAEMON_STATES } from './constants.js';

export { DAEMON_STATES, HEARTBEAT_STALE_MS } from './constants.js';

export const DaemonStatusSchema = z.looseObject({
  version: z.literal(1),
  pid: PositiveInt,
  started_at: Timestamp,
  last_heartbeat: Timestamp,
  max_parallel: PositiveInt,
  gpu_slots: NonNegativeInt,
  active_jobs: NonNegativeInt,
  active_gpu_jobs: NonNegativeInt,
  state: z.enum(DAEMON_STATES),
  /** NEW: GPU jobs per device at most. */
  jobs_per_gpu: PositiveInt.optional(),
  /** NEW: the devices the daemon detected at start. */
  gpus: z
    .array(z.looseObject({ index: NonNegativeInt, name: z.string(), uuid: z.string().optional(), memory_total_mb: z.number().optional() }))
    .optional(),
});
export type DaemonStatus = z.infer<typeof DaemonStatusSchema>;
