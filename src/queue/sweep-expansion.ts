/**
 * Sweep expansion (SPEC §3), pure: a plan in, one request per run out.
 * - grid: cartesian product of the parameters' values, first parameter varies slowest;
 * - list: the i-th run takes the i-th value of every parameter (NEW: the original accepted but
 *   never implemented it).
 * Overrides are dot paths applied to a deep copy of the base request; missing objects are created and
 * a `null` value deletes the key.
 */
import type { SweepPlan } from '../contracts/plan.js';
import { type RunRequest, RequestSchema } from '../contracts/request.js';
import { describeIssues } from '../contracts/issues.js';
import { COMPILED, INVALID } from '../contracts/compiled.js';
import { InvalidPlanError } from '../infra/errors.js';

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
  if (strategy.type === 'list') {
    const n = params[0]?.values.length ?? 0;
    return Array.from({ length: n }, (_, i) => Object.fromEntries(params.map((p) => [p.path, p.values[i]])));
  }
  const total = params.reduce((acc, p) => acc * p.values.length, 1);
  if (total > MAX_SWEEP_RUNS) {
    throw new InvalidPlanError(`strategy.parameters expand to ${total} runs; at most ${MAX_SWEEP_RUNS} are allowed`);
  }
  let combos: Overrides[] = [{}];
  for (const p of params) {
    const next: Overrides[] = [];
    for (const combo of combos) for (const value of p.values) next.push({ ...combo, [p.path]: value });
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

/** Expands a plan into validated requests; an override that breaks a request is an invalid plan. */
export function expandPlan(plan: SweepPlan, options: ExpandOptions): ExpandedRun[] {
  return combinations(plan.strategy).map((overrides, index) => {
    const draft = applyOverrides(plan.base_request as Record<string, unknown>, overrides);
    draft.sweep_group_id = options.groupId;
    draft.created_at = options.createdAt;
    draft.created_by = options.createdBy;
    // The compiled validator decides (fast: a 10,000-run sweep); zod words the problem of a bad run.
    const request = COMPILED.request(draft);
    if (request !== INVALID) return { overrides, request: request as RunRequest };
    const parsed = RequestSchema.safeParse(draft, { reportInput: true });
    if (!parsed.success) {
      const problems = describeIssues(parsed.error);
      throw new InvalidPlanError(
        `run ${index + 1} of the sweep (${JSON.stringify(overrides)}) is not a valid request: ${problems[0]}`,
        problems.slice(1),
      );
    }
    return { overrides, request: parsed.data };
  });
}
