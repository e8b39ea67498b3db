/**
 * What `runforge watch` follows, and the changes between two looks at it: piped (not a terminal), the
 * watch prints one line per change — a run's state, a group's progress, the daemon's health, a run's
 * latest progress token — instead of a whole screen every second.
 */
import type { Job } from '../contracts/queue.js';
import type { Clock } from '../infra/clock.js';
import { STALE_HEARTBEAT_REASON } from '../queue/daemon-health.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import type { Store } from '../store/store.js';
import { readLog } from './run-detail.js';
import { collectStatus, type StatusSnapshot } from './status.js';

export interface WatchView {
  snapshot: StatusSnapshot;
  /** The daemon in words: `running (PID n)`, `dead (PID n: process is not running)`… */
  daemon: string;
  /** Each run's state by its newest job (`ended (exit 0), not yet recorded` after a kill -9 of the daemon). */
  runs: Map<string, string>;
  /** The latest EPOCH/PROGRESS token of each running run, in words (`epoch 3/10`). */
  progress: Map<string, string>;
}

const PROGRESS = /^\[RF:(EPOCH|PROGRESS)=(\d+)\/(\d+)(?: (\S+))?\]$/;

/** The latest EPOCH/PROGRESS token of a running run, as `epoch 3/10` or `120/400 batches`. */
export async function progressOf(ws: WorkspacePaths, runId: string): Promise<string> {
  const { text } = await readLog(ws, runId, 0, 4 << 20);
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = PROGRESS.exec(lines[i]!.trim());
    if (m) return m[1] === 'EPOCH' ? `epoch ${m[2]}/${m[3]}` : `${m[2]}/${m[3]}${m[4] ? ` ${m[4]}` : ''}`;
  }
  return '';
}

function daemonWords(s: StatusSnapshot): string {
  const d = s.daemon;
  switch (d.health) {
    case 'healthy':
      return `running (PID ${d.pid})`;
    case 'stopping':
      return `stopping (PID ${d.pid})`;
    case 'stale':
      return d.reason === STALE_HEARTBEAT_REASON ? `stale heartbeat (PID ${d.pid})` : `dead (PID ${d.pid}: ${d.reason})`;
    case 'stopped':
      return 'stopped';
    case 'not_running':
      return 'not running';
  }
}

/** The newest job of every run in queue.json (archived jobs are finished and no longer change). */
function newestJobs(jobs: readonly Job[]): Map<string, Job> {
  const newest = new Map<string, Job>();
  for (const j of jobs) {
    const seen = newest.get(j.run_id);
    if (!seen || j.attempt >= seen.attempt) newest.set(j.run_id, j);
  }
  return newest;
}

export async function collectWatchView(store: Store, ws: WorkspacePaths, clock: Clock): Promise<WatchView> {
  const [snapshot, queue] = await Promise.all([collectStatus(store, ws, clock), store.readQueue()]);
  const ended = new Map(snapshot.running.filter((r) => r.ended !== null).map((r) => [r.job_id, r.ended!]));
  const runs = new Map<string, string>();
  for (const [runId, job] of newestJobs(queue.jobs)) {
    const e = ended.get(job.job_id);
    const how = e ? (e.result_status ?? (e.exit_code === null ? 'process gone' : `exit ${e.exit_code}`)) : '';
    runs.set(runId, e ? `ended (${how}), not yet recorded` : job.state);
  }
  const progress = new Map<string, string>();
  for (const r of snapshot.running) {
    if (r.ended !== null) continue;
    const p = await progressOf(ws, r.run_id).catch(() => '');
    if (p) progress.set(r.run_id, p);
  }
  return { snapshot, daemon: daemonWords(snapshot), runs, progress };
}

const FINISHED = new Set(['succeeded', 'failed', 'canceled']);

const groupWords = (g: StatusSnapshot['groups'][number]): string =>
  `${g.done}/${g.total} done (${Math.round(g.progress * 100)}%), ${g.running} running, ${g.succeeded} ok, ${g.failed} failed, ${g.canceled} canceled`;

/**
 * The changes from `prev` to `next`, one line each (without the time). With no `prev`: where things
 * stand — the daemon, the jobs, each unfinished group and each unfinished run.
 */
export function describeChanges(prev: WatchView | undefined, next: WatchView): string[] {
  const lines: string[] = [];
  const s = next.snapshot;
  if (!prev) {
    const j = s.jobs;
    lines.push(`daemon: ${next.daemon}`);
    lines.push(`jobs: ${j.queued} queued, ${j.running} running, ${j.succeeded} succeeded, ${j.failed} failed, ${j.canceled} canceled`);
    for (const g of s.groups) if (g.status === 'running') lines.push(`group ${g.group_id}: ${g.status}${g.paused ? ' (paused)' : ''}, ${groupWords(g)}`);
    for (const [runId, state] of next.runs) if (!FINISHED.has(state)) lines.push(`run ${runId}: ${state}`);
    for (const [runId, p] of next.progress) lines.push(`run ${runId}: ${p}`);
    return lines;
  }
  if (prev.daemon !== next.daemon) lines.push(`daemon: ${prev.daemon} → ${next.daemon}`);
  for (const [runId, state] of next.runs) {
    const was = prev.runs.get(runId);
    if (was === undefined) lines.push(`run ${runId}: ${state}`);
    else if (was !== state) lines.push(`run ${runId}: ${was} → ${state}`);
  }
  for (const [runId, p] of next.progress) if (prev.progress.get(runId) !== p) lines.push(`run ${runId}: ${p}`);
  const before = new Map(prev.snapshot.groups.map((g) => [g.group_id, g]));
  for (const g of s.groups) {
    const was = before.get(g.group_id);
    if (!was) {
      lines.push(`group ${g.group_id}: ${g.status}, ${groupWords(g)}`);
      continue;
    }
    if (was.status !== g.status) lines.push(`group ${g.group_id}: ${was.status} → ${g.status}`);
    if (was.paused !== g.paused) lines.push(`group ${g.group_id}: ${g.paused ? 'paused' : 'resumed'}`);
    if (groupWords(was) !== groupWords(g)) lines.push(`group ${g.group_id}: ${groupWords(g)}`);
  }
  return lines;
}
