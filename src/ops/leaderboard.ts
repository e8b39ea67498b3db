/** A sweep's leaderboard: its runs ranked by the group's metric, with what each tried. */
import type { Group } from '../contracts/group.js';
import { chosenMetricOf, type MetricGoal, type MetricSpec, primaryMetricOf } from '../queue/primary-metric.js';
import { missingMetricHint, rankByMetric, rankingMetricOf } from '../queue/ranking.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import { resultDevice } from './history.js';
import { readRequest, readResult } from '../run/files/documents.js';

export interface LeaderboardRow {
  rank: number | null;
  run_id: string;
  name: string | null;
  status: string;
  family: string | null;
  device: string | null;
  overrides: Record<string, unknown>;
  /** The run's primary metric (of a succeeded run), or the metric it was told to report and did not. */
  metric_name: string | null;
  metric: number | null;
  metric_goal: MetricGoal | null;
  /** Every final metric the run reported (empty before it ends). */
  metrics: Record<string, number>;
  /** For a succeeded run without the ranking metric: which metrics it has. */
  hint: string | null;
  duration_ms: number | null;
}

export interface Leaderboard {
  /** The metric the rows are ranked by (null: no run has one yet). */
  metric: MetricSpec | null;
  /** Ranked rows best first, then the rest in the group's order. */
  rows: LeaderboardRow[];
}

export async function leaderboard(ws: WorkspacePaths, group: Group): Promise<Leaderboard> {
  const rows: LeaderboardRow[] = [];
  for (const run of group.runs) {
    const [result, request] = await Promise.all([
      readResult(ws, run.run_id).catch(() => undefined),
      readRequest(ws, run.run_id).catch(() => undefined),
    ]);
    const succeeded = result?.status === 'succeeded';
    const metric = succeeded ? primaryMetricOf(result) : null;
    const chosen = chosenMetricOf(result) ?? request?.metric ?? null;
    rows.push({
      rank: null,
      run_id: run.run_id,
      name: typeof request?.name === 'string' ? request.name : null,
      status: run.status,
      family: request?.model?.family ?? (request?.command ? 'command' : null),
      device: resultDevice(result) ?? request?.device.type ?? null,
      overrides: run.request_overrides,
      metric_name: metric?.name ?? (succeeded && chosen ? chosen.name : null),
      metric: metric?.value ?? null,
      metric_goal: metric?.goal ?? null,
      metrics: { ...(result?.summary?.metrics ?? {}) },
      hint: null,
      duration_ms: result?.duration_ms ?? null,
    });
  }
  const chosen = group.metric ?? null;
  const metric = rankingMetricOf(rows.filter((r) => r.metric !== null), chosen);
  const { ranked, unranked } = rankByMetric(rows, metric);
  ranked.forEach((r, i) => (r.rank = i + 1));
  // A run that succeeded without the metric is the user's to fix (a typo, a metric never reported).
  for (const r of unranked) if (metric && r.status === 'succeeded') r.hint = missingMetricHint(r.run_id, metric, Object.keys(r.metrics).sort());
  return { metric, rows: [...ranked, ...unranked] };
}
