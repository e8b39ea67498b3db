/**
 * Does each sweep path name something a run will use? A path must be a field of the request contract
 * (fields.ts), or `model.hyperparameters.<name>` with `<name>` a hyperparameter of the family each run
 * ends up with (a sweep may vary `model.family` too), or — for a run with a custom `command`, whose
 * hyperparameters are its own — any key below `model.hyperparameters`. Anything else would be written
 * into every run and read by nothing: the sweep would train the default N times and report success.
 * Pure: the plan, its combinations and each run's draft request in, one line per problem out.
 */
import { type FieldNode, requestFields } from '../contracts/fields.js';
import { HYPERPARAMETERS, isBuiltInFamily, unknownHyperparameterMessage } from '../contracts/hyperparameters.js';
import type { ModelFamily } from '../contracts/constants.js';
import type { SweepPlan } from '../contracts/plan.js';
import { closestName, didYouMean } from '../contracts/suggest.js';

const HYPERPARAMETERS_PATH = 'model.hyperparameters';
/** Written by the sweep into every run (SPEC §3): a value swept there would be overwritten. */
const STAMPED = new Set(['sweep_group_id', 'sweep_params', 'created_at', 'created_by']);

type Draft = Record<string, unknown> | undefined;

interface RunsView {
  combos: readonly Record<string, unknown>[];
  drafts: readonly Draft[];
}

const familyOf = (draft: Draft): ModelFamily | undefined => {
  if (draft === undefined || draft.command !== undefined) return undefined;
  const family = (draft.model as { family?: unknown } | undefined)?.family;
  return isBuiltInFamily(family) ? family : undefined;
};

/** `run 3`, `runs 3, 4`, `runs 3, 4, 5 and 7 more`. */
function runList(indexes: readonly number[]): string {
  const shown = indexes.slice(0, 3).map((i) => i + 1);
  const more = indexes.length - shown.length;
  return `run${indexes.length > 1 ? 's' : ''} ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/** The problems of `model.hyperparameters.<rest>`: per family the runs end up with. */
function hyperparameterPathProblems(path: string, rest: readonly string[], runs: RunsView): string[] {
  const [name, ...deeper] = rest as [string, ...string[]];
  const refused = new Map<ModelFamily, number[]>();
  let builtIn = 0;
  runs.drafts.forEach((draft, r) => {
    const family = familyOf(draft);
    // A custom command's hyperparameters are its own; a null value deletes the key (SPEC §3).
    if (family === undefined || runs.combos[r]![path] === null) return;
    builtIn++;
    const spec = Object.prototype.hasOwnProperty.call(HYPERPARAMETERS[family], name) ? HYPERPARAMETERS[family][name] : undefined;
    if (spec !== undefined && (deeper.length === 0 || spec.accepts.some((a) => a.type === 'object'))) return;
    refused.set(family, [...(refused.get(family) ?? []), r]);
  });
  return [...refused].map(([family, indexes]) => {
    // Which runs, when the sweep varies the family and only some are of this one.
    const where = indexes.length < builtIn ? ` (${runList(indexes)})` : '';
    if (!Object.prototype.hasOwnProperty.call(HYPERPARAMETERS[family], name)) {
      return unknownHyperparameterMessage(family, name, (known) => `${HYPERPARAMETERS_PATH}.${known}`, where);
    }
    return `goes below ${HYPERPARAMETERS_PATH}.${name}, which has no fields${where}; sweep its whole value`;
  });
}

/** Every path a request knows, objects included: `model`, `model.family`, `model.hyperparameters.C` (run families). */
function knownPaths(node: FieldNode, prefix: string, families: ReadonlySet<ModelFamily>, out: string[] = []): string[] {
  if (node.kind === 'object') {
    for (const [key, child] of node.fields) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      out.push(path);
      knownPaths(child, path, families, out);
    }
  } else if (node.kind === 'record' && prefix === HYPERPARAMETERS_PATH) {
    for (const family of families) for (const name of Object.keys(HYPERPARAMETERS[family])) out.push(`${prefix}.${name}`);
  }
  return out;
}

/**
 * The path the user most likely meant: the misspelt segment corrected (`model.hyperparamters.x` →
 * `model.hyperparameters.x`, the hyperparameter name too), else the closest known path, else a known
 * path that ends with it (`n_estimators` → `model.hyperparameters.n_estimators`).
 */
function suggestPath(segments: readonly string[], at: number, node: FieldNode & { kind: 'object' }, runs: RunsView): string | undefined {
  const families = new Set(runs.drafts.map(familyOf).filter((f): f is ModelFamily => f !== undefined));
  const known = knownPaths(requestFields(), '', families);
  const fixed = closestName(segments[at]!, node.fields.keys());
  if (fixed !== undefined) {
    const corrected = [...segments.slice(0, at), fixed, ...segments.slice(at + 1)];
    const hyperparameter = corrected.slice(2).join('.');
    if (corrected.slice(0, 2).join('.') === HYPERPARAMETERS_PATH && corrected.length === 3 && families.size > 0) {
      const names = [...families].flatMap((f) => Object.keys(HYPERPARAMETERS[f]));
      if (!names.includes(hyperparameter)) corrected[2] = closestName(hyperparameter, names) ?? hyperparameter;
    }
    return corrected.join('.');
  }
  const path = segments.join('.');
  return closestName(path, known) ?? known.find((k) => k.endsWith(`.${path}`));
}

/** What is wrong with one sweep path, worded to follow `strategy.parameters[i].path "<path>"`. */
function pathProblems(path: string, runs: RunsView): string[] {
  const segments = path.split('.');
  if (STAMPED.has(segments[0]!)) return [`cannot be swept: the sweep sets ${segments[0]} of every run itself`];
  let node = requestFields();
  for (let k = 0; k < segments.length; k++) {
    const here = segments.slice(0, k).join('.');
    if (node.kind === 'record') {
      return here === HYPERPARAMETERS_PATH ? hyperparameterPathProblems(path, segments.slice(k), runs) : [];
    }
    if (node.kind !== 'object') return [`goes below ${here}, which has no fields; sweep the whole "${here}"`];
    const child = node.fields.get(segments[k]!);
    if (child === undefined) return [`is not a field of a request${didYouMean(suggestPath(segments, k, node, runs))}`];
    node = child;
  }
  return [];
}

/** One line per sweep path that names nothing a run uses: `strategy.parameters[0].path "…" is not a field of a request; did you mean …?`. */
export function sweepPathProblems(plan: SweepPlan, combos: readonly Record<string, unknown>[], drafts: readonly Draft[]): string[] {
  const runs: RunsView = { combos, drafts };
  return plan.strategy.parameters.flatMap((param, i) =>
    pathProblems(param.path, runs).map((problem) => `strategy.parameters[${i}].path ${JSON.stringify(param.path)} ${problem}`),
  );
}
