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
  /**
   * NEW: the OS start time of the daemon's process (`linux:<ticks since boot>`), so that a reader can
   * tell the daemon from a later process that got its PID.
   */
  process_start_time: z.string().optional(),
  /**
   * NEW: the machine the daemon runs on. A reader on the same machine (same hostname and boot) checks
   * the daemon's PID and knows at once that it is dead; elsewhere only the heartbeat's age can tell.
   */
  host: z
    .looseObject({
      hostname: z.string(),
      /** /proc/sys/kernel/random/boot_id: a PID means nothing across a reboot. */
      boot_id: z.string().optional(),
    })
    .optional(),
  /** NEW: GPU jobs per device at most. */
  jobs_per_gpu: PositiveInt.optional(),
  /** NEW: the devices the daemon detected at start. */
  gpus: z
    .array(z.looseObject({ index: NonNegativeInt, name: z.string(), uuid: z.string().optional(), memory_total_mb: z.number().optional() }))
    .optional(),
});
export type DaemonStatus = z.infer<typeof DaemonStatusSchema>;
