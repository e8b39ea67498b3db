/**
 * The hyperparameters each built-in family really takes, with their types and ranges: one table,
 * read by the request rules (rules.ts, so `validate`, `enqueue-run`, `run` and every sweep run judge
 * them alike) and printed in docs/training.md (a test holds the page to this table).
 *
 * What the trainer passes through (python/runforge_trainer): a scikit-learn family gives every key to
 * the estimator's constructor, so the rows are the constructor's parameters (scikit-learn 1.2–1.5;
 * the ranges are scikit-learn's own `_parameter_constraints`); `mlp` reads six keys and would ignore
 * any other, which is why an unknown key is refused here rather than trained as the default.
 * No zod here: the compiled validators call this on the fast path (enqueue-run).
 */
import type { ModelFamily } from './constants.js';
import { closestName, didYouMean } from './suggest.js';

/** One kind of value a hyperparameter accepts. Ranges: `min`/`max` inclusive, `above`/`below` exclusive. */
export type Accepted =
  | { type: 'integer'; min?: number }
  | { type: 'number'; min?: number; above?: number; max?: number; below?: number }
  | { type: 'boolean' }
  | { type: 'string'; values: readonly string[] }
  | { type: 'null'; means: string }
  | { type: 'integer-list'; min: number }
  | { type: 'object'; means: string }
  | { type: 'list'; means: string };

export interface HyperparameterSpec {
  /** Every kind of value it accepts (any one of them). */
  accepts: readonly Accepted[];
  /** What it controls, in a few words (docs/training.md). */
  meaning: string;
  /** The trainer's default when the request leaves it out; RunForge's FAMILY_DEFAULTS come first. */
  default: unknown;
}

const int = (min?: number): Accepted => (min === undefined ? { type: 'integer' } : { type: 'integer', min });
const num = (range: { min?: number; above?: number; max?: number; below?: number } = {}): Accepted => ({ type: 'number', ...range });
const bool: Accepted = { type: 'boolean' };
const oneOf = (...values: string[]): Accepted => ({ type: 'string', values });
const nullMeans = (means: string): Accepted => ({ type: 'null', means });
const spec = (meaning: string, fallback: unknown, ...accepts: Accepted[]): HyperparameterSpec => ({ accepts, meaning, default: fallback });

// Shared by the scikit-learn families.
const RANDOM_STATE = spec('seed of the estimator; null: the run\'s `seed`', null, int(0), nullMeans("the run's seed"));
const VERBOSE = spec('scikit-learn\'s log level', 0, int(0), bool);
const FIT_INTERCEPT = spec('learn an intercept', true, bool);
const INTERCEPT_SCALING = spec('synthetic feature weight (liblinear)', 1, num({ above: 0 }));
const CLASS_WEIGHT_BALANCED = spec('class weights', null, oneOf('balanced'), { type: 'object', means: '{class: weight}' }, nullMeans('equal'));

