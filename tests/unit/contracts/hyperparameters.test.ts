/**
 * The hyperparameter table (src/contracts/hyperparameters.ts): what each family accepts, the words of
 * each problem, the suggestions, and that the table is the trainer's — the scikit-learn rows are the
 * estimators' constructor parameters, the mlp rows the keys mlp.py reads.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAMILY_DEFAULTS, MODEL_FAMILIES, type ModelFamily } from '../../../src/contracts/constants.js';
import { HYPERPARAMETERS, hyperparameterProblems } from '../../../src/contracts/hyperparameters.js';
import { validateDocument } from '../../../src/contracts/index.js';
import { closestName, editDistance } from '../../../src/contracts/suggest.js';
import { checkDocument } from '../../../src/contracts/document.js';
import { REPO_ROOT } from '../../helpers/cli.js';
import { baseRequest } from '../../helpers/workspace.js';

const RF_NAMES = Object.keys(HYPERPARAMETERS.random_forest).join(', ');

describe('hyperparameterProblems', () => {
  it.each<[ModelFamily, Record<string, unknown>, string[]]>([
    ['random_forest', { n_estimators: 50, max_depth: null, max_features: 0.5, class_weight: { 0: 1, 1: 2 } }, []],
    ['random_forest', { n_estimator: 50 }, ['n_estimator: is not a hyperparameter of random_forest; did you mean `n_estimators`?']],
    ['random_forest', { depth: 3 }, ['depth: is not a hyperparameter of random_forest; did you mean `max_depth`?']],
    ['random_forest', { C: 1 }, [`C: is not a hyperparameter of random_forest; it has: ${RF_NAMES}`]],
    ['random_forest', { n_estimators: 'fifty' }, ['n_estimators: must be a positive integer (got "fifty")']],
    ['random_forest', { n_estimators: 0 }, ['n_estimators: must be a positive integer (got 0)']],
    ['random_forest', { n_estimators: 1.5 }, ['n_estimators: must be a positive integer (got 1.5)']],
    ['random_forest', { max_depth: 'deep' }, ['max_depth: must be a positive integer or null (got "deep")']],
    ['random_forest', { min_samples_split: 1 }, ['min_samples_split: must be an integer >= 2 or a number in (0, 1) (got 1)']],
    ['random_forest', { max_features: 'all' }, ['max_features: must be a positive integer, a number in (0, 1], "sqrt", "log2" or null (got "all")']],
    ['logistic_regression', { C: 0.5, penalty: null, solver: 'saga', max_iter: 200, random_state: null }, []],
    ['logistic_regression', { C: 0 }, ['C: must be a number > 0 (got 0)']],
    ['logistic_regression', { c: 1 }, ['c: is not a hyperparameter of logistic_regression; did you mean `C`?']],
    ['logistic_regression', { solver: 'adam' }, ['solver: must be one of "lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga" (got "adam")']],
    ['logistic_regression', { max_iter: -5, tol: -1 }, ['max_iter: must be a positive integer (got -5)', 'tol: must be a number >= 0 (got -1)']],
    ['linear_svc', { dual: 'auto', C: 2, loss: 'hinge' }, []],
    ['linear_svc', { fit_intercept: 'yes' }, ['fit_intercept: must be a boolean (got "yes")']],
    ['mlp', { epochs: 5, hidden_sizes: [], learning_rate: 0.01, dropout: 0.5 }, []],
    ['mlp', { hidden_sizes: [64, 0] }, ['hidden_sizes: must be a list of positive integers (got [64,0])']],
    ['mlp', { lr: 0.1 }, ['lr: is not a hyperparameter of mlp; did you mean `learning_rate`?']],
    ['mlp', { dropout: 1 }, ['dropout: must be a number in [0, 1) (got 1)']],
    ['mlp', { n_estimators: 10 }, ['n_estimators: is not a hyperparameter of mlp; it has: epochs, hidden_sizes, learning_rate, batch_size, weight_decay, dropout']],
  ])('%s %j', (family, hyperparameters, expected) => {
    expect(hyperparameterProblems(family, hyperparameters).map((p) => `${p.key}: ${p.message}`)).toEqual(expected);
  });

  it.each(MODEL_FAMILIES)("RunForge's own defaults of %s pass its table", (family) => {
    expect(hyperparameterProblems(family, FAMILY_DEFAULTS[family])).toEqual([]);
  });
});

describe('a request judged by its family', () => {
  const request = (model: unknown, extra: Record<string, unknown> = {}): unknown => baseRequest({ model, ...extra });

  it('both validators refuse an unknown or ill-typed hyperparameter, one line each, naming the field', async () => {
    const doc = request({ family: 'random_forest', hyperparameters: { n_estimator: 10, max_depth: 'fifty' } });
    const expected = [
      'model.hyperparameters.n_estimator is not a hyperparameter of random_forest; did you mean `n_estimators`?',
      'model.hyperparameters.max_depth must be a positive integer or null (got "fifty")',
    ];
    expect(validateDocument('request', doc)).toEqual({ ok: false, problems: expected });
    expect(await checkDocument('request', doc)).toEqual({ ok: false, problems: expected });
  });

  it("a custom command's hyperparameters are its own: not checked", async () => {
    const doc = request({ family: 'random_forest', hyperparameters: { lr: 'anything' } }, { command: ['python3', 'train.py'] });
    expect(await checkDocument('request', doc)).toMatchObject({ ok: true });
  });
});

describe('suggestions', () => {
  it.each([
    ['hyperparamters', ['hyperparameters', 'family'], 'hyperparameters'],
    ['n_estimator', ['n_estimators', 'max_depth'], 'n_estimators'],
    ['maxdepth', ['n_estimators', 'max_depth'], 'max_depth'],
    ['depth', ['n_estimators', 'max_depth'], 'max_depth'],
    ['lr', ['epochs', 'learning_rate'], 'learning_rate'],
    ['c', ['C', 'tol'], 'C'],
    ['banana', ['n_estimators', 'max_depth'], undefined],
    ['x', ['y', 'C'], undefined],
  ])('%s → %s', (name, known, expected) => {
    expect(closestName(name, known)).toBe(expected);
  });

  it('counts a swap of two neighbours as one edit', () => {
    expect(editDistance('n_estiamtors', 'n_estimators')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('the table is what the trainer takes', () => {
  it('mlp: exactly the keys python/runforge_trainer/mlp.py reads', () => {
    const source = readFileSync(path.join(REPO_ROOT, 'python', 'runforge_trainer', 'mlp.py'), 'utf8');
    const read = [...source.matchAll(/hp\.get\("([a-z_]+)"/g)].map((m) => m[1]);
    expect(read.sort()).toEqual(Object.keys(HYPERPARAMETERS.mlp).sort());
  });

  const python = process.env.RUNFORGE_PYTHON ?? '/usr/bin/python3';
  const SIGNATURES = `
import inspect, json
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
print(json.dumps({name: sorted(set(inspect.signature(cls.__init__).parameters) - {"self"})
                  for name, cls in [("logistic_regression", LogisticRegression), ("random_forest", RandomForestClassifier), ("linear_svc", LinearSVC)]}))
`;
  let signatures: Record<string, string[]> | undefined;
  try {
    signatures = JSON.parse(execFileSync(python, ['-c', SIGNATURES], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as Record<string, string[]>;
  } catch {
    signatures = undefined; // no scikit-learn here: the check below is skipped
  }

  it.skipIf(signatures === undefined).each(['logistic_regression', 'random_forest', 'linear_svc'] as const)(
    "%s: the installed scikit-learn estimator's constructor parameters (the trainer passes every key to it)",
    (family) => {
      // Parameters a newer scikit-learn adds are not known to the table until it is updated; none removed.
      const table = Object.keys(HYPERPARAMETERS[family]).sort();
      expect(table.filter((name) => !signatures![family]!.includes(name))).toEqual([]);
      expect(signatures![family]!.filter((name) => !table.includes(name))).toEqual([]);
    },
  );
});
