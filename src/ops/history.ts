/**
 * Every run — those the queue knows (in queue.json or archived in history.jsonl) and those that ran
 * outside it (foreground `run`, direct `sweep`: ops/outside-runs.ts) — newest first, with its outcome
 * and origin (`runforge history`, the dashboard's runs table).
 */
import type { Job, JobState } from '../contracts/queue.js';
import type { RunResult } from '../contracts/result.js';
import { parseTimestamp } from '../infra/time.js';
import { isActive, newestJobByRun } from '../queue/jobs.js';
import { chosenMetricOf, type MetricGoal, type MetricSpec, primaryMetricOf } from '../queue/primary-metric.js';
import { rankByMetric, rankingMetricOf } from '../queue/ranking.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import { visitRunDocuments } from '../workspace/run-files-batch.js';
import type { Store } from '../store/store.js';
import { findOutsideRuns, type OutsideRun, type RunOrigin } from './outside-runs.js';

export type { RunOrigin } from './outside-runs.js';

export interface RunRow {
  run_id: string;
  /** Null for a run that ran outside the queue. */
  job_id: string | null;
  group_id: string | null;
  state: JobState;
  /** Null for a run that ran outside the queue. */
  attempt: number | null;
  /** `daemon` (a queue job), `foreground` (`runforge run`) or `direct-sweep` (`runforge sweep`). */
  origin: RunOrigin;
  requires_gpu: boolean;
  /** What it ran on: `cpu`, `gpu:1`, `cpu (no_gpu_detected)`; null before it ran. */
  device: string | null;
  name: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  /** The run's primary metric; for a succeeded run without its chosen metric, that name and null. */
  metric_name: string | null;
  metric: number | null;
  metric_goal: MetricGoal | null;
  /** Every final metric the run reported (empty before it ends). */
  metrics: Record<string, number>;
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

/** What a row is made of besides result.json: a queue job, or a run that ran outside the queue. */
type RowSource = Omit<RunRow, 'device' | 'name' | 'duration_ms' | 'metric_name' | 'metric' | 'metric_goal' | 'metrics'> & {
  device: string | null;
};

function jobSource(job: Job, result: RunResult | undefined): RowSource {
  return {
    run_id: job.run_id,
    job_id: job.job_id,
    group_id: job.group_id,
    state: job.state,
    attempt: job.attempt,
    origin: 'daemon',
    requires_gpu: job.requires_gpu,
    device: deviceLabel(job, result),
    created_at: job.created_at,
    started_at: job.started_at ?? null,
    finished_at: job.finished_at ?? null,
    error: job.error ?? null,
  };
}

function outsideSource(run: OutsideRun): RowSource {
  const { result } = run;
  return {
    run_id: run.run_id,
    job_id: run.job_id,
    group_id: run.group_id,
    state: run.state,
    attempt: null,
    origin: run.origin,
    requires_gpu: run.requires_gpu,
    device: resultDevice(result),
    created_at: run.created_at,
    started_at: result.started_at ?? null,
    finished_at: result.finished_at ?? null,
    error: result.error?.message ?? null,
  };
}

function rowOf(source: RowSource, result: RunResult | undefined): RunRow {
  const metric = result && result.status === 'succeeded' ? primaryMetricOf(result) : null;
  const missing = result?.status === 'succeeded' && !metric ? chosenMetricOf(result) : null;
  const started = source.started_at ? parseTimestamp(source.started_at) : undefined;
  const finished = source.finished_at ? parseTimestamp(source.finished_at) : undefined;
  return {
    ...source,
    name: typeof result?.name === 'string' ? result.name : null,
    duration_ms: result?.duration_ms ?? (started !== undefined && finished !== undefined ? finished - started : null),
    metric_name: metric?.name ?? missing?.name ?? null,
    metric: metric?.value ?? null,
    metric_goal: metric?.goal ?? missing?.goal ?? null,
    metrics: { ...(result?.summary?.metrics ?? {}) },
  };
}

export async function runHistory(store: Store, ws: WorkspacePaths, filter: HistoryFilter = {}): Promise<RunRow[]> {
  const queue = await store.readQueue();
  const archived = await store.readArchived(queue);
  const newest = newestJobByRun([...archived, ...queue.jobs]);
  const matches = (r: { group_id: string | null; state: JobState }): boolean =>
    (filter.group === undefined || r.group_id === filter.group) && (filter.state === undefined || r.state === filter.state);
  const jobs = [...newest.values()].filter(matches);
  const rows = jobs.filter((j) => isActive(j)).map((job) => rowOf(jobSource(job, undefined), undefined));
  const finished = jobs.filter((j) => !isActive(j)).map((j) => j.run_id);
  await visitRunDocuments(ws, finished, 'result.json', 'result', (runId, result) => {
    rows.push(rowOf(jobSource(newest.get(runId)!, result), result));
  });
  for (const run of await findOutsideRuns(ws, new Set(newest.keys()))) {
    if (matches(run)) rows.push(rowOf(outsideSource(run), run.result));
  }
  const key = (r: RunRow): number => parseTimestamp(r.started_at ?? r.created_at) ?? 0;
  return rows.sort((a, b) => key(b) - key(a) || b.run_id.localeCompare(a.run_id));
}

/**
 * The metric a list of runs is compared by (the one most of them report; a run missing its chosen
 * metric still names it) and, with `sortByMetric`, the runs best first under its goal, the others after
 * in their order (`history --sort metric`, the dashboard's runs sorted by metric).
 */
export function rankRuns(rows: RunRow[], sortByMetric: boolean): { metric: MetricSpec | null; rows: RunRow[] } {
  const metric = rankingMetricOf(rows.filter((r) => r.metric_name !== null));
  if (!sortByMetric) return { metric, rows };
  const { ranked, unranked } = rankByMetric(rows, metric);
  return { metric, rows: [...ranked, ...unranked] };
}
