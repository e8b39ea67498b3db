/** `request.json` (version 1): one run's input. SPEC §2. */
import { z } from 'zod';
import { NonEmptyString, PositiveInt, SafeId, Timestamp } from './common.js';
import { MODEL_FAMILIES, PRESETS } from './constants.js';
import { MetricSchema } from './metric.js';
import { requestProblems } from './rules.js';

export { DEFAULT_SEED, FAMILY_DEFAULTS, MODEL_FAMILIES, type ModelFamily, PRESETS } from './constants.js';

export const RequestSchema = z
  .looseObject({
    version: PositiveInt,
    /**
     * Recorded in result.json (effective_config.preset); the trainer does not read it, so no family
     * trains differently for it (see docs/training.md). Optional since issue 14: absent means `custom`.
     */
    preset: z.enum(PRESETS).default('custom'),
    dataset: z.looseObject({
      path: NonEmptyString,
      label_column: NonEmptyString,
    }),
    model: z
      .looseObject({
        family: z.enum(MODEL_FAMILIES).optional(),
        hyperparameters: z.record(z.string(), z.unknown()).optional(),
      })
      .optional(),
    device: z.looseObject({
      type: z.enum(['cpu', 'gpu']),
      gpu_reason: z.string().nullable().optional(),
    }),
    created_at: Timestamp,
    created_by: NonEmptyString,
    name: z.string().nullable().optional(),
    notes: z.string().nullable().optional(),
    tags: z.array(z.string()).optional(),
    rerun_from: SafeId.nullable().optional(),
    sweep_group_id: SafeId.nullable().optional(),
    seed: z.int().min(0).optional(),
    /** A custom training command (argv, run without a shell) instead of the built-in trainer. */
    command: z.array(NonEmptyString).min(1, { message: 'must have at least the program name' }).optional(),
    /** The metric that ranks this run (NEW); a plan's `metric` takes its place in a sweep. */
    metric: MetricSchema.optional(),
  })
  .superRefine((req, ctx) => {
    for (const p of requestProblems(req)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  });

export type RunRequest = z.infer<typeof RequestSchema>;
