/**
 * Reading the small files of many runs at once (`runforge history`, the dashboard's runs table: one
 * result.json per run, 100,000 of them in a long-lived workspace).
 *
 * Synchronous reads in batches, with a turn of the event loop between batches: one async read is four
 * round trips through libuv's thread pool (open, fstat, read, close); 100,000 result.json files read
 * 16 at a time took 14–16 s here, synchronously 4.4 s (docs/PERFORMANCE.md), and the dashboard's
 * server still answers other requests between batches.
 */
import path from 'node:path';
import type { DocumentKind } from '../contracts/constants.js';
import { parseDocument } from '../contracts/document.js';
import type { DocumentOf } from '../contracts/index.js';
import { readTextIfExistsSync } from './json-file.js';
import { runDir, type WorkspacePaths } from './paths.js';

/** Files read between two turns of the event loop. */
const BATCH = 256;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Calls `visit` with `<run>/<file>` of each run in turn, validated as `kind` — undefined when it is
 * missing, unreadable or invalid (a list of runs shows such a run without it rather than failing).
 * Nothing is kept: 100,000 parsed result.json files held at once doubled the memory of `history`.
 */
export async function visitRunDocuments<K extends DocumentKind>(
  ws: WorkspacePaths,
  runIds: Iterable<string>,
  file: 'result.json' | 'request.json',
  kind: K,
  visit: (runId: string, doc: DocumentOf<K> | undefined) => void,
): Promise<void> {
  let sinceTurn = 0;
  for (const runId of runIds) {
    if (++sinceTurn >= BATCH) {
      sinceTurn = 0;
      await nextTurn();
    }
    let text: string | undefined;
    try {
      text = readTextIfExistsSync(path.join(runDir(ws, runId), file));
    } catch {
      text = undefined; // unreadable: as missing, above
    }
    const parsed = text === undefined ? undefined : await parseDocument(kind, text);
    visit(runId, parsed?.ok ? parsed.value : undefined);
  }
}

/** The documents `visitRunDocuments` finds, by run id (only runs that have one). */
export async function readRunDocuments<K extends DocumentKind>(
  ws: WorkspacePaths,
  runIds: Iterable<string>,
  file: 'result.json' | 'request.json',
  kind: K,
): Promise<Map<string, DocumentOf<K>>> {
  const out = new Map<string, DocumentOf<K>>();
  await visitRunDocuments(ws, runIds, file, kind, (runId, doc) => {
    if (doc !== undefined) out.set(runId, doc);
  });
  return out;
}
