/**
 * Every file format RunForge reads or writes, by kind. One schema per format; parse at the edge
 * (`parseDocument`), typed objects inside.
 */
import type { z } from 'zod';
import { DaemonStatusSchema } from './daemon.js';
import { GroupSchema } from './group.js';
import { describeIssues } from './issues.js';
import { PlanSchema } from './plan.js';
import { QueueSchema } from './queue.js';
import { RequestSchema } from './request.js';
import { ResultSchema } from './result.js';

export const DOCUMENT_KINDS = ['request', 'plan', 'queue', 'daemon', 'group', 'result'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

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

export type ParseOutcome<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Parses JSON text; the problem names what is wrong with the text itself. */
export function parseJsonText(text: string): ParseOutcome<unknown> {
  if (text.trim() === '') return { ok: false, problems: ['file is empty'] };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, problems: [`invalid JSON: ${message.split('\n')[0]}`] };
  }
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

/** Parses JSON text and validates it as `kind`. */
export function parseDocument<K extends DocumentKind>(kind: K, text: string): ParseOutcome<DocumentOf<K>> {
  const json = parseJsonText(text);
  if (!json.ok) return json;
  return validateDocument(kind, json.value);
}
