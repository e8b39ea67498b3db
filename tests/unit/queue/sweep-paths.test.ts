/**
 * checkSweep (src/queue/sweep-expansion.ts, sweep-paths.ts): every sweep path names something a run
 * uses, per run when the family varies; each run's hyperparameters fit its family; one line per problem.
 */
import { describe, expect, it } from 'vitest';
import { PlanSchema, type SweepPlan } from '../../../src/contracts/plan.js';
import { documentWarnings } from '../../../src/contracts/warnings.js';
import { demoPlan } from '../../../src/ops/demo.js';
import { checkSweep } from '../../../src/queue/sweep-expansion.js';
import { planDoc } from '../../helpers/plans.js';

const stamp = { groupId: 'grp_1', createdAt: '2026-11-25T01:00:00.000+00:00', createdBy: 'runforge@0.6.0' };

const baseRequest = {
  version: 1,
  preset: 'balanced',
  dataset: { path: 'data/train.csv', label_column: 'target' },
  model: { family: 'random_forest', hyperparameters: { max_depth: 10 } },
  device: { type: 'cpu' },
  created_at: '2026-02-01T21:20:47.503673',
  created_by: 'runforge-desktop@0.3.5',
};

function plan(parameters: { path: string; values: unknown[] }[], base: Record<string, unknown> = baseRequest, type: 'grid' | 'list' = 'grid'): SweepPlan {
  return PlanSchema.parse(planDoc(base, { type, parameters }));
}

const custom = { ...baseRequest, command: ['python3', 'train.py'] };
const LR_NAMES = 'C, penalty, solver, max_iter, tol, l1_ratio, multi_class, class_weight, fit_intercept, intercept_scaling, dual, random_state, n_jobs, warm_start, verbose';

describe('sweep paths', () => {
  it.each<[string, SweepPlan, string[]]>([
    ['a hyperparameter of the family', plan([{ path: 'model.hyperparameters.n_estimators', values: [10, 20] }]), []],
    ['request fields and whole objects', plan([{ path: 'seed', values: [1, 2] }, { path: 'device.type', values: ['cpu'] }, { path: 'model.hyperparameters', values: [{ n_estimators: 5 }] }]), []],
    ['a misspelt object on the way', plan([{ path: 'model.hyperparamters.n_estimators', values: [10, 20] }]), [
      'strategy.parameters[0].path "model.hyperparamters.n_estimators" is not a field of a request; did you mean `model.hyperparameters.n_estimators`?',
    ]],
    ['a misspelt hyperparameter', plan([{ path: 'model.hyperparameters.n_estimator', values: [10] }]), [
      'strategy.parameters[0].path "model.hyperparameters.n_estimator" is not a hyperparameter of random_forest; did you mean `model.hyperparameters.n_estimators`?',
    ]],
    ['both misspelt', plan([{ path: 'model.hyperparamters.n_estimator', values: [10] }]), [
      'strategy.parameters[0].path "model.hyperparamters.n_estimator" is not a field of a request; did you mean `model.hyperparameters.n_estimators`?',
    ]],
    ['a hyperparameter name alone', plan([{ path: 'n_estimators', values: [10] }]), [
      'strategy.parameters[0].path "n_estimators" is not a field of a request; did you mean `model.hyperparameters.n_estimators`?',
    ]],
    ['a field nobody knows', plan([{ path: 'banana.split', values: [1] }]), ['strategy.parameters[0].path "banana.split" is not a field of a request']],
    ['below a value', plan([{ path: 'seed.x', values: [1] }]), ['strategy.parameters[0].path "seed.x" goes below seed, which has no fields; sweep the whole "seed"']],
    ['into a command (no placeholders)', plan([{ path: 'command.3', values: ['--fast'] }], custom), [
      'strategy.parameters[0].path "command.3" goes below command, which has no fields; sweep the whole "command"',
    ]],
    ['a field the sweep stamps', plan([{ path: 'created_at', values: ['2026-01-01T00:00:00Z'] }]), [
      'strategy.parameters[0].path "created_at" cannot be swept: the sweep sets created_at of every run itself',
    ]],
    ["a custom command's own hyperparameters", plan([{ path: 'model.hyperparameters.lr', values: [0.1, 0.01] }], custom), []],
    ['the family varies: checked per run', plan([{ path: 'model.family', values: ['random_forest', 'logistic_regression'] }, { path: 'model.hyperparameters.n_estimators', values: [5, 6] }], { ...baseRequest, model: { family: 'random_forest' } }), [
      `strategy.parameters[1].path "model.hyperparameters.n_estimators" is not a hyperparameter of logistic_regression (runs 3, 4); it has: ${LR_NAMES}`,
    ]],
    ['a null value deletes the key: fits any family', plan([{ path: 'model.family', values: ['random_forest', 'logistic_regression'] }, { path: 'model.hyperparameters.n_estimators', values: [5, null] }], { ...baseRequest, model: { family: 'random_forest' } }, 'list'), []],
    ['below a hyperparameter that is not an object', plan([{ path: 'model.hyperparameters.max_depth.x', values: [1] }]), [
      'strategy.parameters[0].path "model.hyperparameters.max_depth.x" goes below model.hyperparameters.max_depth, which has no fields; sweep its whole value',
    ]],
  ])('%s', (_name, p, expected) => {
    expect(checkSweep(p, stamp).problems).toEqual(expected);
  });
});

describe("each run's request", () => {
  it('a value of the wrong type: one line per distinct problem, at its first run', () => {
    const p = plan([{ path: 'model.hyperparameters.n_estimators', values: ['fifty', 10] }, { path: 'seed', values: [1, 2, 3] }]);
    expect(checkSweep(p, stamp)).toEqual({
      runs: [],
      problems: [
        'run 1 of the sweep ({"model.hyperparameters.n_estimators":"fifty","seed":1}) is not a valid request: model.hyperparameters.n_estimators must be a positive integer (got "fifty") (and 2 more runs)',
      ],
    });
  });

  it('a whole hyperparameters object with an unknown key', () => {
    const p = plan([{ path: 'model.hyperparameters', values: [{ n_estimators: 5 }, { n_estimator: 5 }] }]);
    expect(checkSweep(p, stamp).problems).toEqual([
      'run 2 of the sweep ({"model.hyperparameters":{"n_estimator":5}}) is not a valid request: model.hyperparameters.n_estimator is not a hyperparameter of random_forest; did you mean `n_estimators`?',
    ]);
  });

  it('a valid sweep: every run, stamped', () => {
    const { runs, problems } = checkSweep(plan([{ path: 'model.hyperparameters.n_estimators', values: [10, 20] }]), stamp);
    expect(problems).toEqual([]);
    expect(runs.map((r) => [r.request.model?.hyperparameters, r.request.sweep_group_id])).toEqual([
      [{ max_depth: 10, n_estimators: 10 }, 'grp_1'],
      [{ max_depth: 10, n_estimators: 20 }, 'grp_1'],
    ]);
  });
});

describe('the demo', () => {
  it("runforge demo's plan is valid, sweeps only what its runs use, and has nothing to warn about", () => {
    const doc = demoPlan('/tmp/demo', '2026-11-25T01:00:00Z');
    expect(checkSweep(PlanSchema.parse(doc), stamp)).toMatchObject({ problems: [] });
    expect(documentWarnings('plan', doc)).toEqual([]);
  });
});
