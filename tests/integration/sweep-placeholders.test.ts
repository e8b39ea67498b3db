/**
 * Issue 16, "## Plans": placeholders in a sweep's command, RUNFORGE_PARAMS, and the `random`
 * strategy, through the built CLI (validate, enqueue-sweep, the daemon, `runforge sweep`).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { allDone, startDaemon, waitFor } from '../helpers/daemon.js';
import { baseRequest, queueFile, readJson, samplePlan, tempWorkspace, writePlan, writeRun } from '../helpers/workspace.js';

/** A program that writes what it received (argv, RUNFORGE_PARAMS) into its run folder. */
const ECHO_SCRIPT = `import json, os, sys
with open(os.path.join(os.environ["RUNFORGE_RUN_DIR"], "seen.json"), "w") as f:
    json.dump({"argv": sys.argv[1:], "params": json.loads(os.environ["RUNFORGE_PARAMS"])}, f)
`;

function commandPlan(ws: string, command: string[], strategy: Record<string, unknown>): Record<string, unknown> {
  writeFileSync(path.join(ws, 'echo_args.py'), ECHO_SCRIPT);
  const request = baseRequest({ command, model: { hyperparameters: { epochs: 2 } } });
  return samplePlan(ws, { base_request: request, strategy, execution: { max_parallel: 2, fail_fast: false, stop_on_cancel: true } });
}

const runsDir = (ws: string): string => path.join(ws, '.ml', 'runs');
const requestsOf = (ws: string): Record<string, any>[] =>
  readdirSync(runsDir(ws)).sort().map((id) => readJson(path.join(runsDir(ws), id, 'request.json')));

/** `validate` and `enqueue-sweep` both refuse the plan with this one problem, exit 6, and write nothing. */
async function expectRefused(ws: string, file: string, problem: string): Promise<void> {
    const v = await runCli(['validate', file], { cwd: ws });
    expect(v.code).toBe(6);
    expect(v.lines).toEqual([problem]);
    const r = await runCli(['enqueue-sweep', '--plan', file], { cwd: ws });
    expect(r.code).toBe(6);
    expect(r.stderr.trim()).toBe(`Error: ${file} is not a valid plan: ${problem}`);
    expect(existsSync(path.join(ws, '.ml'))).toBe(false);
    expect(existsSync(path.join(ws, '.runforge'))).toBe(false);
}

