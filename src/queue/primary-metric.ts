/**
 * Which metric ranks runs (SPEC §5): the result's `summary.primary_metric`, else accuracy, f1_score,
 * loss (lower is better), else the first metric alphabetically.
 */
import type { RunResult } from '../contracts/result.js';

export interface PrimaryMetric {
  name: string;
  value: number;
}

/** True when a smaller value of this metric is better (losses and errors). */
export function lowerIsBetter(name: string | null | undefined): boolean {
  if (!name) return false;
  const n = name.toLowerCase();
  return n === 'loss' || n.endsWith('_loss') || n === 'error' || n.endsWith('_error') || n === 'mse' || n === 'rmse' || n === 'mae';
}

export function primaryMetricOf(result: RunResult): PrimaryMetric | null {
  const declared = result.summary?.primary_metric;
  if (declared && Number.isFinite(declared.value)) return { name: declared.name, value: declared.value };
  const metrics = result.summary?.metrics ?? {};
  for (const name of ['accuracy', 'f1_score', 'loss']) {
    const value = metrics[name];
    if (typeof value === 'number' && Number.isFinite(value)) return { name, value };
  }
  const first = Object.keys(metrics)
    .filter((k) => Number.isFinite(metrics[k]))
    .sort()[0];
  return first === undefined ? null : { name: first, value: metrics[first]! };
}

/** True when metric `a` beats `b` under `name`'s direction. */
export function isBetter(name: string | null | undefined, a: number, b: number): boolean {
  return lowerIsBetter(name) ? a < b : a > b;
}
