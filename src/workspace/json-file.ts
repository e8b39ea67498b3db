/**
 * Reading and writing JSON state files. Reads validate against a contract and fail with an error that
 * names the file; writes are atomic (temp file in the same folder, fsync, rename over).
 */
import { readFile } from 'node:fs/promises';
import type { DocumentKind } from '../contracts/constants.js';
import { parseDocument } from '../contracts/document.js';
import type { DocumentOf } from '../contracts/index.js';
import { CorruptFileError } from '../infra/errors.js';

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Reads a file as UTF-8 text; `undefined` when it does not exist. */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Reads and validates a document; `undefined` when the file does not exist. A file that exists but
 * does not parse or validate throws `CorruptFileError` naming `label` (e.g. `.runforge/queue/queue.json`).
 */
export async function readDocument<K extends DocumentKind>(
  kind: K,
  file: string,
  label: string,
): Promise<DocumentOf<K> | undefined> {
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  const parsed = await parseDocument(kind, text);
  if (!parsed.ok) throw new CorruptFileError(label, parsed.problems.join('; '));
  return parsed.value;
}

/** Serialises like every RunForge file: two-space indent, trailing newline. */
export function serialize(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Writes `doc` atomically: temp file in the same folder, fsync, rename over the target. */
export async function writeJsonAtomic(file: string, doc: unknown): Promise<void> {
  await writeTextAtomic(file, serialize(doc));
}

/** Writes already serialised text atomically (see `writeJsonAtomic`). */
export async function writeTextAtomic(file: string, text: string): Promise<void> {
  try {
    // Loaded on first write: commands that only read files do not pay for it.
    const { default: writeFileAtomic } = await import('write-file-atomic');
    await writeFileAtomic(file, text, { fsync: true });
  } catch (err) {
    // A failed write() carries no path; say which file could not be written.
    const e = err as NodeJS.ErrnoException;
    if (e && typeof e === 'object' && !e.path) e.path = file;
    throw err;
  }
}
