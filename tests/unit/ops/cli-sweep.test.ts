/** Sweep flags → a plan document (src/ops/cli-sweep.ts): values, bounds, which flags go together, problems by flag. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/infra/errors.js';
import { commandRequest } from '../../../src/ops/add.js';
import {
  buildCliSweepPlan,
  checkCliSweep,
  type CliSweepOptions,
  defaultGroupName,
  parseValues,
  plannedRuns,
  readValue,
  type SweepFlag,
} from '../../../src/ops/cli-sweep.js';
import { CREATED_BY } from '../../../src/version.js';

const AT = '2026-12-03T20:00:00Z';
const COMMAND = ['python', 'train.py', '--lr', '{lr}'];

function options(flags: SweepFlag[], more: Partial<CliSweepOptions> = {}): CliSweepOptions {
  return {
    flags,
    baseRequest: commandRequest({ command: COMMAND, cwd: '/home/me/project', env: null }, AT),
    workspace: '/home/me/ws',
    createdAt: AT,
    ...more,
  };
}

/** The usage error `fn` throws, as its message (one line). */
function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('no error thrown');
}

describe('values of --grid and --choice', () => {
  it.each([
    ['0.01', 0.01],
    ['1e-5', 1e-5],
    ['-3', -3],
    ['adam', 'adam'],
    ['true', true],
    ['null', null],
    ['"32"', '32'],
    ['01', '01'],
  ])('%s reads as JSON would: %j', (text, value) => {
    expect(readValue(text)).toEqual(value);
  });

  it('splits at commas; a JSON array holds values with commas or lists', () => {
    const grid = (text: string): SweepFlag => ({ kind: 'grid', text });
    expect(parseValues(grid('opt=adam,0.1,true'), 'adam,0.1,true')).toEqual(['adam', 0.1, true]);
    expect(parseValues(grid('dims=[[1,2],[3]]'), '[[1,2],[3]]')).toEqual([[1, 2], [3]]);
    expect(parseValues(grid('s=["a,b","c"]'), '["a,b","c"]')).toEqual(['a,b', 'c']);
    expect(usageError(() => parseValues(grid('lr=0.1,,1'), '0.1,,1'))).toBe(
      "--grid 'lr=0.1,,1' has an empty value (values are split at commas; write a JSON array for values with commas)",
    );
    expect(usageError(() => parseValues(grid('d=[1,2'), '[1,2'))).toBe(
      "--grid 'd=[1,2': a value list starting with '[' must be a JSON array of at least one value",
    );
  });
});

describe('buildCliSweepPlan', () => {
  it('a grid: one parameter per --grid under model.hyperparameters, add\'s request as base_request, the defaults', () => {
    const { doc, labels } = buildCliSweepPlan(options([{ kind: 'grid', text: 'lr=0.1,0.01' }, { kind: 'grid', text: 'bs=32,64' }]));
    expect(doc).toEqual({
      version: 1,
      kind: 'sweep_plan',
      created_at: AT,
      created_by: CREATED_BY,
      workspace: '/home/me/ws',
      group: { name: 'train.py lr×bs' },
      base_request: { version: 1, preset: 'custom', device: { type: 'cpu' }, created_at: AT, created_by: CREATED_BY, command: COMMAND, cwd: '/home/me/project' },
      strategy: {
        type: 'grid',
        parameters: [
          { path: 'model.hyperparameters.lr', values: [0.1, 0.01] },
          { path: 'model.hyperparameters.bs', values: [32, 64] },
        ],
      },
      execution: { max_parallel: 2, fail_fast: false, stop_on_cancel: true },
    });
    expect(labels).toEqual(["--grid 'lr=0.1,0.01'", "--grid 'bs=32,64'"]);
  });

  it('random: n_trials, the seed (0 by default), each distribution in the order typed; --name and --max-parallel', () => {
    const flags: SweepFlag[] = [
      { kind: 'int', text: 'layers=2:6' },
      { kind: 'loguniform', text: 'lr=1e-5:1e-1' },
      { kind: 'choice', text: 'opt=adam,sgd' },
      { kind: 'uniform', text: 'dropout=0:.5' },
    ];
    const { doc } = buildCliSweepPlan(options(flags, { trials: 50, name: 'my sweep', maxParallel: 4 }));
    expect(doc.strategy).toEqual({
      type: 'random',
      n_trials: 50,
      seed: 0,
      parameters: [
        { path: 'model.hyperparameters.layers', distribution: 'int', low: 2, high: 6 },
        { path: 'model.hyperparameters.lr', distribution: 'loguniform', low: 1e-5, high: 0.1 },
        { path: 'model.hyperparameters.opt', distribution: 'choice', values: ['adam', 'sgd'] },
        { path: 'model.hyperparameters.dropout', distribution: 'uniform', low: 0, high: 0.5 },
      ],
    });
    expect(doc.group).toEqual({ name: 'my sweep' });
    expect(doc.execution).toMatchObject({ max_parallel: 4 });
    expect(buildCliSweepPlan(options(flags, { trials: 5, seed: 7 })).doc.strategy).toMatchObject({ seed: 7 });
  });

  it.each<[string, SweepFlag[], Partial<CliSweepOptions>, string]>([
    ['nothing to sweep', [], {}, 'Nothing to sweep: give --grid NAME=V1,V2… (repeatable) or --random N with --choice/--uniform/--loguniform/--int'],
    ['--grid with --random', [{ kind: 'grid', text: 'a=1' }], { trials: 3 },
      '--grid and --random cannot be used together: a grid runs every combination, --random draws N runs'],
    ['--grid with a distribution', [{ kind: 'grid', text: 'a=1' }, { kind: 'int', text: 'b=1:2' }], {},
      '--grid and --int cannot be used together: a grid runs every combination, --random draws N runs'],
    ['a distribution without --random', [{ kind: 'uniform', text: 'x=0:1' }], {}, '--uniform needs --random N (how many runs to draw)'],
    ['--random with nothing to draw', [], { trials: 3 }, '--random needs what to draw: --choice, --uniform, --loguniform or --int NAME=…'],
    ['--seed without --random', [{ kind: 'grid', text: 'a=1' }], { seed: 1 }, '--seed needs --random N'],
    ['a dotted name', [{ kind: 'grid', text: 'model.family=a,b' }], {},
      "--grid needs NAME=V1,V2,…, NAME a name such as lr or batch_size (got 'model.family=a,b')"],
    ['no =', [{ kind: 'grid', text: 'lr' }], {}, "--grid needs NAME=V1,V2,…, NAME a name such as lr or batch_size (got 'lr')"],
    ['bounds that are not numbers', [{ kind: 'uniform', text: 'x=a:1' }], { trials: 2 }, "--uniform needs NAME=LOW:HIGH, two numbers (got 'x=a:1')"],
    ['one bound', [{ kind: 'int', text: 'n=3' }], { trials: 2 }, "--int needs NAME=LOW:HIGH, two numbers (got 'n=3')"],
    ['a name swept twice', [{ kind: 'grid', text: 'lr=1' }, { kind: 'grid', text: 'lr=2' }], {}, "lr is swept twice: --grid 'lr=1' and --grid 'lr=2'"],
  ])('refuses %s in one line', (_what, flags, more, message) => {
    expect(usageError(() => buildCliSweepPlan(options(flags, more)))).toBe(message);
  });
});

