/**
 * Parsing a document at the edge: JSON text → the compiled validator of its kind → a typed value.
 * A valid document never loads zod; an invalid one is handed to the zod schema, which words its
 * problems (one line each, naming the field). No zod import here, on purpose.
 */
import { COMPILED, INVALID } from './compiled.js';
import type { DocumentKind } from './constants.js';
import type { DocumentOf } from './index.js';

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

/** Checks an already-parsed document against the contract of `kind`. */
export async function checkDocument<K extends DocumentKind>(kind: K, doc: unknown): Promise<ParseOutcome<DocumentOf<K>>> {
  const value = COMPILED[kind](doc);
  if (value !== INVALID) return { ok: true, value: value as DocumentOf<K> };
  const { validateDocument } = await import('./index.js');
  return validateDocument(kind, doc);
}

/** Parses JSON text and checks it as `kind`. */
export async function parseDocument<K extends DocumentKind>(kind: K, text: string): Promise<ParseOutcome<DocumentOf<K>>> {
  const json = parseJsonText(text);
  if (!json.ok) return json;
  return checkDocument(kind, json.value);
}
