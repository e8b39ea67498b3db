/**
 * Every run the queue knows — in queue.json or archived in history.jsonl — newest first, with its
 * outcome (`runforge history`, the dashboard's runs table).
 */
import type { Job, JobState } from '../contracts/queue.js';
import type { RunResult } from '../contracts/result.js';
import { parseTimestamp } from '../infra/time.js';
import { newestJobByRun } from '../queue/jobs.js';
import { primaryMetricOf } from '../queue/primary-metric.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import { readArchivedJobs, readQueue, readResult } from '../workspace/store.js';

export interface RunRow {
  run_id: string;
  job_id: string;
  group_id: string | null;
  state: JobState;
  attempt: number;
  requires_gpu: boolean;
  /** What it ran on: `cpu`, `gpu:1`, `cpu (no_gpu_detected)`; null before it ran. */
  device: string | null;
  name: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  metric_name: string | null;
  metric: number | null;
  error: string | null;
}

/** The device a finished run used, from its result.json: `cpu`, `gpu:1`, `cpu (no_gpu_detected)`. */
export function resultDevice(result: RunResult | undefined): string | null {
  const device = (result?.effective_config as { device?: { type?: string; gpu_id?: number; gpu_reason?: string } } | undefined)?.device;
  if (!device?.type) return null;
  const reason = device.gpu_reason && device.gpu_reason !== 'user_requested_cpu' ? ` (${device.gpu_reason})` : '';
  return `${device.type}${device.gpu_id !== undefined ? `:${device.gpu_id}` : ''}${reason}`;
}

export function deviceLabel(job: Job, result: RunResult | undefined): string | null {
  const done = resultDevice(result);
  if (done) return done;
  if (job.state === 'running') return job.gpu_device !== null && job.gpu_device !== undefined ? `gpu:${job.gpu_device}` : job.requires_gpu ? 'gpu?' : 'cpu';
  return null;
}

export interface HistoryFilter {
  group?: string | undefined;
  state?: JobState | undefined;
}

export async function runHistory(ws: WorkspacePaths, filter: HistoryFilter = {}): Promise<RunRow[]> {
  const queue = await readQueue(ws);
  const archived = await readArchivedJobs(ws, queue);
  const rows: RunRow[] = [];
  for (const job of newestJobByRun([...archived, ...queue.jobs]).values()) {
    if (filter.group !== undefined && job.group_id !== filter.group) continue;
    if (filter.state !== undefined && job.state !== filter.state) continue;
    const result = job.state === 'queued' || job.state === 'running' ? undefined : await readResult(ws, job.run_id).catch(() => undefined);
    const metric = result && result.status === 'succeeded' ? primaryMetricOf(result) : null;
    const started = job.started_at ? parseTimestamp(job.started_at) : undefined;
    const finished = job.finished_at ? parseTimestamp(job.finished_at) : undefined;
    rows.push({
      run_id: job.run_id,
      job_id: job.job_id,
      group_id: job.group_id,
      state: job.state,
      attempt: job.attempt,
      requires_gpu: job.requires_gpu,
      device: deviceLabel(job, result),
      name: typeof result?.name === 'string' ? result.name : null,
      created_at: job.created_at,
      started_at: job.started_at ?? null,
      finished_at: job.finished_at ?? null,
      duration_ms: result?.duration_ms ?? (started !== undefined && finished !== undefined ? finished - started : null),
      metric_name: metric?.name ?? null,
      metric: metric?.value ?? null,
      error: job.error ?? null,
    });
  }
  const key = (r: RunRow): number => parseTimestamp(r.started_at ?? r.created_at) ?? 0;
  return rows.sort((a, b) => key(b) - key(a) || b.run_id.localeCompare(a.run_id));
}