describe('checkCliSweep: the plan checks, worded by flag', () => {
  const refused = async (flags: SweepFlag[], more: Partial<CliSweepOptions>): Promise<string> => {
    const made = buildCliSweepPlan(options(flags, more));
    const err: unknown = await checkCliSweep(made).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  };

  it.each<[string, SweepFlag[], Partial<CliSweepOptions>, string]>([
    ['loguniform from 0', [{ kind: 'loguniform', text: 'lr=0:1' }], { trials: 2 },
      "--loguniform 'lr=0:1': low must be > 0 for a \"loguniform\" distribution (got 0)"],
    ['int bounds reversed', [{ kind: 'int', text: 'layers=6:2' }], { trials: 2 }, "--int 'layers=6:2': low must be less than high (got low 6, high 2)"],
    ['int on fractions', [{ kind: 'int', text: 'layers=1.5:4' }], { trials: 2 },
      "--int 'layers=1.5:4': low must be an integer for an \"int\" distribution (got 1.5)"],
    ['an unknown placeholder', [{ kind: 'grid', text: 'lrr=0.1' }], {},
      "the command's '{lr}' has an unknown placeholder {lr}: the sweep sets model.hyperparameters.lrr"],
    ['too many trials', [{ kind: 'int', text: 'lr=1:2' }], { trials: 100_001 }, '--random asks for 100001 runs; at most 100000 are allowed'],
    ['too big a grid', ['lr', 'a', 'b', 'c'].map((n): SweepFlag => ({ kind: 'grid', text: `${n}=${Array.from({ length: 20 }, (_, i) => i).join(',')}` })), {},
      '--grid expands to 160000 runs; at most 100000 are allowed'],
  ])('%s', async (_what, flags, more, message) => {
    expect(await refused(flags, more)).toBe(message);
  });

  it('a good plan expands with each command substituted', async () => {
    const made = buildCliSweepPlan(options([{ kind: 'grid', text: 'lr=0.1,1e-5' }]));
    const runs = await plannedRuns(await checkCliSweep(made));
    expect(runs).toEqual([
      { index: 1, params: { 'model.hyperparameters.lr': 0.1 }, command: ['python', 'train.py', '--lr', '0.1'] },
      { index: 2, params: { 'model.hyperparameters.lr': 1e-5 }, command: ['python', 'train.py', '--lr', '0.00001'] },
    ]);
  });
});

describe('defaultGroupName', () => {
  it.each([
    [['python', 'src/train.py', '--lr', '{lr}'], 'train.py lr×bs'],
    [['python3', '-u', 'train.py'], 'train.py lr×bs'],
    [['python', '-m', 'pkg.train'], 'pkg.train lr×bs'],
    [['/opt/bin/my-trainer', '--fast'], 'my-trainer lr×bs'],
  ])('%j → %s', (command, name) => {
    expect(defaultGroupName(command, ['lr', 'bs'])).toBe(name);
  });
});
