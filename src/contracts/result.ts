/** `.ml/runs/<run-id>/result.json` (version 1): a run's outcome. SPEC §5. */
import { z } from 'zod';
import { PositiveInt, Timestamp } from './common.js';
import { ARTIFACT_TYPES, RESULT_STATUSES } from './constants.js';

/** Note the double L in `cancelled`: result.json differs from the queue's `canceled` (as the original). */
export { ARTIFACT_TYPES, RESULT_STATUSES, type ResultStatus } from './constants.js';

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
        .looseObject({ name: z.string(), value: z.number() })
        .nullable()
        .optional(),
    })
    .optional(),
  artifacts: z
    .array(
      z.looseObject({
        path: z.string(),
        type: z.enum(ARTIFACT_TYPES),
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
