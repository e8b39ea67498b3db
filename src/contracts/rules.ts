/**
 * The rules of a contract that span several fields, as plain functions: the zod schemas run them in
 * `superRefine` and the compiled validators call them too, so both judge a file the same way.
 */

export interface RuleProblem {
  path: (string | number)[];
  message: string;
}

interface RequestShape {
  command?: unknown;
  model?: { family?: unknown } | undefined;
}

/** A request needs `model.family` unless it has a custom `command`. */
export function requestProblems(req: RequestShape): RuleProblem[] {
  if (req.command !== undefined || req.model?.family !== undefined) return [];
  return [
    {
      path: req.model === undefined ? ['model'] : ['model', 'family'],
      message: 'is required (unless the request has a custom "command")',
    },
  ];
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
  });
  return problems;
}
