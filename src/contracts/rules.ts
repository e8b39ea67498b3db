/**
 * The rules of a contract that span several fields, as plain functions: the zod schemas run them in
 * `superRefine` and the compiled validators call them too, so both judge a file the same way.
 */
import { hyperparameterProblems, isBuiltInFamily } from './hyperparameters.js';

export interface RuleProblem {
  path: (string | number)[];
  message: string;
}

interface RequestShape {
  command?: unknown;
  dataset?: unknown;
  model?: { family?: unknown; hyperparameters?: Record<string, unknown> | undefined } | undefined;
}

/**
 * A request needs a `dataset` unless it has a custom `command` (the built-in trainer reads it; a
 * command brings its own data). Worded as zod words a missing field, as when `dataset` was required.
 */
export function datasetProblems(req: RequestShape): RuleProblem[] {
  return req.command === undefined && req.dataset === undefined ? [{ path: ['dataset'], message: 'is required' }] : [];
}

/**
 * A request needs `dataset` and `model.family` unless it has a custom `command`; the hyperparameters
 * of a run of a built-in family must be that family's, of the right type (hyperparameters.ts). A
 * custom command's hyperparameters are its own (it reads request.json), so they are not checked.
 */
export function requestProblems(req: RequestShape): RuleProblem[] {
  if (req.command !== undefined) return [];
  const missingDataset = datasetProblems(req);
  const family = req.model?.family;
  if (family === undefined) {
    return [
      ...missingDataset,
      {
        path: req.model === undefined ? ['model'] : ['model', 'family'],
        message: 'is required (unless the request has a custom "command")',
      },
    ];
  }
  const hyperparameters = req.model?.hyperparameters;
  if (!isBuiltInFamily(family) || hyperparameters === undefined) return missingDataset;
  return [...missingDataset, ...hyperparameterProblems(family, hyperparameters).map((p) => ({ path: ['model', 'hyperparameters', p.key], message: p.message }))];
}

interface PlanShape {
  strategy: { type: string; parameters: readonly { path: string; values: readonly unknown[] }[] };
}

/** A "list" strategy needs equally long value lists; no parameter path may repeat. */
export function planProblems(plan: PlanShape): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const params = plan.strategy.parameters;
  if (plan.strategy.type === 'list' && params.length > 0) {
    const first = params[0]!.values.length;
    params.forEach((p, i) => {
      if (p.values.length !== first) {
        problems.push({
          path: ['strategy', 'parameters', i, 'values'],
          message: `must have ${first} values like every other parameter of a "list" strategy (has ${p.values.length})`,
        });
      }
    });
  }
  const seen = new Set<string>();
  params.forEach((p, i) => {
    if (seen.has(p.path)) problems.push({ path: ['strategy', 'parameters', i, 'path'], message: `repeats "${p.path}"` });
    seen.add(p.path);
    // The runs of one sweep are ranked against each other, so by one metric.
    if (p.path === 'metric' || p.path.startsWith('metric.')) {
      problems.push({ path: ['strategy', 'parameters', i, 'path'], message: 'cannot sweep the metric: one sweep ranks its runs by one metric (set the plan\'s "metric")' });
    }
  });
  return problems;
}
