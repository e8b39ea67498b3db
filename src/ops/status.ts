/**
 * The status snapshot behind `queue-status --json`, `groups --json` and the dashboard's
 * `GET /api/status`: one shape, computed in one place.
 */
import type { Group } from '../contracts/group.js';
import type { Job, JobState } from '../contracts/queue.js';
import type { Clock } from '../infra/clock.js';
import { type EndedJob, jobEndedUnrecorded } from '../run/ended-job.js';
import { probeDaemonProcess } from '../process/daemon-liveness.js';
import { assessDaemon, type DaemonHealth } from '../queue/daemon-health.js';
import { countByState } from '../queue/jobs.js';
import { defaultGoal, type MetricSpec } from '../queue/primary-metric.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import type { Store } from '../store/store.js';
import { readDaemonStatus } from '../workspace/daemon-files.js';

export interface GroupProgress {
  group_id: string;
  name: string;
  status: Group['status'];
  paused: boolean;
  created_at: string;
  total: number;
  pending: number;
  queued: number;
  running: number;
  succeeded: number;
  failed: number;
  canceled: number;
  /** Finished runs (succeeded + failed + canceled). */
  done: number;
  /** done / total, 0..1. */
  progress: number;
  best_run_id: string | null;
  best_primary_metric: number | null;
  /** What `best_primary_metric` is: the group's chosen metric, else the best run's (null: none yet). */
  metric: MetricSpec | null;
}

export interface RunningJob {
  job_id: string;
  run_id: string;
  group_id: string | null;
  attempt: number;
  requires_gpu: boolean;
  gpu_device: number | null;
  pid: number | null;
  started_at: string | null;
  cancel_requested: boolean;
  /**
   * Set when no daemon is alive and the job's process has ended all the same (after a kill -9 of the
   * daemon): queue.json still says running until a daemon starts and records it. Null otherwise.
   */
  ended: EndedJob | null;
}

export interface StatusSnapshot {
  workspace: string;
  generated_at_ms: number;
  daemon: {
    health: DaemonHealth;
    healthy: boolean;
    pid: number | null;
    state: string | null;
    started_at: string | null;
    last_heartbeat: string | null;
    heartbeat_age_s: number | null;
    /**
     * Why a `stale` daemon is not healthy: `process is not running` or `process is not a RunForge
     * daemon` (seen at once on the daemon's machine), else `heartbeat is stale`; null otherwise.
     */
    reason: string | null;
  };
  limits: { max_parallel: number; gpu_slots: number };
  /** Every job holds one of `max_parallel` slots; a GPU job also holds one of `gpu_slots`. */
  slots: { cpu: { used: number; limit: number }; gpu: { used: number; limit: number } };
  /** Per GPU device of a live daemon: jobs on it and its cap (`--jobs-per-gpu`). */
  gpus: { index: number; name: string; used: number; limit: number }[];
  /** Every job ever queued, by state: queue.json's plus those archived in history.jsonl. */
  jobs: Record<JobState, number> & { total: number; waiting_for_gpu: number };
  /** Of `jobs`, the finished ones moved to history.jsonl (`runforge history` lists them). */
  archived: { total: number; succeeded: number; failed: number; canceled: number };
  last_served_group: string | null;
  paused_groups: string[];
  groups: GroupProgress[];
  running: RunningJob[];
}

export function groupProgress(group: Group): GroupProgress {
  const by = (s: string): number => group.runs.filter((r) => r.status === s).length;
  const total = group.runs.length;
  const succeeded = by('succeeded');
  const failed = by('failed');
  const canceled = by('canceled');
  const done = succeeded + failed + canceled;
  return {
    group_id: group.group_id,
    name: group.name,
    status: group.status,
    paused: group.paused,
    created_at: group.created_at,
    total,
    pending: by('pending'),
    queued: by('queued'),
    running: by('running'),
    succeeded,
    failed,
    canceled,
    done,
    progress: total === 0 ? 1 : done / total,
    best_run_id: group.summary.best_run_id ?? null,
    best_primary_metric: group.summary.best_primary_metric ?? null,
    metric: groupMetric(group),
  };
}

