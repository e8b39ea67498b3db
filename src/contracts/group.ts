/** `.runforge/groups/<group-id>/group.json`: the record of a sweep. SPEC §3. */
import { z } from 'zod';
import { NonNegativeInt, PositiveInt, SafeId, Timestamp } from './common.js';
import { GROUP_STATUSES, RUN_STATUSES } from './constants.js';
import { METRIC_GOALS, MetricSchema } from './metric.js';

export { GROUP_STATUSES, type GroupRunStatus, type GroupStatus, RUN_STATUSES } from './constants.js';

export const GroupRunSchema = z.looseObject({
  run_id: SafeId,
  status: z.enum(RUN_STATUSES),
  request_overrides: z.record(z.string(), z.unknown()).default({}),
  /** Workspace-relative path of the run's result.json, forward slashes. */
  result_ref: z.string().nullable().optional(),
  primary_metric: z.number().nullable().optional(),
  /** Which metric `primary_metric` is, and whether higher or lower is better (NEW, optional on read). */
  primary_metric_name: z.string().optional(),
  primary_metric_goal: z.enum(METRIC_GOALS).optional(),
});
export type GroupRun = z.infer<typeof GroupRunSchema>;

export const GroupSchema = z.looseObject({
  version: z.literal(1),
  kind: z.literal('run_group'),
  group_id: SafeId,
  created_at: Timestamp,
  created_by: z.string(),
  name: z.string(),
  notes: z.string().nullable().optional(),
  plan_ref: z.string().nullable().optional(),
  /** The metric that ranks the runs (NEW): the plan's, else its base request's; null: the fallback. */
  metric: MetricSchema.nullable().optional(),
  status: z.enum(GROUP_STATUSES),
  execution: z.looseObject({
    max_parallel: PositiveInt,
    started_at: Timestamp.nullable().optional(),
    finished_at: Timestamp.nullable().optional(),
    cancelled: z.boolean().default(false),
  }),
  runs: z.array(GroupRunSchema),
  summary: z.looseObject({
    total: NonNegativeInt,
    succeeded: NonNegativeInt,
    failed: NonNegativeInt,
    canceled: NonNegativeInt,
    best_run_id: z.string().nullable().optional(),
    best_primary_metric: z.number().nullable().optional(),
  }),
  /** While true the daemon starts nothing from this group. */
  paused: z.boolean().default(false),
});
export type Group = z.infer<typeof GroupSchema>;
