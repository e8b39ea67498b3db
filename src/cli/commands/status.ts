import { systemClock } from '../../infra/clock.js';
import { openFileStore } from '../../store/file/file-store.js';
import { FULL_IDS, type ShortIds, workspaceShortIds } from '../../ops/ids.js';
import { collectStatus, type StatusSnapshot } from '../../ops/status.js';
import { STALE_HEARTBEAT_REASON } from '../../queue/daemon-health.js';
import { formatAge, formatMetric, percent, table } from '../format.js';
import { resolveWorkspace } from '../options.js';
import { out, outJson } from '../output.js';

/** The daemon's process is gone (or is another program), as seen on its machine: not a guess from the heartbeat. */
export const isDead = (s: StatusSnapshot): boolean => s.daemon.health === 'stale' && s.daemon.reason !== null && s.daemon.reason !== STALE_HEARTBEAT_REASON;

export function daemonLine(s: StatusSnapshot): string {
  const d = s.daemon;
  const beat = `heartbeat ${formatAge(d.heartbeat_age_s)}`;
  switch (d.health) {
    case 'healthy':
      return `Daemon: running (PID ${d.pid}, ${beat})`;
    case 'stopping':
      return `Daemon: stopping (PID ${d.pid}, ${beat})`;
    case 'stale':
      // Seen dead on its own machine: say so and why, rather than wait for the heartbeat to age.
      if (isDead(s)) return `Daemon: dead (PID ${d.pid}: ${d.reason}; last ${beat}); start one with: runforge daemon`;
      return `Daemon: WARNING stale heartbeat (PID ${d.pid}, ${beat}); it is probably dead, start one with: runforge daemon`;
    case 'stopped':
      return `Daemon: stopped (last ${beat}); start one with: runforge daemon`;
    case 'not_running':
      return 'Daemon: not running; start one with: runforge daemon';
  }
}

const endedCount = (s: StatusSnapshot): number => s.running.filter((r) => r.ended !== null).length;

/** Jobs queue.json calls running whose process ended while no daemon was alive: not running any more. */
const endedNote = (s: StatusSnapshot): string => (endedCount(s) > 0 ? ` (${endedCount(s)} of them ended, not yet recorded)` : '');

/** The jobs that ended while no daemon was alive to record them (a daemon records them when it starts). */
export function endedLines(s: StatusSnapshot, short: ShortIds = FULL_IDS): string[] {
  const ended = s.running.filter((r) => r.ended !== null);
  if (ended.length === 0) return [];
  const how = (e: NonNullable<StatusSnapshot['running'][number]['ended']>): string =>
    e.result_status ?? (e.exit_code === null ? 'process gone' : `exit ${e.exit_code}`);
  return [
    'Ended while no daemon was running (recorded when one starts):',
    ...table(ended.map((r) => [`  ${short.job(r.job_id)}`, short.run(r.run_id), `ended (${how(r.ended!)})`])),
  ];
}

const STATE_LABELS = [
  ['queued', 'Queued'],
  ['running', 'Running'],
  ['succeeded', 'Succeeded'],
  ['failed', 'Failed'],
  ['canceled', 'Canceled'],
] as const;

/**
 * The original's layout first (Queue Status, Daemon Status, Paused Groups), then what the port adds:
 * heartbeat health, slots, per-group progress and the running jobs.
 */
export function renderStatus(s: StatusSnapshot, short: ShortIds = FULL_IDS): string[] {
  const j = s.jobs;
  const lines = ['Queue Status', `  Max parallel: ${s.limits.max_parallel}`, `  Total jobs: ${j.total}`];
  for (const [state, label] of STATE_LABELS) if (j[state] > 0) lines.push(`  ${label}: ${j[state]}`);
  // daemon.json of a killed daemon still says running: the state shown is the truth.
  lines.push('', 'Daemon Status', `  State: ${isDead(s) ? 'dead' : (s.daemon.state ?? 'stopped')}`);
  if ((s.daemon.state === 'running' || s.daemon.state === 'stopping') && !isDead(s)) {
    lines.push(`  PID: ${s.daemon.pid}`, `  Active jobs: ${s.slots.cpu.used}`, `  Last heartbeat: ${s.daemon.last_heartbeat}`);
  }
  lines.push(`  ${daemonLine(s)}`);
  if (s.paused_groups.length > 0) lines.push('', 'Paused Groups', ...[...s.paused_groups].sort().map((g) => `  ${short.group(g)}`));
  lines.push(
    '',
    `Workspace: ${s.workspace}`,
    `Slots: CPU ${s.slots.cpu.used}/${s.slots.cpu.limit} in use, GPU ${s.slots.gpu.used}/${s.slots.gpu.limit} in use` +
      (s.gpus.length > 0 ? ` (${s.gpus.map((g) => `gpu${g.index} ${g.used}/${g.limit}`).join(', ')})` : ''),
    `Jobs: ${j.queued} queued${j.waiting_for_gpu > 0 ? ` (${j.waiting_for_gpu} need a GPU)` : ''}, ${j.running} running${endedNote(s)}, ` +
      `${j.succeeded} succeeded, ${j.failed} failed, ${j.canceled} canceled (${j.total} total)`,
  );
  if (s.archived.total > 0) {
    lines.push(`History: ${s.archived.total} finished jobs archived in .runforge/queue/history.jsonl (counted above; runforge history lists them)`);
  }
  if (s.groups.length > 0) {
    lines.push('Groups:');
    const rows = s.groups.map((g) => [
      `  ${short.group(g.group_id)}`,
      g.paused ? `${g.status} (paused)` : g.status,
      `${g.done}/${g.total} done ${percent(g.progress)}`,
      `${g.queued} queued, ${g.running} running, ${g.succeeded} ok, ${g.failed} failed, ${g.canceled} canceled`,
      g.best_run_id ? `best ${short.run(g.best_run_id)} ${formatMetric(g.best_primary_metric)}` : 'best -',
      g.name,
    ]);
    lines.push(...table(rows));
  }
  const running = s.running.filter((r) => r.ended === null);
  if (running.length > 0) {
    lines.push('Running:');
    lines.push(
      ...table(
        running.map((r) => [
          `  ${short.job(r.job_id)}`,
          short.run(r.run_id),
          r.requires_gpu ? `gpu${r.gpu_device === null ? '' : `:${r.gpu_device}`}` : 'cpu',
          `attempt ${r.attempt}`,
          r.cancel_requested ? 'cancel requested' : '',
        ]),
      ),
    );
  }
  lines.push(...endedLines(s, short));
  return lines;
}

export async function queueStatusCommand(opts: { workspace?: string; json?: boolean }): Promise<number> {
  const ws = resolveWorkspace(opts.workspace);
  const store = openFileStore(ws, systemClock);
  const snapshot = await collectStatus(store, ws, systemClock);
  if (opts.json) outJson(snapshot);
  else renderStatus(snapshot, await workspaceShortIds(store, ws)).forEach((line) => out(line));
  return 0;
}
