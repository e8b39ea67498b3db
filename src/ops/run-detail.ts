/** One run for the dashboard's run page and `runforge logs`: request, result, job, log, metric points. */
import { open, stat } from 'node:fs/promises';
import type { Job } from '../contracts/queue.js';
import type { RunRequest } from '../contracts/request.js';
import type { RunResult } from '../contracts/result.js';
import { MissingFilesError } from '../infra/errors.js';
import { newestJobByRun } from '../queue/jobs.js';
import { runDir, type WorkspacePaths } from '../workspace/paths.js';
import type { Store } from '../store/store.js';
import { readRequest, readResult } from '../run/files/documents.js';
import { logsFileOf } from '../run/files/names.js';
import type { MetricPoint as RunMetricPoint } from '../contracts/run-files.js';
import { assertSafeId, resolveRunId } from './ids.js';

export interface RunDetail {
  run_id: string;
  job: Job | null;
  request: RunRequest | null;
  result: RunResult | null;
  /** Problems reading request.json / result.json, shown instead of failing the page. */
  problems: string[];
}

/** One run, named by id, unique prefix or `latest`; `run_id` is the full id. */
export async function runDetail(store: Store, ws: WorkspacePaths, typedRunId: string): Promise<RunDetail> {
  const runId = await resolveRunId(store, ws, typedRunId);
  const problems: string[] = [];
  const queue = await store.readQueue();
  let jobs = queue.jobs.filter((j) => j.run_id === runId);
  // A run with no job left in queue.json may have archived ones.
  if (jobs.length === 0) jobs = await store.readArchived(queue, runId);
  const job = newestJobByRun(jobs).get(runId) ?? null;
  const request = await readRequest(ws, runId).catch((err: Error) => (problems.push(err.message), undefined));
  if (!job && !request && problems.length === 0) throw new MissingFilesError(`Run not found: ${runId}`);
  const result = await readResult(ws, runId).catch((err: Error) => (problems.push(err.message), undefined));
  return { run_id: runId, job, request: request ?? null, result: result ?? null, problems };
}

export interface LogChunk {
  text: string;
  /** Byte offset to ask for next time. */
  next: number;
}

/** The run's logs.txt from byte `from` (at most `max` bytes); empty when there is none yet. */
export async function readLog(ws: WorkspacePaths, runId: string, from = 0, max = 1 << 20): Promise<LogChunk> {
  assertSafeId('run id', runId);
  const file = logsFileOf(runDir(ws, runId));
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    return { text: '', next: 0 };
  }
  const start = from > size ? 0 : from;
  const length = Math.min(size - start, max);
  if (length <= 0) return { text: '', next: start };
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, start);
    // Only whole lines, so a reader never sees half a line.
    const lastNewline = buffer.lastIndexOf(0x0a);
    const usable = lastNewline === -1 ? (length === max ? length : 0) : lastNewline + 1;
    return { text: buffer.subarray(0, usable).toString('utf8'), next: start + usable };
  } finally {
    await handle.close();
  }
}

/** A metric point the run page's chart can place: one with a step. */
export type MetricPoint = RunMetricPoint & { step: number };

/** The run's metric points that have a step (metrics.jsonl, read by run/files). */
export async function readMetricPoints(ws: WorkspacePaths, runId: string): Promise<MetricPoint[]> {
  assertSafeId('run id', runId);
  // Imported when asked for: its reader loads zod, which `runforge logs` (readLog) does without.
  const { readMetricPoints: readRunMetricPoints } = await import('../run/files/trainer-output.js');
  return (await readRunMetricPoints(runDir(ws, runId))).filter((p): p is MetricPoint => p.step !== undefined);
}
