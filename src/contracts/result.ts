/** `.ml/runs/<run-id>/result.json` (version 1): a run's outcome. SPEC §5. */
import { z } from 'zod';
import { PositiveInt, Timestamp } from './common.js';
import { ARTIFACT_TYPES, RESULT_STATUSES } from './constants.js';
import { METRIC_GOALS } from './metric.js';

/** Note the double L in `cancelled`: result.json differs from the queue's `canceled` (as the original). */
export { ARTIFACT_TYPES, type ArtifactType, isKnownArtifactType, RESULT_STATUSES, type ResultStatus } from './constants.js';

export const ResultSchema = z.looseObject({
  version: PositiveInt,
  status: z.enum(RESULT_STATUSES),
  duration_ms: z.number().min(0),
  started_at: Timestamp.optional(),
  finished_at: Timestamp.optional(),
  summary: z
    .looseObject({
      metrics: z.record(z.string(), z.number()).optional(),
      primary_metric: z
        // `goal` (NEW) is optional on read: a result written before it gets the goal its name implies.
        .looseObject({ name: z.string(), value: z.number(), goal: z.enum(METRIC_GOALS).optional() })
        .nullable()
        .optional(),
    })
    .optional(),
  artifacts: z
    .array(
      z.looseObject({
        path: z.string(),
        /**
         * One of ARTIFACT_TYPES when the port wrote it. Any other string is kept as it is on read
         * (the original refused nothing here; a newer writer may add a type) — `validate` warns.
         */
        type: z.string().meta({ description: `Known types: ${ARTIFACT_TYPES.join(', ')}; a reader keeps any other as it is.` }),
        bytes: z.int().min(0),
      }),
    )
    .optional(),
  effective_config: z.looseObject({}).optional(),
  error: z
    .looseObject({
      message: z.string(),
      type: z.string(),
      traceback: z.string().nullable().optional(),
    })
    .nullable()
    .optional(),
});
export type RunResult = z.infer<typeof ResultSchema>;