export const HYPERPARAMETERS: Readonly<Record<ModelFamily, Readonly<Record<string, HyperparameterSpec>>>> = {
  logistic_regression: {
    C: spec('inverse regularisation strength', 1.0, num({ above: 0 })),
    penalty: spec('regularisation', 'l2', oneOf('l1', 'l2', 'elasticnet'), nullMeans('none')),
    solver: spec('optimiser', 'lbfgs', oneOf('lbfgs', 'liblinear', 'newton-cg', 'newton-cholesky', 'sag', 'saga')),
    max_iter: spec('solver iterations', 100, int(1)),
    tol: spec('stopping tolerance', 1e-4, num({ min: 0 })),
    l1_ratio: spec('elastic-net mixing', null, num({ min: 0, max: 1 }), nullMeans('unused')),
    multi_class: spec('multiclass scheme', 'auto', oneOf('auto', 'ovr', 'multinomial')),
    class_weight: CLASS_WEIGHT_BALANCED,
    fit_intercept: FIT_INTERCEPT,
    intercept_scaling: INTERCEPT_SCALING,
    dual: spec('dual formulation (liblinear)', false, bool),
    random_state: RANDOM_STATE,
    n_jobs: spec('parallel jobs', null, int(), nullMeans('one')),
    warm_start: spec('reuse the previous fit', false, bool),
    verbose: VERBOSE,
  },
  random_forest: {
    n_estimators: spec('number of trees', 100, int(1)),
    max_depth: spec('tree depth', null, int(1), nullMeans('unlimited')),
    criterion: spec('split quality', 'gini', oneOf('gini', 'entropy', 'log_loss')),
    // (0, 1]: scikit-learn takes 1.0 but not 1, and JSON cannot tell them apart, so (0, 1).
    min_samples_split: spec('samples to split a node (count or fraction)', 2, int(2), num({ above: 0, below: 1 })),
    min_samples_leaf: spec('samples in a leaf (count or fraction)', 1, int(1), num({ above: 0, below: 1 })),
    min_weight_fraction_leaf: spec('weight fraction in a leaf', 0.0, num({ min: 0, max: 0.5 })),
    max_features: spec('features per split (count, fraction or rule)', 'sqrt', int(1), num({ above: 0, max: 1 }), oneOf('sqrt', 'log2'), nullMeans('all')),
    max_leaf_nodes: spec('leaves per tree', null, int(2), nullMeans('unlimited')),
    min_impurity_decrease: spec('impurity decrease to split', 0.0, num({ min: 0 })),
    bootstrap: spec('sample rows with replacement', true, bool),
    oob_score: spec('score on out-of-bag rows', false, bool),
    max_samples: spec('rows per tree (count or fraction)', null, int(1), num({ above: 0, max: 1 }), nullMeans('all')),
    class_weight: spec(
      'class weights',
      null,
      oneOf('balanced', 'balanced_subsample'),
      { type: 'object', means: '{class: weight}' },
      { type: 'list', means: 'one object per output' },
      nullMeans('equal'),
    ),
    ccp_alpha: spec('pruning strength', 0.0, num({ min: 0 })),
    random_state: RANDOM_STATE,
    n_jobs: spec('parallel jobs', null, int(), nullMeans('one')),
    warm_start: spec('reuse the previous fit', false, bool),
    verbose: VERBOSE,
  },
  linear_svc: {
    C: spec('inverse regularisation strength', 1.0, num({ above: 0 })),
    penalty: spec('regularisation', 'l2', oneOf('l1', 'l2')),
    loss: spec('loss function', 'squared_hinge', oneOf('hinge', 'squared_hinge')),
    max_iter: spec('solver iterations', 1000, int(1)),
    tol: spec('stopping tolerance', 1e-4, num({ above: 0 })),
    dual: spec('dual formulation ("auto" from scikit-learn 1.3)', true, bool, oneOf('auto')),
    multi_class: spec('multiclass scheme', 'ovr', oneOf('ovr', 'crammer_singer')),
    class_weight: CLASS_WEIGHT_BALANCED,
    fit_intercept: FIT_INTERCEPT,
    intercept_scaling: INTERCEPT_SCALING,
    random_state: RANDOM_STATE,
    verbose: VERBOSE,
  },
  mlp: {
    epochs: spec('passes over the training rows', 20, int(1)),
    hidden_sizes: spec('width of each hidden layer', [64, 32], { type: 'integer-list', min: 1 }),
    learning_rate: spec('Adam step size', 0.001, num({ above: 0 })),
    batch_size: spec('rows per step', 32, int(1)),
    weight_decay: spec('Adam L2 penalty', 0.0, num({ min: 0 })),
    dropout: spec('dropout after each hidden layer', 0.0, num({ min: 0, below: 1 })),
  },
};

export const isBuiltInFamily = (family: unknown): family is ModelFamily =>
  typeof family === 'string' && Object.prototype.hasOwnProperty.call(HYPERPARAMETERS, family);