function groupMetric(group: Group): MetricSpec | null {
  if (group.metric) return { name: group.metric.name, goal: group.metric.goal };
  const best = group.runs.find((r) => r.run_id === group.summary.best_run_id);
  if (!best?.primary_metric_name) return null;
  return { name: best.primary_metric_name, goal: best.primary_metric_goal ?? defaultGoal(best.primary_metric_name) };
}

const runningView = (j: Job, ended: EndedJob | undefined): RunningJob => ({
  job_id: j.job_id,
  run_id: j.run_id,
  group_id: j.group_id,
  attempt: j.attempt,
  requires_gpu: j.requires_gpu,
  gpu_device: j.gpu_device ?? null,
  pid: j.pid ?? null,
  started_at: j.started_at ?? null,
  cancel_requested: j.cancel_requested === true,
  ended: ended ?? null,
});

/** `staleAfterMs`: when a heartbeat counts as stale (SPEC §6: 30 s; smaller in tests of the dashboard). */
export async function collectStatus(store: Store, ws: WorkspacePaths, clock: Clock, staleAfterMs?: number): Promise<StatusSnapshot> {
  const [queue, daemonStatus, groups] = await Promise.all([store.readQueue(), readDaemonStatus(ws), store.listGroups()]);
  const nowMs = clock.now();
  // On the daemon's machine its PID tells at once whether it is gone (a kill -9 leaves daemon.json saying running).
  const live = daemonStatus && daemonStatus.state !== 'stopped' ? probeDaemonProcess(daemonStatus) : undefined;
  const daemon = assessDaemon(daemonStatus, nowMs, staleAfterMs, live);
  const isLive = daemon.health === 'healthy' || daemon.health === 'stopping';
  const limits = {
    max_parallel: isLive && daemonStatus ? daemonStatus.max_parallel : queue.max_parallel,
    gpu_slots: isLive && daemonStatus ? daemonStatus.gpu_slots : queue.gpu_slots,
  };
  const counts = countByState(queue.jobs);
  // From queue.json's small `archived` field: a status never reads the history itself.
  const archived = { succeeded: queue.archived?.succeeded ?? 0, failed: queue.archived?.failed ?? 0, canceled: queue.archived?.canceled ?? 0 };
  const archivedTotal = archived.succeeded + archived.failed + archived.canceled;
  for (const state of ['succeeded', 'failed', 'canceled'] as const) counts[state] += archived[state];
  const running = queue.jobs.filter((j) => j.state === 'running');
  // Without a live daemon nobody records a job's end: look whether its process has ended.
  const ended = isLive ? [] : await Promise.all(running.map((j) => jobEndedUnrecorded(ws, j, live !== undefined)));
  return {
    workspace: ws.root,
    generated_at_ms: nowMs,
    daemon: {
      health: daemon.health,
      healthy: daemon.healthy,
      pid: daemonStatus?.pid ?? null,
      state: daemonStatus?.state ?? null,
      started_at: daemonStatus?.started_at ?? null,
      last_heartbeat: daemonStatus?.last_heartbeat ?? null,
      heartbeat_age_s: daemon.heartbeatAgeS,
      reason: daemon.reason,
    },
    limits,
    slots: {
      cpu: { used: running.length, limit: limits.max_parallel },
      gpu: { used: running.filter((j) => j.requires_gpu).length, limit: limits.gpu_slots },
    },
    gpus:
      isLive && daemonStatus?.gpus
        ? daemonStatus.gpus.map((g) => ({
            index: g.index,
            name: g.name,
            used: running.filter((j) => j.gpu_device === g.index).length,
            limit: daemonStatus.jobs_per_gpu ?? 1,
          }))
        : [],
    jobs: {
      ...counts,
      total: queue.jobs.length + archivedTotal,
      waiting_for_gpu: queue.jobs.filter((j) => j.state === 'queued' && j.requires_gpu).length,
    },
    archived: { total: archivedTotal, ...archived },
    last_served_group: queue.last_served_group ?? null,
    paused_groups: groups.filter((g) => g.paused).map((g) => g.group_id),
    groups: groups.map(groupProgress),
    running: running.map((j, i) => runningView(j, ended[i])),
  };
}
