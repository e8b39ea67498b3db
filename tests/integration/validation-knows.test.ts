/**
 * Issue 14, "validation that knows what it validates", through the built CLI: a sweep path or a
 * hyperparameter that names nothing is refused before anything is written (validate, enqueue-sweep,
 * direct sweep, enqueue-run, run alike), unknown keys are warned about (errors with --strict), and
 * `validate` says what `enqueue-sweep` would.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonOut, REPO_ROOT, runCli } from '../helpers/cli.js';
import { baseRequest, samplePlan, tempWorkspace, writePlan, writeRun } from '../helpers/workspace.js';

/** A plan over random_forest, `parameters` swept. */
function rfPlan(ws: string, parameters: unknown[], base: Record<string, unknown> = {}): Record<string, unknown> {
  return samplePlan(ws, {
    base_request: baseRequest({ model: { family: 'random_forest', hyperparameters: {} }, ...base }),
    strategy: { type: 'grid', parameters },
  });
}

/** Neither the queue's folder nor a run folder was made. */
function expectNothingWritten(ws: string): void {
  expect(existsSync(path.join(ws, '.runforge'))).toBe(false);
  expect(existsSync(path.join(ws, '.ml'))).toBe(false);
}

const TYPO_LINE =
  'strategy.parameters[0].path "model.hyperparamters.n_estimators" is not a field of a request; did you mean `model.hyperparameters.n_estimators`?';

describe('a sweep path must name something a run uses', () => {
  it('a typo in the path: refused by validate, enqueue-sweep and sweep alike (exit 6), nothing written', async () => {
    const ws = tempWorkspace();
    const plan = writePlan(ws, rfPlan(ws, [{ path: 'model.hyperparamters.n_estimators', values: [10, 50] }]));

    const validate = await runCli(['validate', plan]);
    expect(validate).toMatchObject({ code: 6, lines: [TYPO_LINE] });
    expect(validate.stderr.trim()).toBe(`Error: ${plan} is not a valid plan (1 problem)`);

    for (const args of [['enqueue-sweep', '--plan', plan], ['sweep', '--plan', plan], ['sweep', '--plan', plan, '--enqueue']]) {
      const r = await runCli(args);
      expect(r.code).toBe(6);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim()).toBe(`Error: ${plan} is not a valid plan: ${TYPO_LINE}`);
    }
    expectNothingWritten(ws);
  });

  it('a hyperparameter the family does not have, and a value of the wrong type: one line each', async () => {
    const ws = tempWorkspace();
    const plan = writePlan(
      ws,
      rfPlan(ws, [
        { path: 'model.hyperparameters.n_estimator', values: [10] },
        { path: 'model.hyperparameters.max_depth', values: ['fifty'] },
      ]),
    );
    const unknown = await runCli(['validate', plan]);
    expect(unknown).toMatchObject({
      code: 6,
      lines: [
        'strategy.parameters[0].path "model.hyperparameters.n_estimator" is not a hyperparameter of random_forest; did you mean `model.hyperparameters.n_estimators`?',
      ],
    });

    writePlan(ws, rfPlan(ws, [{ path: 'model.hyperparameters.n_estimators', values: [10, 'fifty', 'twenty'] }]));
    const wrongType = await runCli(['validate', plan]);
    expect(wrongType.code).toBe(6);
    expect(wrongType.lines).toEqual([
      'run 2 of the sweep ({"model.hyperparameters.n_estimators":"fifty"}) is not a valid request: model.hyperparameters.n_estimators must be a positive integer (got "fifty")',
      'run 3 of the sweep ({"model.hyperparameters.n_estimators":"twenty"}) is not a valid request: model.hyperparameters.n_estimators must be a positive integer (got "twenty")',
    ]);
    const enqueue = await runCli(['enqueue-sweep', '--plan', plan]);
    expect(enqueue.code).toBe(6);
    expect(enqueue.stderr.trim()).toBe(`Error: ${plan} is not a valid plan: ${wrongType.lines[0]} (and 1 more problem)`);
    expectNothingWritten(ws);
  });
});

describe('hyperparameters of a request', () => {
  it.each([
    ['an unknown one', { n_estimator: 10 }, 'model.hyperparameters.n_estimator is not a hyperparameter of random_forest; did you mean `n_estimators`?'],
    ['one of the wrong type', { n_estimators: 'fifty' }, 'model.hyperparameters.n_estimators must be a positive integer (got "fifty")'],
  ])('%s: validate and enqueue-run refuse it (exit 2), nothing queued', async (_name, hyperparameters, line) => {
    const ws = tempWorkspace();
    const dir = writeRun(ws, 'r1', baseRequest({ model: { family: 'random_forest', hyperparameters } }));

    const validate = await runCli(['validate', path.join(dir, 'request.json')]);
    expect(validate).toMatchObject({ code: 2, lines: [line] });

    const enqueue = await runCli(['enqueue-run', '--run-id', 'r1', '--workspace', ws]);
    expect(enqueue.code).toBe(2);
    expect(enqueue.stderr.trim()).toBe(`Error: .ml/runs/r1/request.json is not a valid request: ${line}`);
    expect(existsSync(path.join(ws, '.runforge'))).toBe(false);
  });
});

