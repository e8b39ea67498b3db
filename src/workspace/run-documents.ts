/**
 * The documents of a run folder and a group folder that are not queue state: a run's request.json and
 * result.json, the run folders a sweep creates, a group's plan copy. Validated on reading.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunRequest } from '../contracts/request.js';
import type { RunResult } from '../contracts/result.js';
import { readDocument, writeJsonAtomic } from './json-file.js';
import { displayPath, groupDir, requestFile, resultFile, runDir, type WorkspacePaths } from './paths.js';

export async function readRequest(ws: WorkspacePaths, runId: string): Promise<RunRequest | undefined> {
  const file = requestFile(ws, runId);
  return readDocument('request', file, displayPath(ws, file));
}

export async function readResult(ws: WorkspacePaths, runId: string): Promise<RunResult | undefined> {
  const file = resultFile(ws, runId);
  return readDocument('result', file, displayPath(ws, file));
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
      await mkdir(runDir(ws, runId), { recursive: true });
      await writeJsonAtomic(requestFile(ws, runId), request);
      done++;
      if (onProgress && (done % 100 === 0 || done === runs.length)) onProgress(done, runs.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, runs.length) }, worker));
}

/** Writes a file into a group's folder (the plan copy), creating the folder. */
export async function writeGroupFile(ws: WorkspacePaths, groupId: string, name: string, doc: unknown): Promise<void> {
  await mkdir(groupDir(ws, groupId), { recursive: true });
  await writeJsonAtomic(path.join(groupDir(ws, groupId), name), doc);
}
