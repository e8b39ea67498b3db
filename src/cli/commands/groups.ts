import { groupProgress } from '../../ops/status.js';
import { listGroups } from '../../workspace/store.js';
import { formatMetric, percent, table } from '../format.js';
import { resolveWorkspace } from '../options.js';
import { out, outJson } from '../output.js';

export async function groupsCommand(opts: { workspace?: string; json?: boolean }): Promise<number> {
  const ws = resolveWorkspace(opts.workspace);
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
