/**
 * The warm trainer worker's protocol (`python -m runforge_trainer.worker`, docs/training.md): the
 * JSON lines it writes on stdout, and the exit-status file it writes when a run ends.
 */
import { z } from 'zod';
import { PositiveInt } from './common.js';

/** `{"pid","exit_code","signal"}`, written atomically by the worker when a forked run ends. */
export const WarmExitStatusSchema = z.looseObject({
  pid: PositiveInt,
  exit_code: z.int().nullable(),
  signal: z.string().nullable(),
});
export type WarmExitStatus = z.infer<typeof WarmExitStatusSchema>;

/** One line from the worker, by kind. */
export const WorkerReadySchema = z.looseObject({
  op: z.literal('ready'),
  pid: PositiveInt,
  protocol: z.literal(1),
  preloaded: z.array(z.string()),
});
export const WorkerStartErrorSchema = z.looseObject({ op: z.literal('error'), error: z.string() });
export const WorkerPongSchema = z.looseObject({
  op: z.literal('pong'),
  pid: PositiveInt,
  preloaded: z.array(z.string()),
  running: z.int(),
  cuda_initialized: z.boolean(),
});
export const RunStartedSchema = z.looseObject({ id: z.string(), pid: PositiveInt });
export const RunRefusedSchema = z.looseObject({ id: z.union([z.string(), z.number(), z.null()]), error: z.string() });
export const RunExitSchema = z.looseObject({
  event: z.literal('exit'),
  id: z.string(),
  pid: PositiveInt,
  exit_code: z.int().nullable(),
  signal: z.string().nullable(),
});

export type WorkerMessage =
  | ({ kind: 'ready' } & z.infer<typeof WorkerReadySchema>)
  | ({ kind: 'start-error' } & z.infer<typeof WorkerStartErrorSchema>)
  | ({ kind: 'pong' } & z.infer<typeof WorkerPongSchema>)
  | ({ kind: 'started' } & z.infer<typeof RunStartedSchema>)
  | ({ kind: 'refused' } & z.infer<typeof RunRefusedSchema>)
  | ({ kind: 'exit' } & z.infer<typeof RunExitSchema>);

/** Parses one stdout line of the worker; undefined when it is not a protocol message. */
export function parseWorkerLine(line: string): WorkerMessage | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const d = doc as Record<string, unknown>;
  const as = <K extends WorkerMessage['kind'], S extends z.ZodType>(kind: K, schema: S): WorkerMessage | undefined => {
    const r = schema.safeParse(doc);
    return r.success ? ({ kind, ...(r.data as object) } as WorkerMessage) : undefined;
  };
  if (d.op === 'ready') return as('ready', WorkerReadySchema);
  if (d.op === 'error') return as('start-error', WorkerStartErrorSchema);
  if (d.op === 'pong') return as('pong', WorkerPongSchema);
  if (d.event === 'exit') return as('exit', RunExitSchema);
  if ('error' in d) return as('refused', RunRefusedSchema);
  return as('started', RunStartedSchema);
}
