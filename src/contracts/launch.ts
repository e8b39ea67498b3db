/**
 * `<run>/.launch.json` (NEW): what the daemon decided when it started a run, kept until the run is
 * concluded, so that a daemon taking over after a crash can conclude a run the previous one started
 * (docs/daemon.md). Written and read by RunForge only.
 */
import { z } from 'zod';

export const LaunchRecordSchema = z.looseObject({
  job_id: z.string().nullable(),
  /** When the run started, epoch ms. */
  started_ms: z.number(),
  name: z.string().nullable(),
  /** `command`: the request's own program; `trainer`: the built-in trainer. */
  mode: z.enum(['command', 'trainer']),
  /** The program started (the user's, or the trainer's Python), for messages. */
  program: z.string(),
  effective_config: z.record(z.string(), z.unknown()),
  /**
   * The run's process, once known: written before queue.json records it, so a daemon taking over
   * after a crash in between finds the process instead of starting the run a second time.
   */
  pid: z.number().int().positive().optional(),
  /** The run's own time limit (request `timeout_s`), ms; absent: the daemon's `--job-timeout`. Kept so that a daemon re-adopting the job keeps it. */
  timeout_ms: z.number().positive().optional(),
  process_start_time: z.string().nullable().optional(),
});
export type LaunchRecord = z.infer<typeof LaunchRecordSchema>;
