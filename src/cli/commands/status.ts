import { systemClock } from '../../infra/clock.js';
import { collectStatus, type StatusSnapshot } from '../../ops/status.js';
import { formatAge, formatMetric, percent, table } from '../format.js';
import { resolveWorkspace } from '../options.js';
import { out, outJson } from '../output.js';

export function daemonLine(s: StatusSnapshot): string {
  const d = s.daemon;
  const beat = `heartbeat ${formatAge(d.heartbeat_age_s)}`;
  switch (d.health) {
    case 'healthy':
      return `Daemon: running (PID ${d.pid}, ${beat})`;
    case 'stopping':
      return `Daemon: stopping (PID ${d.pid}, ${beat})`;
    case 'stale':
      return `Daemon: WARNING stale heartbeat (PID ${d.pid}, ${beat}); it is probably dead, start one with: runforge daemon`;
    case 'stopped':
      return `Daemon: stopped (last ${beat}); start one with: runforge daemon`;
    case 'not_running':
      return 'Daemon: not running; start one with: runforge daemon';
  }
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
export function renderStatus(s: StatusSnapshot): string[] {
  const j = s.jobs;
  const lines = ['Queue Status', `  Max parallel: ${s.limits.max_parallel}`, `  Total jobs: ${j.total}`];
  for (const [state, label] of STATE_LABELS) if (j[state] > 0) lines.push(`  ${label}: ${j[state]}`);
  lines.push('', 'Daemon Status', `  State: ${s.daemon.state ?? 'stopped'}`);
  if (s.daemon.state === 'running' || s.daemon.state === 'stopping') {
    lines.push(`  PID: ${s.daemon.pid}`, `  Active jobs: ${s.slots.cpu.used}`, `  Last heartbeat: ${s.daemon.last_heartbeat}`);
  }
  lines.push(`  ${daemonLine(s)}`);
  if (s.paused_groups.length > 0) lines.push('', 'Paused Groups', ...[...s.paused_groups].sort().map((g) => `  ${g}`));
  lines.push(
    '',
    `Workspace: ${s.workspace}`,
    `Slots: CPU ${s.slots.cpu.used}/${s.slots.cpu.limit} in use, GPU ${s.slots.gpu.used}/${s.slots.gpu.limit} in use` +
      (s.gpus.length > 0 ? ` (${s.gpus.map((g) => `gpu${g.index} ${g.used}/${g.limit}`).join(', ')})` : ''),
    `Jobs: ${j.queued} queued${j.waiting_for_gpu > 0 ? ` (${j.waiting_for_gpu} need a GPU)` : ''}, ${j.running} running, ` +
      `${j.succeeded} succeeded, ${j.failed} failed, ${j.canceled} canceled (${j.total} total)`,
  );
  if (s.archived.total > 0) {
    lines.push(`History: ${s.archived.total} finished jobs archived in .runforge/queue/history.jsonl (counted above; runforge history lists them)`);
  }
  if (s.groups.length > 0) {
    lines.push('Groups:');
    const rows = s.groups.map((g) => [
      `  ${g.group_id}`,
      g.paused ? `${g.status} (paused)` : g.status,
      `${g.done}/${g.total} done ${percent(g.progress)}`,
      `${g.queued} queued, ${g.running} running, ${g.succeeded} ok, ${g.failed} failed, ${g.canceled} canceled`,
      g.best_run_id ? `best ${g.best_run_id} ${formatMetric(g.best_primary_metric)}` : 'best -',
      g.name,
    ]);
    lines.push(...table(rows));
  }
  if (s.running.length > 0) {
    lines.push('Running:');
    lines.push(
      ...table(
        s.running.map((r) => [
          `  ${r.job_id}`,
          r.run_id,
          r.requires_gpu ? `gpu${r.gpu_device === null ? '' : `:${r.gpu_device}`}` : 'cpu',
          `attempt ${r.attempt}`,
          r.cancel_requested ? 'cancel requested' : '',
        ]),
      ),
    );
  }
  return lines;
}

export async function queueStatusCommand(opts: { workspace?: string; json?: boolean }): Promise<number> {
  const ws = resolveWorkspace(opts.workspace);
  const snapshot = await collectStatus(ws, systemClock);
  if (opts.json) outJson(snapshot);
  else renderStatus(snapshot).forEach((line) => out(line));
  return 0;
}
