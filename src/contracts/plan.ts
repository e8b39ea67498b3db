/** `plan.json` (version 1): a sweep. SPEC §3. */
import { z } from 'zod';
import { NonEmptyString, PositiveInt, Timestamp } from './common.js';
import { RequestSchema } from './request.js';

/** A dot path into a request: `model.hyperparameters.max_depth`. */
const DOT_PATH = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;

export const SweepParameterSchema = z.looseObject({
  path: z.string().regex(DOT_PATH, { message: 'must be a dot path such as "model.hyperparameters.max_depth"' }),
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
    const params = plan.strategy.parameters;
    if (plan.strategy.type === 'list' && params.length > 0) {
      const first = params[0]!.values.length;
      params.forEach((p, i) => {
        if (p.values.length !== first) {
          ctx.addIssue({
            code: 'custom',
            path: ['strategy', 'parameters', i, 'values'],
            message: `must have ${first} values like every other parameter of a "list" strategy (has ${p.values.length})`,
          });
        }
      });
    }
    const seen = new Set<string>();
    params.forEach((p, i) => {
      if (seen.has(p.path)) {
        ctx.addIssue({ code: 'custom', path: ['strategy', 'parameters', i, 'path'], message: `repeats "${p.path}"` });
      }
      seen.add(p.path);
    });
  });

export type SweepPlan = z.infer<typeof PlanSchema>;