describe('unknown keys: kept, warned about, errors with --strict', () => {
  it('a near-miss key in a request: OK with a warning and a suggestion; --strict refuses it (exit 2)', async () => {
    const ws = tempWorkspace();
    const file = path.join(ws, 'request.json');
    const doc = baseRequest({ model: { family: 'random_forest', hyperparamters: { n_estimators: 10 } } });
    writeFileSync(file, JSON.stringify(doc));
    const warning = 'model.hyperparamters is not a known field (kept as is); did you mean `hyperparameters`?';

    const r = await runCli(['validate', file]);
    expect(r).toMatchObject({ code: 0, stdout: 'OK', stderr: `Warning: ${warning}` });

    const strict = await runCli(['validate', file, '--strict']);
    expect(strict).toMatchObject({ code: 2, lines: [warning] });
    expect(strict.stderr.trim()).toBe(`Error: ${file} is not a valid request (1 problem)`);

    const json = parseJsonOut(await runCli(['validate', file, '--json']));
    expect(json).toEqual({ file, kind: 'request', valid: true, problems: [], warnings: [warning] });
  });

  it('in a plan, at any depth; --strict makes it exit 6', async () => {
    const ws = tempWorkspace();
    const plan = samplePlan(ws, { excution: {} });
    (plan.base_request as Record<string, unknown>).tgas = ['x'];
    const file = writePlan(ws, plan);
    const r = await runCli(['validate', file, '--strict']);
    expect(r.code).toBe(6);
    expect(r.lines).toEqual([
      'base_request.tgas is not a known field (kept as is); did you mean `tags`?',
      'excution is not a known field (kept as is); did you mean `execution`?',
    ]);
  });
});

describe('validate says what enqueue-sweep would', () => {
  const cases: [string, (ws: string) => Record<string, unknown>][] = [
    ['a path into a command (command.3)', (ws) =>
      rfPlan(ws, [{ path: 'command.3', values: ['--fast'] }], { command: ['python3', 'train.py', '--epochs', '3'] })],
    ['a typo in the path', (ws) => rfPlan(ws, [{ path: 'model.hyperparamters.n_estimators', values: [10] }])],
    ['an invalid value for one run', (ws) => rfPlan(ws, [{ path: 'device.type', values: ['cpu', 'tpu'] }])],
    ['hyperparameters of another family', (ws) =>
      rfPlan(ws, [{ path: 'model.family', values: ['random_forest', 'mlp'] }, { path: 'model.hyperparameters.n_estimators', values: [5, 10] }])],
    ['a valid plan', (ws) => rfPlan(ws, [{ path: 'model.hyperparameters.n_estimators', values: [5, 10] }])],
  ];

  it.each(cases)('%s: the same verdict and the same first problem', async (_name, make) => {
    const ws = tempWorkspace();
    const file = writePlan(ws, make(ws));
    const validate = await runCli(['validate', file]);
    const enqueue = await runCli(['enqueue-sweep', '--plan', file, '--json']);
    expect(enqueue.code).toBe(validate.code);
    if (validate.code === 0) {
      expect(parseJsonOut(enqueue)).toMatchObject({ runs: 2 });
      return;
    }
    expect(validate.code).toBe(6);
    const more = validate.lines.length - 1;
    const suffix = more > 0 ? ` (and ${more} more problem${more > 1 ? 's' : ''})` : '';
    expect(enqueue.stderr.trim()).toBe(`Error: ${file} is not a valid plan: ${validate.lines[0]}${suffix}`);
    expectNothingWritten(ws);
  });

  it('a plan.json that is not JSON: exit 6 from validate as from enqueue-sweep (docs/cli.md)', async () => {
    const ws = tempWorkspace();
    const file = path.join(ws, 'plan.json');
    writeFileSync(file, '{"version": 1, "kind": "sweep');
    const validate = await runCli(['validate', file]);
    expect(validate).toMatchObject({ code: 6, lines: ['invalid JSON: Unterminated string in JSON at position 29'] });
    expect(validate.stderr.trim()).toBe(`Error: ${file} is not a valid plan (1 problem)`);
    expect((await runCli(['enqueue-sweep', '--plan', file])).code).toBe(6);
  });

  it('type problems read "an array", "an object"', async () => {
    const ws = tempWorkspace();
    const file = path.join(ws, 'request.json');
    writeFileSync(file, JSON.stringify(baseRequest({ tags: 'x', dataset: 'data/train.csv' })));
    const r = await runCli(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.lines.sort()).toEqual(['dataset must be an object (got string)', 'tags must be an array (got string)']);
  });

  it('the shipped example request is valid with nothing to warn about', async () => {
    const r = await runCli(['validate', path.join(REPO_ROOT, 'examples', 'custom-request.json'), '--strict']);
    expect(r).toMatchObject({ code: 0, stdout: 'OK', stderr: '' });
    expect(JSON.parse(readFileSync(path.join(REPO_ROOT, 'examples', 'custom-request.json'), 'utf8'))).toHaveProperty('command');
  });
});
