import { describe, expect, it } from 'vitest';
import { PlanSchema } from '../../../src/contracts/plan.js';
import { describeIssues } from '../../../src/contracts/issues.js';
import { combinations, expandPlan, MAX_SWEEP_RUNS } from '../../../src/queue/sweep-expansion.js';
import { drawValue, sampleTrials, type RandomParameter } from '../../../src/queue/random-strategy.js';
import { seededUniform } from '../../../src/queue/seeded-random.js';
import { planDoc } from '../../helpers/plans.js';

const PARAMS: RandomParameter[] = [
  { path: 'model.hyperparameters.lr', distribution: 'loguniform', low: 1e-5, high: 1e-1 },
  { path: 'model.hyperparameters.dropout', distribution: 'uniform', low: 0, high: 0.5 },
  { path: 'model.hyperparameters.layers', distribution: 'int', low: 2, high: 6 },
  { path: 'model.hyperparameters.opt', distribution: 'choice', values: ['adam', 'sgd', { name: 'rms' }] },
];

function plan(strategy: Record<string, unknown>): unknown {
  return planDoc(
    {
      version: 1,
      dataset: { path: 'd.csv', label_column: 'y' },
      device: { type: 'cpu' },
      command: ['python', 'train.py', '--lr', '{lr}'],
      created_at: '2026-02-01T21:20:47Z',
      created_by: 'x@1',
    },
    strategy,
  );
}

const problemsOf = (doc: unknown): string[] => {
  const parsed = PlanSchema.safeParse(doc, { reportInput: true });
  return parsed.success ? [] : describeIssues(parsed.error);
};