function describeOne(a: Accepted): string {
  switch (a.type) {
    case 'integer':
      if (a.min === undefined) return 'an integer';
      return a.min === 1 ? 'a positive integer' : `an integer >= ${a.min}`;
    case 'number': {
      const low = a.above !== undefined ? `(${a.above}` : a.min !== undefined ? `[${a.min}` : undefined;
      const high = a.below !== undefined ? `${a.below})` : a.max !== undefined ? `${a.max}]` : undefined;
      if (low && high) return `a number in ${low}, ${high}`;
      if (a.above !== undefined) return `a number > ${a.above}`;
      if (a.min !== undefined) return `a number >= ${a.min}`;
      return 'a number';
    }
    case 'boolean':
      return 'a boolean';
    case 'string':
      return a.values.map((v) => JSON.stringify(v)).join(', ');
    case 'null':
      return 'null';
    case 'integer-list':
      return a.min === 1 ? 'a list of positive integers' : `a list of integers >= ${a.min}`;
    case 'object':
      return `an object ${a.means}`;
    case 'list':
      return `a list (${a.means})`;
  }
}

/** What a hyperparameter accepts, in words: `a positive integer or null`. */
export function describeAccepted(spec: HyperparameterSpec): string {
  const only = spec.accepts.length === 1 ? spec.accepts[0]! : undefined;
  if (only?.type === 'string' && only.values.length > 1) return `one of ${describeOne(only)}`;
  const parts = spec.accepts.map(describeOne);
  return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} or ${parts.at(-1)!}`;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function accepts(a: Accepted, v: unknown): boolean {
  switch (a.type) {
    case 'integer':
      return Number.isSafeInteger(v) && (a.min === undefined || (v as number) >= a.min);
    case 'number': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return false;
      return (a.min === undefined || v >= a.min) && (a.above === undefined || v > a.above) && (a.max === undefined || v <= a.max) && (a.below === undefined || v < a.below);
    }
    case 'boolean':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string' && a.values.includes(v);
    case 'null':
      return v === null;
    case 'integer-list':
      return Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && (x as number) >= a.min);
    case 'object':
      return isPlainObject(v);
    case 'list':
      return Array.isArray(v);
  }
}

/** A value as a message shows it: `"fifty"`, `-1`, `[3,0]` (a long list: `a list`). */
function shown(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  if (text.length <= 40) return text;
  return Array.isArray(v) ? 'a list' : isPlainObject(v) ? 'an object' : `${text.slice(0, 37)}...`;
}

export interface HyperparameterProblem {
  /** The hyperparameter's name (the key in `model.hyperparameters`). */
  key: string;
  /** Worded to follow the key's path: `must be a positive integer (got "fifty")`. */
  message: string;
}

/**
 * Why `name` is not a hyperparameter of `family`, with the closest known name (`suggest` words it)
 * when one is close, else the family's names; `where` follows the family's name (`(runs 3, 4)`).
 */
export function unknownHyperparameterMessage(family: ModelFamily, name: string, suggest: (known: string) => string = (k) => k, where = ''): string {
  const known = Object.keys(HYPERPARAMETERS[family]);
  const close = closestName(name, known);
  const hint = close === undefined ? `; it has: ${known.join(', ')}` : didYouMean(suggest(close));
  return `is not a hyperparameter of ${family}${where}${hint}`;
}

/** One problem per unknown or ill-typed hyperparameter of a run of `family`, in the request's key order. */
export function hyperparameterProblems(family: ModelFamily, hyperparameters: Readonly<Record<string, unknown>>): HyperparameterProblem[] {
  const table = HYPERPARAMETERS[family];
  const problems: HyperparameterProblem[] = [];
  for (const [key, value] of Object.entries(hyperparameters)) {
    const entry = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
    if (entry === undefined) problems.push({ key, message: unknownHyperparameterMessage(family, key) });
    else if (!entry.accepts.some((a) => accepts(a, value))) problems.push({ key, message: `must be ${describeAccepted(entry)} (got ${shown(value)})` });
  }
  return problems;
}
