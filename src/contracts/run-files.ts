/**
 * The helper files of a run folder that RunForge and its training processes exchange (docs/run-folder.md):
 * a metrics.jsonl point, the trainer's `.trainer-summary.json`, `.output-offset` and `.exit_status`.
 * They are not user documents (no document kind, no JSON Schema): the readers in src/run/files/ parse
 * them with these schemas, and a file or line that does not pass is treated as absent, as a cut-short
 * write would be. Each schema accepts what its writers write (named on each).
 */
import { z } from 'zod';
import { WarmExitStatusSchema } from './warm-worker.js';

/**
 * One line of metrics.jsonl (SPEC §9): `{"step", "epoch"?, "name", "value", "time"}`, appended by
 * python/runforge/metrics.py (MetricsWriter: the trainer, and `runforge.metric`/`summary`). Only
 * `name` and `value` are required: a user's program may append its own lines, and a line with a name and
 * a value has always counted for the run's summary (the dashboard's chart needs `step` as well).
 */
export const MetricPointSchema = z.looseObject({
  step: z.number().optional(),
  epoch: z.number().optional(),
  name: z.string(),
  /** Finite: JSON has no NaN or infinity (Python's `NaN` makes the line unreadable). */
  value: z.number(),
  /** Seconds since the epoch (Python's `time.time()`). */
  time: z.number().optional(),
});
export type MetricPoint = z.infer<typeof MetricPointSchema>;

/**
 * One line of `.artifacts.jsonl`: the type a user's program gave one of its artifacts
 * (python/runforge/artifacts.py `artifact`), e.g. `{"path": "artifacts/model.pt", "type": "model"}`.
 */
export const ArtifactTypeLineSchema = z.looseObject({ path: z.string(), type: z.string().min(1) });

/** An artifact as the trainer lists it (python/runforge_trainer/__main__.py `artifact`). */
const TrainerArtifactSchema = z.looseObject({ path: z.string(), type: z.string(), bytes: z.int().min(0) });

/**
 * `.trainer-summary.json`: what the built-in trainer writes on its way out (`write_summary` in
 * python/runforge_trainer/__main__.py, atomically): its metrics, primary metric and artifacts when it
 * trained, or the error that stopped it. `classes` and `rows` are kept (loose) but not used.
 */
export const TrainerSummarySchema = z.looseObject({
  metrics: z.record(z.string(), z.number()).optional(),
  primary_metric: z.looseObject({ name: z.string(), value: z.number() }).optional(),
  artifacts: z.array(TrainerArtifactSchema).optional(),
  error: z.looseObject({ message: z.string(), type: z.string(), traceback: z.string().nullable().optional() }).optional(),
});
export type TrainerSummary = z.infer<typeof TrainerSummarySchema>;

/**
 * `.output-offset` (src/run/output-tail.ts): `<from> <to> <logSize>` — output.log's bytes from..to are
 * being copied into logs.txt, which was logSize bytes long before — or, as earlier builds wrote it,
 * one number: the offset itself (read as from = to, with no log size).
 */
export const OutputOffsetSchema = z
  .string()
  .trim()
  .regex(/^\d+( \d+ \d+)?$/, { message: 'must be "<from> <to> <logSize>" or one number' })
  .transform((text) => {
    const [from, to, logSize] = text.split(' ').map(Number) as [number, number?, number?];
    return to === undefined ? { from, to: from, logSize: undefined } : { from, to, logSize };
  });
export type OutputOffset = z.output<typeof OutputOffsetSchema>;

/** A shell's `$?` as the sh wrapper (src/process/pooled-shell.ts `recordExitStatus`) prints it. */
const ShellExitStatusSchema = z.string().regex(/^\d+$/, { message: 'must be a number' }).transform(Number);

/** The warm worker's `{"pid","exit_code","signal"}` (python/runforge_trainer/worker/runs.py), as text. */
const WarmExitStatusTextSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a number or JSON' });
      return z.NEVER;
    }
  })
  .pipe(WarmExitStatusSchema);

/**
 * `.exit_status` as text: a shell's number, or the warm worker's JSON. The reader that runs is the
 * zod-free `readExitFile` (src/process/exit-status.ts: status commands read exit files and must not load
 * zod); tests/unit/run/run-files-schemas.test.ts holds the two to the same answers.
 */
export const ExitStatusFileSchema = z.string().trim().pipe(z.union([ShellExitStatusSchema, WarmExitStatusTextSchema]));
