import { type JobState, JOB_STATES } from '../../contracts/constants.js';
import { systemClock } from '../../infra/clock.js';
import { UsageError } from '../../infra/errors.js';
import { openFileStore } from '../../store/file/file-store.js';
import { rankRuns, runHistory } from '../../ops/history.js';
import { resolveGroupId, workspaceShortIds } from '../../ops/ids.js';
import { table } from '../format.js';
import { metricCells, metricHeader, metricLists } from '../metric-columns.js';
import { missingMetricHint } from '../../queue/ranking.js';
import { resolveWorkspace } from '../options.js';
import { out, outJson } from '../output.js';

export interface HistoryOptions {
  workspace?: string;
  group?: string;
  state?: string;
  json?: boolean;
  /** `time` (newest first, the default) or `metric` (best first under the runs' metric and its goal). */
  sort?: string;
  /** Show every final metric of each run. */
  metrics?: boolean;
}

export async function historyCommand(opts: HistoryOptions): Promise<number> {
  if (opts.state !== undefined && !(JOB_STATES as readonly string[]).includes(opts.state)) {
    throw new UsageError(`--state must be one of ${JOB_STATES.join(', ')} (got '${opts.state}')`);
  }
  if (opts.sort !== undefined && opts.sort !== 'time' && opts.sort !== 'metric') {
    throw new UsageError(`--sort must be one of time, metric (got '${opts.sort}')`);
  }
  const ws = resolveWorkspace(opts.workspace);
  const store = openFileStore(ws, systemClock);
  const group = opts.group === undefined ? undefined : await resolveGroupId(store, ws, opts.group);
  const all = await runHistory(store, ws, { group, state: opts.state as JobState | undefined });
  const { metric, rows } = rankRuns(all, opts.sort === 'metric');
  if (opts.json) return (outJson({ metric, runs: rows }), 0);
  if (rows.length === 0) return (out('No runs yet.'), 0);
  // One header names the metric when every run has the same one; a mix names it in each cell.
  const shared = metric && rows.every((r) => r.metric_name === null || r.metric_name === metric.name) ? metric : null;
  const cells = metricCells(rows, shared);
  const lists = opts.metrics ? metricLists(rows) : [];
  const short = await workspaceShortIds(store, ws);
  table([
    ['RUN', 'STATE', 'ORIGIN', 'ATTEMPT', 'DEVICE', 'DURATION', metricHeader(shared), ...(opts.metrics ? ['METRICS'] : []), 'STARTED', 'ERROR'],
    ...rows.map((r, i) => [
      short.run(r.run_id),
      r.state,
      r.origin,
      r.attempt === null ? '-' : String(r.attempt),
      r.device ?? '-',
      r.duration_ms === null ? '-' : `${(r.duration_ms / 1000).toFixed(1)}s`,
      cells[i]!,
      ...(opts.metrics ? [lists[i]!] : []),
      r.started_at ?? '-',
      r.error ?? '',
    ]),
  ]).forEach((l) => out(l));
  for (const r of rows) {
    if (r.state === 'succeeded' && r.metric === null && r.metric_name !== null && r.metric_goal !== null) {
      out(`Note: ${missingMetricHint(r.run_id, { name: r.metric_name, goal: r.metric_goal }, Object.keys(r.metrics).sort())}`);
    }
  }
  return 0;
}
