/** `.runforge/queue/queue.json`: the queue. SPEC §4. */
import { z } from 'zod';
import { NonNegativeInt, PositiveInt, SafeId, Timestamp } from './common.js';
import { JOB_STATES } from './constants.js';

export { DEFAULT_GPU_SLOTS, DEFAULT_MAX_PARALLEL, JOB_STATES, type JobState, TERMINAL_JOB_STATES, UNGROUPED } from './constants.js';

export const JobSchema = z.looseObject({
  job_id: SafeId,
  kind: z.literal('run'),
  run_id: SafeId,
  group_id: SafeId.nullable(),
  /** Higher runs first. */
  priority: z.int(),
  state: z.enum(JOB_STATES),
  requires_gpu: z.boolean(),
  /** 1 for the first attempt at a run, +1 per retry or requeue. */
  attempt: PositiveInt,
  created_at: Timestamp,
  started_at: Timestamp.nullable().optional(),
  finished_at: Timestamp.nullable().optional(),
  error: z.string().nullable().optional(),
  /** NEW: the GPU index given to a running GPU job. */
  gpu_device: NonNegativeInt.nullable().optional(),
  /** NEW: process id of the running job (also its process-group id: jobs lead their own group). */
  pid: PositiveInt.nullable().optional(),
  pgid: PositiveInt.nullable().optional(),
  /** NEW: the start time of process `pid` as the OS reports it, to tell it from a reused PID. */
  process_start_time: z.string().nullable().optional(),
  /** NEW: exit code of the job's process, when it exited. */
  exit_code: z.int().nullable().optional(),
  /** NEW: set by cancel-group/cancel-run on a running job; the daemon stops it. */
  cancel_requested: z.boolean().optional(),
});
export type Job = z.infer<typeof JobSchema>;

export const QueueSchema = z.looseObject({
  version: z.literal(1),
  kind: z.literal('execution_queue'),
  max_parallel: PositiveInt,
  gpu_slots: NonNegativeInt,
  jobs: z.array(JobSchema),
  last_served_group: z.string().nullable().default(null),
  /**
   * NEW: how many finished jobs were moved from `jobs` to history.jsonl (the archive), by state. Kept
   * here so that status commands can count them without reading the history. Absent: none archived.
   */
  archived: z
    .looseObject({ succeeded: NonNegativeInt.default(0), failed: NonNegativeInt.default(0), canceled: NonNegativeInt.default(0) })
    .optional(),
});
export type Queue = z.infer<typeof QueueSchema>;
export type ArchivedCounts = NonNullable<Queue['archived']>;

export { emptyQueue } from './empty-queue.js';