describe('placeholders in a sweep command', () => {
  it('each run of a direct sweep gets its substituted command and RUNFORGE_PARAMS', async () => {
    const ws = tempWorkspace();
    const plan = commandPlan(ws, ['python3', 'echo_args.py', '--lr', '{lr}', '--opt={model.hyperparameters.opt}', '{{x}}'], {
      type: 'grid',
      parameters: [
        { path: 'model.hyperparameters.lr', values: [0.1, 1e-5] },
        { path: 'model.hyperparameters.opt', values: ['adam'] },
      ],
    });
    const r = await runCli(['sweep', '--plan', writePlan(ws, plan)], { cwd: ws });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ids = readdirSync(runsDir(ws)).sort();
    expect(ids).toHaveLength(2);
    const expected = [
      { lr: 0.1, text: '0.1' },
      { lr: 1e-5, text: '0.00001' },
    ];
    ids.forEach((id, i) => {
      const { lr, text } = expected[i]!;
      const request = readJson(path.join(runsDir(ws), id, 'request.json'));
      expect(request.command).toEqual(['python3', 'echo_args.py', '--lr', text, '--opt=adam', '{x}']);
      expect(request.sweep_params).toEqual({ 'model.hyperparameters.lr': lr, 'model.hyperparameters.opt': 'adam' });
      const seen = readJson(path.join(runsDir(ws), id, 'seen.json'));
      expect(seen).toEqual({
        argv: ['--lr', text, '--opt=adam', '{x}'],
        params: {
          swept: { 'model.hyperparameters.lr': lr, 'model.hyperparameters.opt': 'adam' },
          hyperparameters: { epochs: 2, lr, opt: 'adam' },
        },
      });
    });
  }, 120_000);

  it('a daemon runs enqueued runs with their commands; a single run outside a sweep gets RUNFORGE_PARAMS too', async () => {
    const ws = tempWorkspace();
    const plan = commandPlan(ws, ['sh', '-c', 'printf "%s %s" "$0" "$RUNFORGE_PARAMS" > "$RUNFORGE_RUN_DIR/seen.txt"', 'seed={seed}'], {
      type: 'list',
      parameters: [{ path: 'seed', values: [3, 4] }],
    });
    const r = await runCli(['enqueue-sweep', '--plan', writePlan(ws, plan)], { cwd: ws });
    expect(r.code).toBe(0);
    // A run outside a sweep: its braces are its own (no substitution), nothing swept.
    writeRun(ws, 'zz-single', baseRequest({ command: ['sh', '-c', 'printf "%s %s" "$0" "$RUNFORGE_PARAMS" > "$RUNFORGE_RUN_DIR/seen.txt"', '{seed}'] }));
    expect((await runCli(['enqueue-run', '--run-id', 'zz-single'], { cwd: ws })).code).toBe(0);
    const d = startDaemon(ws);
    const jobs = await waitFor('all runs done', allDone(ws, 3), 90_000);
    d.kill();
    expect(jobs.map((j: any) => j.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const seen = readdirSync(runsDir(ws)).sort().map((id) => readFileSync(path.join(runsDir(ws), id, 'seen.txt'), 'utf8'));
    expect(seen).toEqual([
      `seed=3 ${JSON.stringify({ swept: { seed: 3 }, hyperparameters: { epochs: 2 } })}`,
      `seed=4 ${JSON.stringify({ swept: { seed: 4 }, hyperparameters: { epochs: 2 } })}`,
      `{seed} ${JSON.stringify({ swept: {}, hyperparameters: {} })}`,
    ]);
  }, 150_000);

  it.each([
    ['an unknown placeholder', ['python3', 'echo_args.py', '--lr', '{lrr}'], [{ path: 'model.hyperparameters.lr', values: [0.1] }],
      'base_request.command[3] has an unknown placeholder {lrr}: the sweep sets model.hyperparameters.lr; did you mean `{lr}`?'],
    ['an ambiguous placeholder', ['python3', 'echo_args.py', '{lr}'], [
      { path: 'model.hyperparameters.lr', values: [0.1] },
      { path: 'model.hyperparameters.head.lr', values: [0.2] },
    ], 'base_request.command[2] has an ambiguous placeholder {lr}: it ends 2 swept paths (model.hyperparameters.lr, model.hyperparameters.head.lr); write the full path, e.g. {model.hyperparameters.lr}'],
  ])('%s: validate and enqueue-sweep refuse it in one line, exit 6, nothing written', async (_what, command, parameters, problem) => {
    const ws = tempWorkspace();
    const file = writePlan(ws, commandPlan(ws, command, { type: 'grid', parameters }));
    await expectRefused(ws, file, problem);
  });
});

describe('the random strategy', () => {
  const random = (seed: number): Record<string, unknown> => ({
    type: 'random',
    n_trials: 6,
    seed,
    parameters: [
      { path: 'model.hyperparameters.lr', distribution: 'loguniform', low: 1e-5, high: 1e-1 },
      { path: 'model.hyperparameters.dropout', distribution: 'uniform', low: 0, high: 0.5 },
      { path: 'model.hyperparameters.opt', distribution: 'choice', values: ['adam', 'sgd'] },
      { path: 'model.hyperparameters.layers', distribution: 'int', low: 2, high: 6 },
    ],
  });
  const enqueue = async (seed: number): Promise<Record<string, any>[]> => {
    const ws = tempWorkspace();
    const plan = commandPlan(ws, ['python3', 'echo_args.py', '--lr={lr}', '--layers', '{layers}', '--opt', '{opt}'], random(seed));
    const r = await runCli(['enqueue-sweep', '--plan', writePlan(ws, plan)], { cwd: ws });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.lines).toContain('Sweep plan: 6 runs');
    expect(readJson(queueFile(ws)).jobs).toHaveLength(6);
    return requestsOf(ws);
  };

  it('the same seed enqueues the same runs; another seed other runs', async () => {
    const [a, b, c] = [await enqueue(7), await enqueue(7), await enqueue(8)];
    const drawn = (reqs: Record<string, any>[]) => reqs.map((q) => ({ params: q.sweep_params, command: q.command, hp: q.model.hyperparameters }));
    expect(drawn(a)).toEqual(drawn(b));
    expect(drawn(a)).not.toEqual(drawn(c));
    for (const q of a) {
      const p = q.sweep_params;
      expect(p['model.hyperparameters.lr']).toBeGreaterThanOrEqual(1e-5);
      expect(p['model.hyperparameters.lr']).toBeLessThan(1e-1);
      expect([2, 3, 4, 5, 6]).toContain(p['model.hyperparameters.layers']);
      expect(q.command).toEqual([
        'python3', 'echo_args.py', `--lr=${JSON.stringify(p['model.hyperparameters.lr'])}`,
        '--layers', String(p['model.hyperparameters.layers']), '--opt', p['model.hyperparameters.opt'],
      ]);
      expect(q.model.hyperparameters).toMatchObject({ epochs: 2, opt: p['model.hyperparameters.opt'] });
    }
  }, 120_000);

  it.each([
    ['low ≥ high', { path: 'model.hyperparameters.dropout', distribution: 'uniform', low: 0.5, high: 0.5 },
      'strategy.parameters[0].low must be less than high (got low 0.5, high 0.5)'],
    ['loguniform from 0', { path: 'model.hyperparameters.lr', distribution: 'loguniform', low: 0, high: 1 },
      'strategy.parameters[0].low must be > 0 for a "loguniform" distribution (got 0)'],
    ['int on a fraction', { path: 'model.hyperparameters.layers', distribution: 'int', low: 1.5, high: 4 },
      'strategy.parameters[0].low must be an integer for an "int" distribution (got 1.5)'],
    ['an empty choice', { path: 'model.hyperparameters.opt', distribution: 'choice', values: [] },
      'strategy.parameters[0].values must have at least one value'],
  ])('bad bounds (%s): one line naming the field, exit 6, nothing written', async (_what, parameter, problem) => {
    const ws = tempWorkspace();
    const file = writePlan(ws, commandPlan(ws, ['python3', 'echo_args.py'], { type: 'random', n_trials: 3, seed: 1, parameters: [parameter] }));
    await expectRefused(ws, file, problem);
  });

  it('more than 100,000 trials is refused before anything is drawn or written', async () => {
    const ws = tempWorkspace();
    const strategy = { ...random(1), n_trials: 100_001 };
    const file = writePlan(ws, commandPlan(ws, ['python3', 'echo_args.py'], strategy));
    const r = await runCli(['enqueue-sweep', '--plan', file], { cwd: ws });
    expect(r.code).toBe(6);
    expect(r.stderr.trim()).toBe(`Error: ${file} is not a valid plan: strategy.n_trials asks for 100001 runs; at most 100000 are allowed`);
    expect(existsSync(path.join(ws, '.runforge'))).toBe(false);
  });
});
