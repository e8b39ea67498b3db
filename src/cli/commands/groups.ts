import { groupProgress } from '../../ops/status.js';
import { listGroups, readGroup } from '../../workspace/store.js';
import { MissingFilesError, UsageError } from '../../infra/errors.js';
import { assertSafeId } from '../../ops/ids.js';
import { leaderboard } from '../../ops/leaderboard.js';
import type { WorkspacePaths } from '../../workspace/paths.js';
import { formatMetric, percent, table } from '../format.js';
import { resolveWorkspace } from '../options.js';
import { out, outJson } from '../output.js';

export async function groupsCommand(
  action: string | undefined,
  gid: string | undefined,
  opts: { workspace?: string; json?: boolean },
): Promise<number> {
  const ws = resolveWorkspace(opts.workspace);
  if (action !== undefined) return showGroup(ws, action, gid, opts.json === true);
  const groups = (await listGroups(ws)).map(groupProgress);
  if (opts.json) {
    outJson({ groups });
    return 0;
  }
  if (groups.length === 0) {
    out('No groups yet. Enqueue a sweep with: runforge enqueue-sweep --plan plan.json');
    return 0;
  }
  const rows = [
    ['GROUP', 'STATUS', 'DONE', 'OK', 'FAILED', 'CANCELED', 'BEST RUN', 'BEST', 'NAME'],
    ...groups.map((g) => [
      g.group_id,
      g.paused ? `${g.status} (paused)` : g.status,
      `${g.done}/${g.total} ${percent(g.progress)}`,
      String(g.succeeded),
      String(g.failed),
      String(g.canceled),
      g.best_run_id ?? '-',
      formatMetric(g.best_primary_metric),
      g.name,
    ]),
  ];
  table(rows).forEach((line) => out(line));
  return 0;
}

/** `groups show <gid>`: a sweep's leaderboard. */
async function showGroup(ws: WorkspacePaths, action: string, gid: string | undefined, json: boolean): Promise<number> {
  if (action !== 'show' || gid === undefined) throw new UsageError('Use `runforge groups` or `runforge groups show <group-id>`');
  const group = await readGroup(ws, assertSafeId('group id', gid));
  if (!group) throw new MissingFilesError(`Group not found: ${gid}`);
  const rows = await leaderboard(ws, group);
  if (json) return (outJson({ group: groupProgress(group), leaderboard: rows }), 0);
  const p = groupProgress(group);
  out(`${group.name} (${group.group_id}): ${group.status}${group.paused ? ', paused' : ''}, ${p.done}/${p.total} done`);
  table([
    ['#', 'RUN', 'STATUS', 'FAMILY', 'DEVICE', 'METRIC', 'TIME', 'SWEPT VALUES'],
    ...rows.map((r) => [
      r.rank === null ? '-' : String(r.rank),
      r.run_id,
      r.status,
      r.family ?? '-',
      r.device ?? '-',
      r.metric === null ? '-' : `${r.metric_name} ${formatMetric(r.metric)}`,
      r.duration_ms === null ? '-' : `${(r.duration_ms / 1000).toFixed(1)}s`,
      JSON.stringify(r.overrides),
    ]),
  ]).forEach((l) => out(l));
  return 0;
}
