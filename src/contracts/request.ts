/** `request.json` (version 1): one run's input. SPEC §2. */
import { z } from 'zod';
import { NonEmptyString, PositiveInt, SafeId, Timestamp } from './common.js';
import { MODEL_FAMILIES, PRESETS } from './constants.js';
import { MetricSchema } from './metric.js';
import { datasetProblems, requestProblems } from './rules.js';

export { DEFAULT_SEED, FAMILY_DEFAULTS, MODEL_FAMILIES, type ModelFamily, PRESETS } from './constants.js';

export const RequestSchema = z
  .looseObject({
    version: PositiveInt,
    /**
     * Recorded in result.json (effective_config.preset); the trainer does not read it, so no family
     * trains differently for it (see docs/training.md). Optional since issue 14: absent means `custom`.
     */
    preset: z.enum(PRESETS).default('custom'),
    /** The built-in trainer's data; required unless the request has a custom `command` (rules.ts). */
    dataset: z
      .looseObject({
        path: NonEmptyString,
        label_column: NonEmptyString,
      })
      .optional(),
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
    /**
     * The values the sweep set in this run, by dot path (`{"model.hyperparameters.lr": 0.01}`); added
     * by sweep expansion (NEW, issue 16), passed to the run in `RUNFORGE_PARAMS`.
     */
    sweep_params: z.record(z.string(), z.unknown()).optional(),
    seed: z.int().min(0).optional(),
    /** A custom training command (argv, run without a shell) instead of the built-in trainer. */
    command: z.array(NonEmptyString).min(1, { message: 'must have at least the program name' }).optional(),
    /**
     * The folder a custom `command` runs in (`runforge add` records the caller's); relative to the
     * workspace when not absolute. Default: the workspace.
     */
    cwd: NonEmptyString.optional(),
    /**
     * The whole environment a custom `command` runs with, as recorded by `runforge add` (the caller's,
     * minus what RunForge sets itself); RunForge's own variables are set on top. Default: the daemon's.
     */
    env: z.record(z.string(), z.string()).optional(),
    /** Seconds this run may take before the daemon stops it; overrides `daemon --job-timeout`. */
    timeout_s: z.number().positive().optional(),
    /** The metric that ranks this run (NEW); a plan's `metric` takes its place in a sweep. */
    metric: MetricSchema.optional(),
  })
  .superRefine(
    (req, ctx) => {
      // A missing dataset is reported with the other missing fields, as when it was a required field;
      // the other rules need a request whose fields parsed.
      const problems = ctx.issues.length === 0 ? requestProblems(req) : datasetProblems(req);
      for (const p of problems) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value) },
  );

export type RunRequest = z.infer<typeof RequestSchema>;
