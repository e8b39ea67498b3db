import { describe, expect, it } from 'vitest';
import { PlanSchema, type SweepPlan } from '../../../src/contracts/plan.js';
import { InvalidPlanError } from '../../../src/infra/errors.js';
import { applyOverrides, combinations, expandPlan } from '../../../src/queue/sweep-expansion.js';
import { planDoc } from '../../helpers/plans.js';

const baseRequest = {
  version: 1,
  preset: 'balanced',
  dataset: { path: 'data/train.csv', label_column: 'target' },
  model: { family: 'random_forest', hyperparameters: { random_state: 42, max_depth: 10 } },
  device: { type: 'cpu' },
  created_at: '2026-02-01T21:20:47.503673',
  created_by: 'runforge-desktop@0.3.5',
};

function plan(type: 'grid' | 'list', parameters: { path: string; values: unknown[] }[]): SweepPlan {
  return PlanSchema.parse(planDoc(baseRequest, { type, parameters }));
}

const opts = { groupId: 'grp_1', createdAt: '2026-11-25T01:00:00.000+00:00', createdBy: 'runforge@0.5.0' };

describe('combinations', () => {
  it.each([
    ['grid, first parameter varies slowest', plan('grid', [{ path: 'a', values: [1, 2] }, { path: 'b', values: ['x', 'y', 'z'] }]), [
      { a: 1, b: 'x' }, { a: 1, b: 'y' }, { a: 1, b: 'z' }, { a: 2, b: 'x' }, { a: 2, b: 'y' }, { a: 2, b: 'z' },
    ]],
    ['grid with one parameter', plan('grid', [{ path: 'a', values: [null, 3] }]), [{ a: null }, { a: 3 }]],
    ['list zips the i-th values', plan('list', [{ path: 'a', values: [1, 2, 3] }, { path: 'b', values: ['x', 'y', 'z'] }]), [
      { a: 1, b: 'x' }, { a: 2, b: 'y' }, { a: 3, b: 'z' },
    ]],
  ])('%s', (_name, p, expected) => {
    expect(combinations(p.strategy)).toEqual(expected);
  });

  it('refuses a grid that would expand past the limit', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i);
    const p = plan('grid', [{ path: 'a', values }, { path: 'b', values }]);
    expect(() => combinations(p.strategy)).toThrow(InvalidPlanError);
  });
});

describe('applyOverrides', () => {
  it.each([
    ['sets an existing key', { 'model.hyperparameters.max_depth': 5 }, (r: any) => expect(r.model.hyperparameters.max_depth).toBe(5)],
    ['creates missing objects', { 'model.extra.deep.value': 1 }, (r: any) => expect(r.model.extra).toEqual({ deep: { value: 1 } })],
    ['deletes the key on null', { 'model.hyperparameters.max_depth': null }, (r: any) => expect('max_depth' in r.model.hyperparameters).toBe(false)],
    ['null below a missing object changes nothing', { 'nothing.here': null }, (r: any) => expect('nothing' in r).toBe(false)],
    ['sets an object value as a copy', { 'model.hyperparameters': { C: 1 } }, (r: any) => expect(r.model.hyperparameters).toEqual({ C: 1 })],
  ])('%s', (_name, overrides, check) => {
    const base = structuredClone(baseRequest);
    const out = applyOverrides(base, overrides);
    check(out);
    expect(base).toEqual(baseRequest); // the base is never changed
  });

  it('refuses to descend into a non-object', () => {
    expect(() => applyOverrides(structuredClone(baseRequest), { 'preset.x': 1 })).toThrow(
      'strategy parameter "preset.x" cannot be applied: preset is not an object',
    );
  });
});

describe('expandPlan', () => {
  it('stamps every request with the group id, a fresh created_at and created_by', () => {
    const runs = expandPlan(plan('grid', [{ path: 'model.hyperparameters.n_estimators', values: [10, 20] }]), opts);
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      expect(run.request.sweep_group_id).toBe('grp_1');
      expect(run.request.created_at).toBe(opts.createdAt);
      expect(run.request.created_by).toBe('runforge@0.5.0');
    }
    expect(runs.map((r) => r.request.model?.hyperparameters?.n_estimators)).toEqual([10, 20]);
    expect(runs[0]!.overrides).toEqual({ 'model.hyperparameters.n_estimators': 10 });
  });

  it('a per-run device.type override reaches the request', () => {
    const runs = expandPlan(plan('list', [{ path: 'device.type', values: ['cpu', 'gpu'] }]), opts);
    expect(runs.map((r) => r.request.device.type)).toEqual(['cpu', 'gpu']);
  });

  it('an override that makes a request invalid is an invalid plan naming the run and field', () => {
    const p = plan('grid', [{ path: 'device.type', values: ['cpu', 'tpu'] }]);
    expect(() => expandPlan(p, opts)).toThrow(
      'run 2 of the sweep ({"device.type":"tpu"}) is not a valid request: device.type must be one of "cpu", "gpu"',
    );
  });
});
