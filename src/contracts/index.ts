/**
 * Every file format RunForge reads or writes, by kind. One zod schema per format; parse at the edge
 * (`parseDocument` in document.ts, which runs the validators compiled from these schemas and falls
 * back to `validateDocument` here for the wording of problems), typed objects inside.
 */
import type { z } from 'zod';
import type { DocumentKind } from './constants.js';
import { DaemonStatusSchema } from './daemon.js';
import type { ParseOutcome } from './document.js';
import { GroupSchema } from './group.js';
import { describeIssues } from './issues.js';
import { PlanSchema } from './plan.js';
import { QueueSchema } from './queue.js';
import { RequestSchema } from './request.js';
import { ResultSchema } from './result.js';

export { DOCUMENT_KINDS, type DocumentKind } from './constants.js';
export { checkDocument, parseDocument, parseJsonText, type ParseOutcome } from './document.js';

export const SCHEMAS = {
  request: RequestSchema,
  plan: PlanSchema,
  queue: QueueSchema,
  daemon: DaemonStatusSchema,
  group: GroupSchema,
  result: ResultSchema,
} as const satisfies Record<DocumentKind, z.ZodType>;

export type DocumentOf<K extends DocumentKind> = z.infer<(typeof SCHEMAS)[K]>;

/** Guesses a document's kind from its content; `undefined` when nothing tells. */
export function detectKind(doc: unknown): DocumentKind | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const d = doc as Record<string, unknown>;
  switch (d.kind) {
    case 'sweep_plan':
      return 'plan';
    case 'execution_queue':
      return 'queue';
    case 'run_group':
      return 'group';
  }
  if ('last_heartbeat' in d || ('pid' in d && 'active_jobs' in d)) return 'daemon';
  if ('duration_ms' in d || ('status' in d && !('dataset' in d))) return 'result';
  if ('dataset' in d || 'preset' in d || 'model' in d || 'command' in d) return 'request';
  return undefined;
}

/** Validates an already-parsed document against the schema of `kind`. */
export function validateDocument<K extends DocumentKind>(kind: K, doc: unknown): ParseOutcome<DocumentOf<K>> {
  const schema = SCHEMAS[kind] as unknown as z.ZodType<DocumentOf<K>>;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return { ok: false, problems: [`(root) must be a JSON object (got ${doc === null ? 'null' : Array.isArray(doc) ? 'array' : typeof doc})`] };
  }
  const parsed = schema.safeParse(doc, { reportInput: true });
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, problems: describeIssues(parsed.error) };
}
