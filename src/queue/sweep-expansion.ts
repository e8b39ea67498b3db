/**
 * Sweep expansion (SPEC §3), pure: a plan in, one request per run out.
 * - grid: cartesian product of the parameters' values, first parameter varies slowest;
 * - list: the i-th run takes the i-th value of every parameter (NEW: the original accepted but
 *   never implemented it);
 * - random: `n_trials` runs drawn with a seeded generator (NEW, issue 16: random-strategy.ts).
 * Overrides are dot paths applied to a deep copy of the base request; missing objects are created and
 * a `null` value deletes the key. A plan's `metric` replaces the base request's in every run.
 * Placeholders in a run's `command` take its values (command-placeholders.ts), and its request records
 * them as `sweep_params`.
 */
import type { SweepPlan } from '../contracts/plan.js';
import { type RunRequest, RequestSchema } from '../contracts/request.js';
import { describeIssues } from '../contracts/issues.js';
import { COMPILED, INVALID } from '../contracts/compiled.js';
import { InvalidPlanError } from '../infra/errors.js';
import { sweepPathProblems } from './sweep-paths.js';
import { sampleTrials } from './random-strategy.js';
import { placeholderProblems, substituteCommand } from './command-placeholders.js';

export type Overrides = Record<string, unknown>;

export interface ExpandedRun {
  /** The swept values of this run, keyed by dot path (recorded in group.json). */
  overrides: Overrides;
  request: RunRequest;
}

/** Upper bound on runs in one sweep, to turn a typo (a 10^9 grid) into an error instead of an OOM. */
export const MAX_SWEEP_RUNS = 100_000;

