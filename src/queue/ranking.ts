/**
 * Ranking runs by one metric, pure: which metric a set of runs is ranked by, their order under its
 * goal, and how many decimals tell their values apart. Used by group.json's best run, the
 * leaderboard (`groups show`, the dashboard) and `history --sort metric`.
 */
import { defaultGoal, FALLBACK_METRICS, isBetter, type MetricGoal, type MetricSpec } from './primary-metric.js';

/** A run as far as ranking goes: its primary metric's name, value and goal (null when it has none). */
export interface Rankable {
  metric_name: string | null;
  metric: number | null;
  metric_goal: MetricGoal | null;
}

/**
 * The metric a set of runs is ranked by: the chosen one when there is one (a plan's `metric`),
 * else the name most of them have (a tie goes to accuracy, f1_score, loss, then alphabetical order),
 * with the goal those runs recorded. Null when no run has a metric.
 */
export function rankingMetricOf(rows: readonly Rankable[], chosen?: MetricSpec | null): MetricSpec | null {
  if (chosen) return chosen;
  const counts = new Map<string, number>();
  for (const r of rows) if (r.metric_name !== null) counts.set(r.metric_name, (counts.get(r.metric_name) ?? 0) + 1);
  if (counts.size === 0) return null;
  const order = (n: string): number => {
    const i = (FALLBACK_METRICS as readonly string[]).indexOf(n);
    return i === -1 ? FALLBACK_METRICS.length : i;
  };
  const [name] = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || order(a) - order(b) || (a < b ? -1 : a > b ? 1 : 0));
  const goal = rows.find((r) => r.metric_name === name && r.metric_goal !== null)?.metric_goal ?? defaultGoal(name!);
  return { name: name!, goal };
}

/** True when the row has a value of `metric` (the rows that get a rank). */
export const hasMetric = (row: Rankable, metric: MetricSpec | null): row is Rankable & { metric: number } =>
  metric !== null && row.metric_name === metric.name && typeof row.metric === 'number' && Number.isFinite(row.metric);

/**
 * The rows best first under `metric`'s goal (equal values keep their order); rows without a value
 * of that metric follow, in their order. Returns the ranked rows and the rest separately.
 */
export function rankByMetric<T extends Rankable>(rows: readonly T[], metric: MetricSpec | null): { ranked: T[]; unranked: T[] } {
  const ranked = rows.filter((r) => hasMetric(r, metric));
  const unranked = rows.filter((r) => !hasMetric(r, metric));
  if (metric) ranked.sort((a, b) => (isBetter(metric.goal, a.metric!, b.metric!) ? -1 : isBetter(metric.goal, b.metric!, a.metric!) ? 1 : 0));
  return { ranked, unranked };
}

/** The best row under `metric`, or undefined when none has a value of it. */
export function bestByMetric<T extends Rankable>(rows: readonly T[], metric: MetricSpec | null): T | undefined {
  return rankByMetric(rows, metric).ranked[0];
}

/** At least this many decimals; more only when two different values would otherwise print alike. */
export const MIN_METRIC_DECIMALS = 4;
const MAX_METRIC_DECIMALS = 12;

/** The fewest decimals (>= 4) with which every two different values print differently. */
export function metricDecimals(values: readonly (number | null | undefined)[]): number {
  const distinct = [...new Set(values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)))];
  for (let d = MIN_METRIC_DECIMALS; d < MAX_METRIC_DECIMALS; d++) {
    if (new Set(distinct.map((v) => formatMetricValue(v, d))).size === distinct.length) return d;
  }
  return MAX_METRIC_DECIMALS;
}

/** A metric value with `decimals` decimals; a tiny non-zero one in exponent form rather than as 0.0000. */
export function formatMetricValue(value: number, decimals: number = MIN_METRIC_DECIMALS): string {
  if (value !== 0 && Math.abs(value) < 10 ** -decimals) return value.toExponential(decimals - 1);
  return value.toFixed(decimals);
}

/** `loss ↓` / `accuracy ↑`: a metric's name with the direction that is better. */
export const metricLabel = (metric: MetricSpec): string => `${metric.name} ${metric.goal === 'minimize' ? '↓' : '↑'}`;

/** The metric cell of a run without a value of the ranking metric. */
export const NO_METRIC = '—';

/** Why a finished run has no value of `metric`: the metrics it did report. */
export function missingMetricHint(runId: string, metric: MetricSpec, reported: readonly string[]): string {
  const has = reported.length > 0 ? `it reported ${reported.map((n) => `"${n}"`).join(', ')}` : 'it reported no metrics';
  return `${runId} has no "${metric.name}": ${has}`;
}
