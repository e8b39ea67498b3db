/**
 * A run's two documents: request.json (SPEC §2: written by enqueue and sweeps, read when the run starts)
 * and result.json (SPEC §5: written once per attempt, when the run ends — `writeResult` is its one
 * writer). Validated on reading by the compiled validators: no zod here (status commands read results).
 */
import { mkdir } from 'node:fs/promises';
import { type ParseOutcome, parseDocument } from '../../contracts/document.js';
import type { RunRequest } from '../../contracts/request.js';
import type { RunResult } from '../../contracts/result.js';
import { readDocument, readTextIfExistsSync, removeFileSync, writeJsonAtomic } from '../../workspace/json-file.js';
import { displayPath, runDir, type WorkspacePaths } from '../../workspace/paths.js';
import { requestFileOf, resultFileOf } from './names.js';

/** A run's request.json; undefined when there is none, `CorruptFileError` naming it when it is invalid. */
export async function readRequest(ws: WorkspacePaths, runId: string): Promise<RunRequest | undefined> {
  const file = requestFileOf(runDir(ws, runId));
  return readDocument('request', file, displayPath(ws, file));
}

/**
 * A run folder's request.json checked, for its callers to word: the request, or its problems (one line
 * each); undefined when there is none. A synchronous read: one small file, for every job the daemon starts.
 */
export async function checkRequest(runDir: string): Promise<ParseOutcome<RunRequest> | undefined> {
  const text = readTextIfExistsSync(requestFileOf(runDir));
  return text === undefined ? undefined : parseDocument('request', text);
}

/** A run's result.json; undefined when there is none, `CorruptFileError` naming it when it is invalid. */
export async function readResult(ws: WorkspacePaths, runId: string): Promise<RunResult | undefined> {
  const file = resultFileOf(runDir(ws, runId));
  return readDocument('result', file, displayPath(ws, file));
}

/**
 * Writes `<runDir>/result.json` atomically: a temp file in the run folder, fsynced, renamed over.
 * The one writer of result.json: a run's conclusion, and the daemon's account of a run that ended
 * without one. Rejects when the disk refuses it (the caller decides whether to try again).
 */
export async function writeResult(runDir: string, result: RunResult): Promise<void> {
  await writeJsonAtomic(resultFileOf(runDir), result);
}

/** Removes result.json, so that an earlier attempt's result is not mistaken for the new attempt's. */
export function removeResult(runDir: string): void {
  removeFileSync(resultFileOf(runDir));
}

/** How many run folders are written at once: fsyncs in flight together are far cheaper than in a row. */
const WRITE_CONCURRENCY = 32;

/** Creates run folders with their request.json (new runs of a sweep); `onProgress(done, total)` now and then. */
export async function writeRunRequests(
  ws: WorkspacePaths,
  runs: readonly { runId: string; request: RunRequest }[],
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  let done = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < runs.length) {
      const { runId, request } = runs[next++]!;
      const dir = runDir(ws, runId);
      await mkdir(dir, { recursive: true });
      await writeJsonAtomic(requestFileOf(dir), request);
      done++;
      if (onProgress && (done % 100 === 0 || done === runs.length)) onProgress(done, runs.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, runs.length) }, worker));
}
