/**
 * `metric {name, goal}` (NEW, as W&B sweeps name theirs): the metric that ranks runs, in a request or
 * a plan. How it is chosen when absent: src/queue/primary-metric.ts, docs/training.md.
 */
import { z } from 'zod';
import { NonEmptyString } from './common.js';

export const METRIC_GOALS = ['maximize', 'minimize'] as const;
export type MetricGoal = (typeof METRIC_GOALS)[number];

export const MetricSchema = z.looseObject({
  /** The metric's name as the run reports it (`accuracy`, `loss`, a custom program's own name). */
  name: NonEmptyString,
  /** Whether a higher (`maximize`) or a lower (`minimize`) value is better. Required: no guessing. */
  goal: z.enum(METRIC_GOALS),
});
export type MetricChoice = z.infer<typeof MetricSchema>;