describe('seededUniform', () => {
  it('gives the same numbers for the same seed, other numbers for another, all in [0, 1)', () => {
    const draw = (seed: number): number[] => {
      const u = seededUniform(seed);
      return Array.from({ length: 1000 }, () => u());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    // Seeds that differ only above bit 32 differ too.
    expect(draw(1)).not.toEqual(draw(1 + 2 ** 32));
    const all = draw(123);
    expect(all.every((x) => x >= 0 && x < 1)).toBe(true);
    // Spread over the interval, not stuck in a corner.
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});

describe('sampleTrials', () => {
  it('draws n_trials runs; the same seed gives the same runs, another seed other runs', () => {
    const a = sampleTrials({ n_trials: 50, seed: 7, parameters: PARAMS });
    expect(a).toHaveLength(50);
    expect(sampleTrials({ n_trials: 50, seed: 7, parameters: PARAMS })).toEqual(a);
    expect(sampleTrials({ n_trials: 50, seed: 8, parameters: PARAMS })).not.toEqual(a);
    // The first trials do not depend on how many are drawn.
    expect(sampleTrials({ n_trials: 10, seed: 7, parameters: PARAMS })).toEqual(a.slice(0, 10));
    for (const trial of a) expect(Object.keys(trial)).toEqual(PARAMS.map((p) => p.path));
  });

  it('keeps every distribution inside its bounds and reaches both ends of an int range', () => {
    const trials = sampleTrials({ n_trials: 2000, seed: 1, parameters: PARAMS });
    const col = (path: string): unknown[] => trials.map((t) => t[path]);
    const lr = col('model.hyperparameters.lr') as number[];
    expect(lr.every((x) => x >= 1e-5 && x < 1e-1)).toBe(true);
    // Log-uniform: about a quarter of the draws in each decade of the four.
    const belowMilli = lr.filter((x) => x < 1e-3).length / lr.length;
    expect(belowMilli).toBeGreaterThan(0.4);
    expect(belowMilli).toBeLessThan(0.6);
    expect((col('model.hyperparameters.dropout') as number[]).every((x) => x >= 0 && x < 0.5)).toBe(true);
    expect(new Set(col('model.hyperparameters.layers'))).toEqual(new Set([2, 3, 4, 5, 6]));
    expect(new Set(col('model.hyperparameters.opt').map((v) => JSON.stringify(v)))).toEqual(new Set(['"adam"', '"sgd"', '{"name":"rms"}']));
  });

  it('draws each kind from a known uniform number', () => {
    const at = (u: number) => () => u;
    expect(drawValue({ path: 'x', distribution: 'uniform', low: 2, high: 4 }, at(0.25))).toBe(2.5);
    expect(drawValue({ path: 'x', distribution: 'loguniform', low: 1e-4, high: 1 }, at(0.5))).toBeCloseTo(1e-2, 12);
    expect(drawValue({ path: 'x', distribution: 'int', low: 2, high: 6 }, at(0.999999))).toBe(6);
    expect(drawValue({ path: 'x', distribution: 'int', low: 2, high: 6 }, at(0))).toBe(2);
    expect(drawValue({ path: 'x', distribution: 'choice', values: ['a', 'b'] }, at(0.5))).toBe('b');
  });
});

describe('a random plan', () => {
  it('expands to its n_trials runs through combinations and expandPlan', () => {
    const doc = PlanSchema.parse(plan({ type: 'random', n_trials: 5, seed: 3, parameters: [PARAMS[0]] }));
    const combos = combinations(doc.strategy);
    expect(combos).toHaveLength(5);
    const runs = expandPlan(doc, { groupId: 'grp_1', createdAt: '2026-11-25T01:00:00Z', createdBy: 'r@1' });
    expect(runs.map((r) => r.request.command![3])).toEqual(combos.map((c) => JSON.stringify(c['model.hyperparameters.lr'])));
    expect(runs.map((r) => r.request.sweep_params)).toEqual(combos);
  });

  it('is held to the 100,000-run cap', () => {
    const doc = PlanSchema.parse(plan({ type: 'random', n_trials: MAX_SWEEP_RUNS + 1, seed: 3, parameters: [PARAMS[0]] }));
    expect(() => combinations(doc.strategy)).toThrow(`strategy.n_trials asks for ${MAX_SWEEP_RUNS + 1} runs; at most ${MAX_SWEEP_RUNS} are allowed`);
  });

  it.each([
    ['no n_trials', { seed: 1, parameters: [PARAMS[0]] }, 'strategy.n_trials is required for a "random" strategy'],
    ['no seed', { n_trials: 1, parameters: [PARAMS[0]] }, 'strategy.seed is required for a "random" strategy'],
    ['no distribution', { n_trials: 1, seed: 1, parameters: [{ path: 'a', low: 0, high: 1 }] },
      'strategy.parameters[0].distribution is required for a "random" strategy (one of choice, uniform, loguniform, int)'],
    ['low ≥ high', { n_trials: 1, seed: 1, parameters: [{ path: 'a', distribution: 'uniform', low: 1, high: 0.5 }] },
      'strategy.parameters[0].low must be less than high (got low 1, high 0.5)'],
    ['loguniform from 0', { n_trials: 1, seed: 1, parameters: [{ path: 'a', distribution: 'loguniform', low: 0, high: 1 }] },
      'strategy.parameters[0].low must be > 0 for a "loguniform" distribution (got 0)'],
    ['int on fractions', { n_trials: 1, seed: 1, parameters: [{ path: 'a', distribution: 'int', low: 1, high: 4.5 }] },
      'strategy.parameters[0].high must be an integer for an "int" distribution (got 4.5)'],
    ['empty choice', { n_trials: 1, seed: 1, parameters: [{ path: 'a', distribution: 'choice', values: [] }] },
      'strategy.parameters[0].values must have at least one value'],
    ['choice without values', { n_trials: 1, seed: 1, parameters: [{ path: 'a', distribution: 'choice' }] },
      'strategy.parameters[0].values is required for a "choice" distribution'],
    ['uniform without high', { n_trials: 1, seed: 1, parameters: [{ path: 'a', distribution: 'uniform', low: 0 }] },
      'strategy.parameters[0].high is required for a "uniform" distribution'],
    ['uniform with values', { n_trials: 1, seed: 1, parameters: [{ path: 'a', distribution: 'uniform', low: 0, high: 1, values: [1] }] },
      'strategy.parameters[0].values does not apply to a "uniform" distribution'],
    ['unknown distribution', { n_trials: 1, seed: 1, parameters: [{ path: 'a', distribution: 'normal', low: 0, high: 1 }] },
      'strategy.parameters[0].distribution must be one of "choice", "uniform", "loguniform", "int"'],
    ['zero trials', { n_trials: 0, seed: 1, parameters: [PARAMS[0]] }, 'strategy.n_trials'],
  ])('refuses %s, naming the field', (_what, strategy, problem) => {
    const problems = problemsOf(plan({ type: 'random', ...strategy }));
    expect(problems[0]).toContain(problem);
    if (!problem.endsWith('n_trials')) expect(problems[0]).toBe(problem);
  });

  it('leaves grid and list plans as they were: values required there, no random fields', () => {
    expect(problemsOf(plan({ type: 'grid', parameters: [{ path: 'a' }] }))).toEqual(['strategy.parameters[0].values is required']);
    expect(problemsOf(plan({ type: 'grid', parameters: [{ path: 'a', values: [1], distribution: 'int' }] }))).toEqual([
      'strategy.parameters[0].distribution applies only to a "random" strategy',
    ]);
    expect(problemsOf(plan({ type: 'list', parameters: [{ path: 'a', values: [1, 2] }, { path: 'b', values: [1] }] }))).toEqual([
      'strategy.parameters[1].values must have 2 values like every other parameter of a "list" strategy (has 1)',
    ]);
  });
});
