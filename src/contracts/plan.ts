/** `plan.json` (version 1): a sweep. SPEC §3. */
import { z } from 'zod';
import { NonEmptyString, PositiveInt, Timestamp } from './common.js';
import { RequestSchema } from './request.js';
import { MetricSchema } from './metric.js';

import { DOT_PATH_PATTERN } from './constants.js';
import { planProblems } from './rules.js';

export const SweepParameterSchema = z.looseObject({
  path: z.string().regex(DOT_PATH_PATTERN, { message: 'must be a dot path such as "model.hyperparameters.max_depth"' }),
  values: z.array(z.unknown()).min(1, { message: 'must have at least one value' }),
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
      type: z.enum(['grid', 'list']),
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
