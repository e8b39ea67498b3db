/**
 * Which metric ranks runs, decided in one place (docs/training.md "The metric that ranks runs"):
 * 1. the metric the request names (`metric {name, goal}`; a plan's `metric` is written into every
 *    request of its sweep) — a run that did not report it has no primary metric, nothing stands in;
 * 2. else the first of accuracy, f1_score, loss that the run reported, else its first metric
 *    alphabetically; the goal then follows the name (losses and errors are minimized).
 * result.json records the decision as `summary.primary_metric {name, value, goal}`.
 */
import type { MetricGoal } from '../contracts/metric.js';
import type { RunResult } from '../contracts/result.js';

export type { MetricGoal } from '../contracts/metric.js';

/** A metric chosen to rank runs (a request's or plan's `metric`). */
export interface MetricSpec {
  name: string;
  goal: MetricGoal;
}

export interface PrimaryMetric extends MetricSpec {
  value: number;
}

/** The fallback's order of preference when nothing names the metric. */
export const FALLBACK_METRICS = ['accuracy', 'f1_score', 'loss'] as const;

/** True when a smaller value of this metric is better (losses and errors). */
export function lowerIsBetter(name: string | null | undefined): boolean {
  if (!name) return false;
  const n = name.toLowerCase();
  return n === 'loss' || n.endsWith('_loss') || n === 'error' || n.endsWith('_error') || n === 'mse' || n === 'rmse' || n === 'mae';
}

/** The goal of a metric nobody gave a goal for: minimize losses and errors, maximize the rest. */
export const defaultGoal = (name: string): MetricGoal => (lowerIsBetter(name) ? 'minimize' : 'maximize');

const isGoal = (v: unknown): v is MetricGoal => v === 'maximize' || v === 'minimize';

/** The metric a run was told to rank by: its result's `effective_config.metric` (from request.json). */
export function chosenMetricOf(result: RunResult | undefined): MetricSpec | null {
  const m = (result?.effective_config as { metric?: { name?: unknown; goal?: unknown } } | undefined)?.metric;
  return m && typeof m.name === 'string' && m.name !== '' && isGoal(m.goal) ? { name: m.name, goal: m.goal } : null;
}

/** The primary metric of a run's final metrics, under the chosen metric if there is one. */
export function decidePrimaryMetric(metrics: Readonly<Record<string, number>>, chosen: MetricSpec | null | undefined): PrimaryMetric | null {
  const finite = (name: string): boolean => typeof metrics[name] === 'number' && Number.isFinite(metrics[name]);
  if (chosen) return finite(chosen.name) ? { name: chosen.name, value: metrics[chosen.name]!, goal: chosen.goal } : null;
  const name = FALLBACK_METRICS.find(finite) ?? Object.keys(metrics).filter(finite).sort()[0];
  return name === undefined ? null : { name, value: metrics[name]!, goal: defaultGoal(name) };
}

/**
 * A finished run's primary metric: the one its result.json records (a result written before goals
 * were recorded gets the goal its name implies), else decided from its metrics.
 */
export function primaryMetricOf(result: RunResult): PrimaryMetric | null {
  const declared = result.summary?.primary_metric;
  if (declared && Number.isFinite(declared.value)) {
    const goal = isGoal(declared.goal) ? declared.goal : defaultGoal(declared.name);
    return { name: declared.name, value: declared.value, goal };
  }
  return decidePrimaryMetric(result.summary?.metrics ?? {}, chosenMetricOf(result));
}

/** True when value `a` beats `b` under `goal`. */
export function isBetter(goal: MetricGoal, a: number, b: number): boolean {
  return goal === 'minimize' ? a < b : a > b;
}
