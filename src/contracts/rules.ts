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

interface ParameterShape {
  path: string;
  values?: readonly unknown[] | undefined;
  distribution?: string | undefined;
  low?: number | undefined;
  high?: number | undefined;
}

interface PlanShape {
  strategy: { type: string; n_trials?: number | undefined; seed?: number | undefined; parameters: readonly ParameterShape[] };
}

/** The fields of a `random` strategy's parameter each distribution takes (the others it refuses). */
const DISTRIBUTION_FIELDS: Record<string, readonly ('values' | 'low' | 'high')[]> = {
  choice: ['values'],
  uniform: ['low', 'high'],
  loguniform: ['low', 'high'],
  int: ['low', 'high'],
};

/** The bounds of a `random` parameter: low < high, loguniform above 0, int on integers. */
function boundProblems(p: ParameterShape, at: (string | number)[]): RuleProblem[] {
  const { low, high } = p;
  if (low === undefined || high === undefined) return [];
  const problems: RuleProblem[] = [];
  if (p.distribution === 'int') {
    if (!Number.isInteger(low)) problems.push({ path: [...at, 'low'], message: `must be an integer for an "int" distribution (got ${low})` });
    if (!Number.isInteger(high)) problems.push({ path: [...at, 'high'], message: `must be an integer for an "int" distribution (got ${high})` });
  }
  if (p.distribution === 'loguniform' && low <= 0) {
    problems.push({ path: [...at, 'low'], message: `must be > 0 for a "loguniform" distribution (got ${low})` });
  }
  if (low >= high) problems.push({ path: [...at, 'low'], message: `must be less than high (got low ${low}, high ${high})` });
  return problems;
}

/** A `random` strategy needs `n_trials`, `seed`, and per parameter a distribution with its own fields, in bounds. */
function randomProblems(plan: PlanShape): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const key of ['n_trials', 'seed'] as const) {
    if (plan.strategy[key] === undefined) problems.push({ path: ['strategy', key], message: 'is required for a "random" strategy' });
  }
  plan.strategy.parameters.forEach((p, i) => {
    const at = ['strategy', 'parameters', i];
    const fields = p.distribution === undefined ? undefined : DISTRIBUTION_FIELDS[p.distribution];
    if (fields === undefined) {
      problems.push({ path: [...at, 'distribution'], message: `is required for a "random" strategy (one of ${Object.keys(DISTRIBUTION_FIELDS).join(', ')})` });
      return;
    }
    for (const field of ['values', 'low', 'high'] as const) {
      const needed = fields.includes(field);
      if (needed && p[field] === undefined) problems.push({ path: [...at, field], message: `is required for a "${p.distribution}" distribution` });
      if (!needed && p[field] !== undefined) problems.push({ path: [...at, field], message: `does not apply to a "${p.distribution}" distribution` });
    }
    problems.push(...boundProblems(p, at));
  });
  return problems;
}

/** A `grid` or `list` strategy takes each parameter's `values`; a `list` needs them equally long. */
function valueListProblems(plan: PlanShape): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const params = plan.strategy.parameters;
  params.forEach((p, i) => {
    if (p.values === undefined) problems.push({ path: ['strategy', 'parameters', i, 'values'], message: 'is required' });
    for (const field of ['distribution', 'low', 'high'] as const) {
      if (p[field] !== undefined) problems.push({ path: ['strategy', 'parameters', i, field], message: `applies only to a "random" strategy` });
    }
  });
  if (plan.strategy.type === 'list' && params.length > 0) {
    const first = params[0]!.values?.length ?? 0;
    params.forEach((p, i) => {
      if (p.values !== undefined && p.values.length !== first) {
        problems.push({
          path: ['strategy', 'parameters', i, 'values'],
          message: `must have ${first} values like every other parameter of a "list" strategy (has ${p.values.length})`,
        });
      }
    });
  }
  return problems;
}

/** The fields of each strategy (see above); no parameter path may repeat, nor sweep the metric. */
export function planProblems(plan: PlanShape): RuleProblem[] {
  const problems = plan.strategy.type === 'random' ? randomProblems(plan) : valueListProblems(plan);
  const params = plan.strategy.parameters;
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
