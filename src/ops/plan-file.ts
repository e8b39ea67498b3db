/**
 * Loading a user's sweep plan: a missing file is exit 3, anything unusable in it exit 6 — its contract
 * and everything a sweep of it would refuse (sweep paths, each run's request), like `validate`.
 */
import { checkDocument, parseJsonText } from '../contracts/document.js';
import type { SweepPlan } from '../contracts/plan.js';
import { InvalidPlanError, MissingFilesError } from '../infra/errors.js';
import type { ExpandedRun, ExpandOptions } from '../queue/sweep-expansion.js';
import { CREATED_BY } from '../version.js';
import { readTextIfExists } from '../workspace/json-file.js';

export interface LoadedPlan {
  plan: SweepPlan;
  /** The document as written, unknown fields included, for the group's plan.json copy. */
  doc: Record<string, unknown>;
}

export async function loadPlan(file: string): Promise<LoadedPlan> {
  const text = await readTextIfExists(file).catch((err: NodeJS.ErrnoException) => {
    throw new MissingFilesError(`Cannot read plan ${file}: ${err.code ?? err.message}`);
  });
  if (text === undefined) throw new MissingFilesError(`Plan not found: ${file}`);
  const json = parseJsonText(text);
  const checked = json.ok ? await checkDocument('plan', json.value) : json;
  const problems = checked.ok ? await sweepProblems(checked.value) : checked.problems;
  if (problems.length > 0 || !checked.ok) {
    throw new InvalidPlanError(`${file} is not a valid plan: ${problems[0]}`, problems.slice(1));
  }
  return { plan: checked.value, doc: (json as { value: Record<string, unknown> }).value };
}

/** What checking a plan stamps into each run's request until the sweep gets its real group id and time. */
const CHECK_STAMP = { groupId: 'grp_check', createdAt: '1970-01-01T00:00:00Z', createdBy: CREATED_BY };

/** The runs `loadPlan` checked, kept so that a sweep of 10,000 runs is not expanded twice. */
const checkedRuns = new WeakMap<SweepPlan, ExpandedRun[]>();

/**
 * The problems of a plan that passes its contract, as `validate` and `enqueue-sweep` both report them
 * (src/queue/sweep-expansion.ts `checkSweep`). Loads the sweep expansion (and zod) on first use.
 */
export async function sweepProblems(plan: SweepPlan): Promise<string[]> {
  const { checkSweep } = await import('../queue/sweep-expansion.js');
  const { runs, problems } = checkSweep(plan, CHECK_STAMP);
  if (problems.length === 0) checkedRuns.set(plan, runs);
  return problems;
}

/**
 * A loaded plan's runs, each request stamped with the sweep's group id and time (the fields the
 * check stamped, so the requests keep their key order); a plan that `loadPlan` did not read is
 * expanded and checked now.
 */
export async function sweepRuns(plan: SweepPlan, stamp: ExpandOptions): Promise<ExpandedRun[]> {
  const checked = checkedRuns.get(plan);
  if (checked === undefined) {
    const { expandPlan } = await import('../queue/sweep-expansion.js');
    return expandPlan(plan, stamp);
  }
  checkedRuns.delete(plan);
  return checked.map(({ overrides, request }) => ({
    overrides,
    request: { ...request, sweep_group_id: stamp.groupId, created_at: stamp.createdAt, created_by: stamp.createdBy },
  }));
}
