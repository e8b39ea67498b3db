/**
 * The `random` sweep strategy (issue 16), pure: `n_trials` runs, each parameter drawn from its
 * distribution by a generator seeded with `strategy.seed`, so the same plan gives the same runs.
 * Trials are drawn in order and, within a trial, parameters in plan order, one draw each.
 * The plan's contract (contracts/rules.ts) has already checked the bounds.
 */
import { seededUniform, type Uniform } from './seeded-random.js';

/** A distribution of a `random` strategy's parameter. */
export type Distribution = 'choice' | 'uniform' | 'loguniform' | 'int';

/** One parameter of a `random` strategy, as the plan's contract leaves it. */
export interface RandomParameter {
  path: string;
  distribution?: Distribution | undefined;
  values?: readonly unknown[] | undefined;
  low?: number | undefined;
  high?: number | undefined;
}

/** What `sampleTrials` needs of a `random` strategy. */
export interface RandomStrategy {
  n_trials?: number | undefined;
  seed?: number | undefined;
  parameters: readonly RandomParameter[];
}

/**
 * One value of `param`:
 * - choice: one of `values`, each equally likely;
 * - uniform: a number in [low, high);
 * - loguniform: a number in [low, high) whose logarithm is uniform (learning rates, weight decay);
 * - int: an integer in [low, high], both ends included (as Optuna's `suggest_int`).
 */
export function drawValue(param: RandomParameter, uniform: Uniform): unknown {
  const u = uniform();
  const low = param.low ?? 0;
  const high = param.high ?? 0;
  switch (param.distribution) {
    case 'choice': {
      const values = param.values ?? [];
      return structuredClone(values[Math.floor(u * values.length)]);
    }
    case 'uniform':
      return low + u * (high - low);
    case 'loguniform':
      // exp(log) may round a hair past the bounds; the run must stay inside them.
      return Math.min(Math.max(Math.exp(Math.log(low) + u * (Math.log(high) - Math.log(low))), low), high);
    case 'int':
      return low + Math.floor(u * (high - low + 1));
    default:
      throw new Error(`unknown distribution ${String(param.distribution)}`);
  }
}

/** The `n_trials` combinations of a `random` strategy, each as `{path: value}` in parameter order. */
export function sampleTrials(strategy: RandomStrategy): Record<string, unknown>[] {
  const uniform = seededUniform(strategy.seed ?? 0);
  return Array.from({ length: strategy.n_trials ?? 0 }, () =>
    Object.fromEntries(strategy.parameters.map((p) => [p.path, drawValue(p, uniform)])),
  );
}
