import { groupProgress } from '../../ops/status.js';
import { systemClock } from '../../infra/clock.js';
import { openFileStore } from '../../store/file/file-store.js';
import type { Store } from '../../store/store.js';
import { MissingFilesError, UsageError } from '../../infra/errors.js';
import { resolveGroupId, workspaceShortIds } from '../../ops/ids.js';
import { leaderboard } from '../../ops/leaderboard.js';
import type { WorkspacePaths } from '../../workspace/paths.js';
import { percent, table } from '../format.js';
import { allMetricColumns, metricCells, metricHeader, metricNames } from '../metric-columns.js';
import { formatMetricValue, metricDecimals, metricLabel } from '../../queue/ranking.js';
import { resolveWorkspace } from '../options.js';
import { out, outJson } from '../output.js';

export async function groupsCommand(
  action: string | undefined,
  gid: string | undefined,
  opts: { workspace?: string; json?: boolean; allMetrics?: boolean },
): Promise<number> {
  const ws = resolveWorkspace(opts.workspace);
  const store = openFileStore(ws, systemClock);
  if (action !== undefined) return showGroup(store, ws, action, gid, opts);
  const groups = (await store.listGroups()).map(groupProgress);
  if (opts.json) {
    outJson({ groups });
    return 0;
  }
  if (groups.length === 0) {
    out('No groups yet. Enqueue a sweep with: runforge enqueue-sweep --plan plan.json');
    return 0;
  }
  const short = await workspaceShortIds(store, ws);
  const decimals = metricDecimals(groups.map((g) => g.best_primary_metric));
  const rows = [
    ['GROUP', 'STATUS', 'DONE', 'OK', 'FAILED', 'CANCELED', 'BEST RUN', 'BEST', 'NAME'],
    ...groups.map((g) => [
      short.group(g.group_id),
      g.paused ? `${g.status} (paused)` : g.status,
      `${g.done}/${g.total} ${percent(g.progress)}`,
      String(g.succeeded),
      String(g.failed),
      String(g.canceled),
      g.best_run_id === null ? '-' : short.run(g.best_run_id),
      g.metric && g.best_primary_metric !== null ? `${metricLabel(g.metric)} ${formatMetricValue(g.best_primary_metric, decimals)}` : '-',
      g.name,
    ]),
  ];
  table(rows).forEach((line) => out(line));
  return 0;
}

/** `groups show <gid>`: a sweep's leaderboard. */
async function showGroup(store: Store, ws: WorkspacePaths, action: string, gid: string | undefined, opts: { json?: boolean; allMetrics?: boolean }): Promise<number> {
  if (action !== 'show' || gid === undefined) throw new UsageError('Use `runforge groups` or `runforge groups show <group-id>`');
  const group = await store.readGroup(await resolveGroupId(store, ws, gid));
  if (!group) throw new MissingFilesError(`Group not found: ${gid}`);
  const { metric, rows } = await leaderboard(ws, group);
  if (opts.json) return (outJson({ group: groupProgress(group), metric, leaderboard: rows }), 0);
  const p = groupProgress(group);
  out(`${group.name} (${group.group_id}): ${group.status}${group.paused ? ', paused' : ''}, ${p.done}/${p.total} done`);
  if (metric) out(`Ranked by ${metric.name} (${metric.goal === 'minimize' ? 'lower' : 'higher'} is better)${group.metric ? '' : ': no metric was chosen, the fallback named it'}`);
  const ranking = metricCells(rows, metric);
  const short = await workspaceShortIds(store, ws);
  const extra = opts.allMetrics ? allMetricColumns(rows, metricNames(rows).filter((n) => n !== metric?.name)) : [];
  table([
    ['#', 'RUN', 'STATUS', 'FAMILY', 'DEVICE', metricHeader(metric), ...extra.map((c) => c[0]!), 'TIME', 'SWEPT VALUES'],
    ...rows.map((r, i) => [
      r.rank === null ? '-' : String(r.rank),
      short.run(r.run_id),
      r.status,
      r.family ?? '-',
      r.device ?? '-',
      ranking[i]!,
      ...extra.map((c) => c[i + 1]!),
      r.duration_ms === null ? '-' : `${(r.duration_ms / 1000).toFixed(1)}s`,
      JSON.stringify(r.overrides),
    ]),
  ]).forEach((l) => out(l));
  for (const r of rows) if (r.hint) out(`Note: ${r.hint}`);
  return 0;
}
