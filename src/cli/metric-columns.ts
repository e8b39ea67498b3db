/**
 * The metric columns of `groups`, `groups show` and `history`: named by the metric and its direction
 * (`loss ↓`), with as many decimals as it takes to tell the values apart (at least 4), `—` for a run
 * without the metric, and every other metric on demand.
 */
import type { MetricGoal, MetricSpec } from '../queue/primary-metric.js';
import { formatMetricValue, hasMetric, metricDecimals, metricLabel, NO_METRIC } from '../queue/ranking.js';

interface MetricRow {
  metric_name: string | null;
  metric: number | null;
  metric_goal: MetricGoal | null;
}

/** The header of the ranking metric's column: `loss ↓`, or METRIC when the rows mix metrics. */
export const metricHeader = (metric: MetricSpec | null): string => (metric ? metricLabel(metric) : 'METRIC');

/**
 * One cell per row: the value of `metric` (decimals shared by the column), `—` without it; a row
 * ranked by another metric (a mixed history) names its own.
 */
export function metricCells(rows: readonly MetricRow[], metric: MetricSpec | null): string[] {
  const decimals = metricDecimals(rows.map((r) => r.metric));
  return rows.map((r) => {
    if (typeof r.metric !== 'number') return NO_METRIC;
    const value = formatMetricValue(r.metric, decimals);
    if (hasMetric(r, metric)) return value;
    const own = { name: r.metric_name ?? '?', goal: r.metric_goal ?? 'maximize' };
    return `${metricLabel(own)} ${value}`;
  });
}

/** Every metric name the rows reported, alphabetically. */
export function metricNames(rows: readonly { metrics: Record<string, number> }[]): string[] {
  return [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].sort();
}

/** One column per metric name (`--all-metrics`): the header, then each row's value or `—`. */
export function allMetricColumns(rows: readonly { metrics: Record<string, number> }[], names: readonly string[]): string[][] {
  return names.map((name) => {
    const decimals = metricDecimals(rows.map((r) => r.metrics[name]));
    return [name, ...rows.map((r) => (typeof r.metrics[name] === 'number' ? formatMetricValue(r.metrics[name]!, decimals) : NO_METRIC))];
  });
}

/**
 * `name=value ...` of every metric of each row, for one wide column (`history --metrics`); each
 * metric's decimals are shared by all rows, so two runs' values of it can be told apart.
 */
export function metricLists(rows: readonly { metrics: Record<string, number> }[]): string[] {
  const decimals = new Map(metricNames(rows).map((n) => [n, metricDecimals(rows.map((r) => r.metrics[n]))]));
  return rows.map((r) => {
    const names = Object.keys(r.metrics).sort();
    return names.length === 0 ? NO_METRIC : names.map((n) => `${n}=${formatMetricValue(r.metrics[n]!, decimals.get(n)!)}`).join(' ');
  });
}
