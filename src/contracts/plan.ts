/** `plan.json` (version 1): a sweep. SPEC §3. */
import { z } from 'zod';
import { NonEmptyString, PositiveInt, Timestamp } from './common.js';
import { RequestSchema } from './request.js';
import { MetricSchema } from './metric.js';

import { DOT_PATH_PATTERN } from './constants.js';
import { planProblems } from './rules.js';

/** The distributions a `random` strategy draws a parameter from (src/queue/random-strategy.ts). */
export const DISTRIBUTIONS = ['choice', 'uniform', 'loguniform', 'int'] as const;

/**
 * One swept parameter. `grid` and `list` need `values`; a `random` strategy needs `distribution` and
 * `values` (choice) or `low` and `high` (uniform, loguniform, int). Which fields go together, and the
 * bounds, are checked by `planProblems` (rules.ts): one flat object keeps the compiled validator simple.
 */
export const SweepParameterSchema = z.looseObject({
  path: z.string().regex(DOT_PATH_PATTERN, { message: 'must be a dot path such as "model.hyperparameters.max_depth"' }),
  values: z.array(z.unknown()).min(1, { message: 'must have at least one value' }).optional(),
  /** `random` strategy only (NEW, issue 16). */
  distribution: z.enum(DISTRIBUTIONS).optional(),
  /** Lower bound (uniform, loguniform: included; int: included). */
  low: z.number().optional(),
  /** Upper bound (uniform, loguniform: excluded; int: included). */
  high: z.number().optional(),
});

export const PlanSchema = z
  .looseObject({
    version: z.literal(1),
    kind: z.literal('sweep_plan'),
    created_at: Timestamp,
    created_by: NonEmptyString,
    /** Absolute workspace path; the CLI's --workspace overrides it. */
    workspace: z.string(),
    group: z.looseObject({
      name: NonEmptyString,
      notes: z.string().nullable().optional(),
    }),
    base_request: RequestSchema,
    /** The metric that ranks the sweep's runs (NEW): written into every run's request. */
    metric: MetricSchema.optional(),
    strategy: z.looseObject({
      type: z.enum(['grid', 'list', 'random']),
      /** `random` only: how many runs to draw (at most 100,000, as any sweep). */
      n_trials: PositiveInt.optional(),
      /** `random` only: the generator's seed; the same seed draws the same runs. */
      seed: z.int().min(0).optional(),
      parameters: z.array(SweepParameterSchema).min(1, { message: 'must have at least one parameter' }),
    }),
    execution: z.looseObject({
      max_parallel: PositiveInt,
      fail_fast: z.boolean().default(false),
      stop_on_cancel: z.boolean().default(true),
    }),
  })
  .superRefine((plan, ctx) => {
    for (const p of planProblems(plan)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  });

export type SweepPlan = z.infer<typeof PlanSchema>;
