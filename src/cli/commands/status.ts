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

export function renderStatus(s: StatusSnapshot): string[] {
  const j = s.jobs;
  const lines = [
    `Workspace: ${s.workspace}`,
    daemonLine(s),
    `Slots: CPU ${s.slots.cpu.used}/${s.slots.cpu.limit} in use, GPU ${s.slots.gpu.used}/${s.slots.gpu.limit} in use` +
      (s.gpus.length > 0 ? ` (${s.gpus.map((g) => `gpu${g.index} ${g.used}/${g.limit}`).join(', ')})` : ''),
    `Jobs: ${j.queued} queued${j.waiting_for_gpu > 0 ? ` (${j.waiting_for_gpu} need a GPU)` : ''}, ${j.running} running, ` +
      `${j.succeeded} succeeded, ${j.failed} failed, ${j.canceled} canceled (${j.total} total)`,
    `Paused groups: ${s.paused_groups.length === 0 ? 'none' : s.paused_groups.join(', ')}`,
  ];
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
