/** A sweep's leaderboard: its runs ranked by primary metric, with what each tried. */
import type { Group } from '../contracts/group.js';
import { isBetter, primaryMetricOf } from '../queue/primary-metric.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import { resultDevice } from './history.js';
import { readRequest, readResult } from '../workspace/store.js';

export interface LeaderboardRow {
  rank: number | null;
  run_id: string;
  name: string | null;
  status: string;
  family: string | null;
  device: string | null;
  overrides: Record<string, unknown>;
  metric_name: string | null;
  metric: number | null;
  duration_ms: number | null;
}

export async function leaderboard(ws: WorkspacePaths, group: Group): Promise<LeaderboardRow[]> {
  const rows: LeaderboardRow[] = [];
  for (const run of group.runs) {
    const [result, request] = await Promise.all([
      readResult(ws, run.run_id).catch(() => undefined),
      readRequest(ws, run.run_id).catch(() => undefined),
    ]);
    const metric = result && result.status === 'succeeded' ? primaryMetricOf(result) : null;
    const name = typeof request?.name === 'string' ? request.name : null;
    rows.push({
      rank: null,
      run_id: run.run_id,
      name,
      status: run.status,
      family: request?.model?.family ?? (request?.command ? 'command' : null),
      device: resultDevice(result) ?? request?.device.type ?? null,
      overrides: run.request_overrides,
      metric_name: metric?.name ?? null,
      metric: metric?.value ?? null,
      duration_ms: result?.duration_ms ?? null,
    });
  }
  const ranked = rows.filter((r) => r.metric !== null);
  ranked.sort((a, b) => (isBetter(a.metric_name, a.metric!, b.metric!) ? -1 : isBetter(a.metric_name, b.metric!, a.metric!) ? 1 : 0));
  ranked.forEach((r, i) => (r.rank = i + 1));
  return [...ranked, ...rows.filter((r) => r.metric === null)];
}

