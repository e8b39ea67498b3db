/** `request.json` (version 1): one run's input. SPEC §2. */
import { z } from 'zod';
import { NonEmptyString, PositiveInt, SafeId, Timestamp } from './common.js';

export const MODEL_FAMILIES = ['logistic_regression', 'random_forest', 'linear_svc', 'mlp'] as const;
export type ModelFamily = (typeof MODEL_FAMILIES)[number];

export const PRESETS = ['fast', 'balanced', 'thorough', 'custom'] as const;

/** Defaults merged under the request's hyperparameters (the original tool's values). */
export const FAMILY_DEFAULTS: Readonly<Record<ModelFamily, Readonly<Record<string, unknown>>>> = {
  logistic_regression: { max_iter: 1000, random_state: 42 },
  random_forest: { n_estimators: 100, max_depth: 10, random_state: 42 },
  linear_svc: { max_iter: 1000, random_state: 42 },
  mlp: { epochs: 20, hidden_sizes: [64, 32], learning_rate: 0.001, batch_size: 32 },
};

/** Seed used when a request has none. */
export const DEFAULT_SEED = 42;

export const RequestSchema = z
  .looseObject({
    version: PositiveInt,
    preset: z.enum(PRESETS),
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
  })
  .superRefine((req, ctx) => {
    if (req.command === undefined && req.model?.family === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: req.model === undefined ? ['model'] : ['model', 'family'],
        message: 'is required (unless the request has a custom "command")',
      });
    }
  });

export type RunRequest = z.infer<typeof RequestSchema>;