/** The combinations of a strategy, each as `{path: value}` in parameter order. */
export function combinations(strategy: SweepPlan['strategy']): Overrides[] {
  const params = strategy.parameters;
  if (strategy.type === 'random') {
    const trials = strategy.n_trials ?? 0;
    if (trials > MAX_SWEEP_RUNS) throw new InvalidPlanError(`strategy.n_trials asks for ${trials} runs; at most ${MAX_SWEEP_RUNS} are allowed`);
    return sampleTrials(strategy);
  }
  // The plan's contract has checked that a grid's or a list's parameters all have values.
  const valuesOf = (p: (typeof params)[number]): unknown[] => p.values ?? [];
  if (strategy.type === 'list') {
    const n = params[0] ? valuesOf(params[0]).length : 0;
    return Array.from({ length: n }, (_, i) => Object.fromEntries(params.map((p) => [p.path, valuesOf(p)[i]])));
  }
  const total = params.reduce((acc, p) => acc * valuesOf(p).length, 1);
  if (total > MAX_SWEEP_RUNS) {
    throw new InvalidPlanError(`strategy.parameters expand to ${total} runs; at most ${MAX_SWEEP_RUNS} are allowed`);
  }
  let combos: Overrides[] = [{}];
  for (const p of params) {
    const next: Overrides[] = [];
    for (const combo of combos) for (const value of valuesOf(p)) next.push({ ...combo, [p.path]: value });
    combos = next;
  }
  return combos;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Applies dot-path overrides to a deep copy of `base`. A `null` value deletes the key. */
export function applyOverrides(base: Record<string, unknown>, overrides: Overrides): Record<string, unknown> {
  const out = structuredClone(base);
  for (const [dotPath, value] of Object.entries(overrides)) {
    const keys = dotPath.split('.');
    const last = keys.pop()!;
    let node: Record<string, unknown> = out;
    for (const [i, key] of keys.entries()) {
      const child = node[key];
      if (child === undefined || child === null) {
        if (value === null) break; // deleting below a missing object: nothing to delete
        node[key] = {};
      } else if (!isPlainObject(child)) {
        throw new InvalidPlanError(
          `strategy parameter "${dotPath}" cannot be applied: ${keys.slice(0, i + 1).join('.')} is not an object`,
        );
      }
      node = node[key] as Record<string, unknown>;
    }
    if (!isPlainObject(node)) continue;
    if (value === null) delete node[last];
    else node[last] = structuredClone(value);
  }
  return out;
}

export interface ExpandOptions {
  groupId: string;
  /** Timestamp written as each request's `created_at`. */
  createdAt: string;
  createdBy: string;
}

/**
 * One run's request before it is checked: the base request with the run's overrides, its command's
 * placeholders filled in, stamped. Throws InvalidPlanError when it cannot be made.
 */
export function draftRequest(plan: SweepPlan, overrides: Overrides, options: ExpandOptions): Record<string, unknown> {
  const draft = applyOverrides(plan.base_request as Record<string, unknown>, overrides);
  // A command that is not a list of strings is left for the request's contract to word.
  if (Array.isArray(draft.command) && draft.command.every((a) => typeof a === 'string')) {
    draft.command = substituteCommand(draft.command as string[], overrides);
  }
  // The plan's metric ranks every run of the sweep, over the base request's own (docs/training.md).
  if (plan.metric) draft.metric = { ...plan.metric };
  draft.sweep_params = structuredClone(overrides);
  draft.sweep_group_id = options.groupId;
  draft.created_at = options.createdAt;
  draft.created_by = options.createdBy;
  return draft;
}

/** A run's request as its contract reads it, or its problems (one line each, naming the field). */
function checkDraft(draft: Record<string, unknown>): { request: RunRequest } | { problems: string[] } {
  // The compiled validator decides (fast: a 10,000-run sweep); zod words the problem of a bad run.
  const request = COMPILED.request(draft);
  if (request !== INVALID) return { request: request as RunRequest };
  const parsed = RequestSchema.safeParse(draft, { reportInput: true });
  return parsed.success ? { request: parsed.data } : { problems: describeIssues(parsed.error) };
}

export interface SweepCheck {
  /** Every run with its checked request (empty when there are problems). */
  runs: ExpandedRun[];
  /** One line per problem: a sweep path that names nothing, or a run whose request is invalid. */
  problems: string[];
}

/**
 * The placeholders of the base request's command that name no swept path, once for the whole plan
 * (every run sweeps the same paths). A plan that sweeps `command` itself has its runs' commands
 * checked run by run instead, as they are made.
 */
function baseCommandProblems(plan: SweepPlan): string[] {
  const command = plan.base_request.command;
  const paths = plan.strategy.parameters.map((p) => p.path);
  if (command === undefined || paths.includes('command')) return [];
  return placeholderProblems(command, paths, 'base_request.command');
}

/**
 * Everything `enqueue-sweep` checks beyond the plan's contract, and what `validate` reports for a
 * plan (one function, so they agree): the sweep's size, each path names something a run uses
 * (sweep-paths.ts), the command's placeholders name swept paths, and each run's request is valid — hyperparameters against its family's table
 * included. A problem several runs share is reported once, at its first run.
 */
export function checkSweep(plan: SweepPlan, options: ExpandOptions): SweepCheck {
  const templateProblems = baseCommandProblems(plan);
  if (templateProblems.length > 0) return { runs: [], problems: templateProblems };
  let combos: Overrides[];
  try {
    combos = combinations(plan.strategy);
  } catch (err) {
    if (err instanceof InvalidPlanError) return { runs: [], problems: [err.message] };
    throw err;
  }
  const failures = new Map<string, { first: string; more: number }>();
  const fail = (index: number, overrides: Overrides, problem: string, what: string): void => {
    const seen = failures.get(problem);
    if (seen) seen.more++;
    else failures.set(problem, { first: `run ${index + 1} of the sweep (${JSON.stringify(overrides)}) ${what}: ${problem}`, more: 0 });
  };
  const drafts = combos.map((overrides, index) => {
    try {
      return draftRequest(plan, overrides, options);
    } catch (err) {
      if (!(err instanceof InvalidPlanError)) throw err;
      fail(index, overrides, err.message, 'cannot be made');
      return undefined;
    }
  });
  // A run that cannot be made is judged by its base request's family, so a path problem explains it.
  const base = plan.base_request as Record<string, unknown>;
  const pathProblems = sweepPathProblems(plan, combos, drafts.map((d) => d ?? base));
  if (pathProblems.length > 0) return { runs: [], problems: pathProblems };
  const runs: ExpandedRun[] = [];
  drafts.forEach((draft, index) => {
    if (draft === undefined) return;
    const checked = checkDraft(draft);
    if ('request' in checked) runs.push({ overrides: combos[index]!, request: checked.request });
    else for (const problem of checked.problems) fail(index, combos[index]!, problem, 'is not a valid request');
  });
  const problems = [...failures.values()].map((f) => (f.more > 0 ? `${f.first} (and ${f.more} more run${f.more > 1 ? 's' : ''})` : f.first));
  return problems.length > 0 ? { runs: [], problems } : { runs, problems };
}

/** Expands a plan into validated requests; anything `checkSweep` finds makes it an invalid plan. */
export function expandPlan(plan: SweepPlan, options: ExpandOptions): ExpandedRun[] {
  const { runs, problems } = checkSweep(plan, options);
  if (problems.length > 0) throw new InvalidPlanError(problems[0]!, problems.slice(1));
  return runs;
}
