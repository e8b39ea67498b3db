/**
 * The group record (group.json) kept in agreement with the queue, pure. A run entry follows its
 * newest job's state; the group is terminal exactly when no run is pending, queued or running:
 * `canceled` if any run was cancelled, else `failed` if any failed, else `completed` (SPEC §3).
 */
import type { Group, GroupRun, GroupRunStatus, GroupStatus } from '../contracts/group.js';
import type { Job } from '../contracts/queue.js';
import { newestJobByRun } from './jobs.js';
import type { MetricSpec, PrimaryMetric } from './primary-metric.js';
import { bestByMetric, type Rankable, rankingMetricOf } from './ranking.js';

export interface NewGroupSpec {
  groupId: string;
  name: string;
  notes: string | null;
  createdAt: string;
  createdBy: string;
  maxParallel: number;
  planRef: string | null;
  /** The metric that ranks the runs (a plan's); without one the fallback does. */
  metric?: MetricSpec | null;
  runs: { runId: string; overrides: Record<string, unknown> }[];
}

export function newGroupRecord(spec: NewGroupSpec): Group {
  const group: Group = {
    version: 1,
    kind: 'run_group',
    group_id: spec.groupId,
    created_at: spec.createdAt,
    created_by: spec.createdBy,
    name: spec.name,
    notes: spec.notes,
    plan_ref: spec.planRef,
    ...(spec.metric ? { metric: { name: spec.metric.name, goal: spec.metric.goal } } : {}),
    status: 'running',
    execution: { max_parallel: spec.maxParallel, started_at: null, finished_at: null, cancelled: false },
    runs: spec.runs.map((r) => ({
      run_id: r.runId,
      status: 'pending',
      request_overrides: r.overrides,
      result_ref: null,
      primary_metric: null,
    })),
    summary: { total: 0, succeeded: 0, failed: 0, canceled: 0, best_run_id: null, best_primary_metric: null },
    paused: false,
  };
  return summarizeGroup(group, spec.createdAt);
}

const ACTIVE: ReadonlySet<GroupRunStatus> = new Set(['pending', 'queued', 'running']);

export interface SyncOptions {
  /** Timestamp used for `execution.started_at` / `finished_at` when they are set now. */
  now: string;
  /** Primary metrics of runs that just finished, by run id. */
  metrics?: ReadonlyMap<string, PrimaryMetric | null>;
  /** Workspace-relative result.json path of a run. */
  resultRef: (runId: string) => string;
}

/** Updates run entries from the queue's jobs of this group, then the summary and status. */
export function syncGroupWithQueue(group: Group, jobs: readonly Job[], options: SyncOptions): Group {
  const newest = newestJobByRun(jobs.filter((j) => j.group_id === group.group_id));
  const byId = new Map(group.runs.map((r) => [r.run_id, r]));
  for (const [runId, job] of newest) {
    let entry = byId.get(runId);
    if (!entry) {
      // A run added to the group with `enqueue-run --group-id`.
      entry = { run_id: runId, status: 'pending', request_overrides: {}, result_ref: null, primary_metric: null };
      group.runs.push(entry);
      byId.set(runId, entry);
    }
    updateRunEntry(entry, job, options);
  }
  return summarizeGroup(group, options.now);
}

function updateRunEntry(entry: GroupRun, job: Job, options: SyncOptions): void {
  entry.status = job.state;
  if (job.state === 'queued' || job.state === 'running') {
    entry.result_ref = null;
    entry.primary_metric = null;
    delete entry.primary_metric_name;
    delete entry.primary_metric_goal;
    return;
  }
  entry.result_ref = options.resultRef(entry.run_id);
  const metric = options.metrics?.get(entry.run_id);
  if (metric !== undefined) {
    entry.primary_metric = metric?.value ?? null;
    if (metric) Object.assign(entry, { primary_metric_name: metric.name, primary_metric_goal: metric.goal });
    else {
      delete entry.primary_metric_name;
      delete entry.primary_metric_goal;
    }
  }
}

function terminalStatus(runs: readonly GroupRun[]): GroupStatus {
  if (runs.some((r) => r.status === 'canceled')) return 'canceled';
  if (runs.some((r) => r.status === 'failed')) return 'failed';
  return 'completed';
}

/** Recomputes summary, best run and status from the run entries. */
export function summarizeGroup(group: Group, now: string): Group {
  const runs = group.runs;
  const best = bestRun(group);
  group.summary = {
    ...group.summary,
    total: runs.length,
    succeeded: runs.filter((r) => r.status === 'succeeded').length,
    failed: runs.filter((r) => r.status === 'failed').length,
    canceled: runs.filter((r) => r.status === 'canceled').length,
    best_run_id: best?.run_id ?? null,
    best_primary_metric: typeof best?.primary_metric === 'number' ? best.primary_metric : null,
  };
  const active = runs.some((r) => ACTIVE.has(r.status));
  const started = runs.some((r) => r.status !== 'pending' && r.status !== 'queued');
  if (started && !group.execution.started_at) group.execution.started_at = now;
  if (active) {
    group.status = 'running';
    group.execution.finished_at = null;
  } else {
    group.status = terminalStatus(runs);
    if (!group.execution.finished_at) group.execution.finished_at = now;
  }
  return group;
}

/** A run entry as ranking sees it; an entry without a name (older records) is named by the fallback. */
function rankable(r: GroupRun): Rankable & { run: GroupRun } {
  const value = r.status === 'succeeded' && typeof r.primary_metric === 'number' ? r.primary_metric : null;
  const name = value === null ? null : (r.primary_metric_name ?? '(unnamed)');
  return { run: r, metric: value, metric_name: name, metric_goal: value === null ? null : (r.primary_metric_goal ?? null) };
}

/** The best succeeded run under the group's metric (its plan's, else the one most runs report). */
export function bestRun(group: Group): GroupRun | undefined {
  const rows = group.runs.map(rankable);
  return bestByMetric(rows, rankingMetricOf(rows, group.metric ?? null))?.run;
}

/** Runs of a group that are not finished yet. */
export const unfinishedRuns = (group: Group): GroupRun[] => group.runs.filter((r) => ACTIVE.has(r.status));
