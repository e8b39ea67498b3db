/**
 * Issue 16, sweeps from the command line: `enqueue-sweep --grid …` / `--random N …` `-- <command…>`
 * and `--dry-run`, through the built CLI (docs/cli.md, docs/your-own-script.md).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliResult, parseJsonOut, runCli } from '../helpers/cli.js';
import { allDone, startDaemon, waitFor } from '../helpers/daemon.js';
import { queueFile, readJson, tempWorkspace } from '../helpers/workspace.js';

/** A program that writes what it received (argv, RUNFORGE_PARAMS) into its run folder. */
const ECHO_SCRIPT = `import json, os, sys
with open(os.path.join(os.environ["RUNFORGE_RUN_DIR"], "seen.json"), "w") as f:
    json.dump({"argv": sys.argv[1:], "params": json.loads(os.environ["RUNFORGE_PARAMS"])}, f)
`;

const runsDir = (ws: string): string => path.join(ws, '.ml', 'runs');
const groupsDir = (ws: string): string => path.join(ws, '.runforge', 'groups');
const requestsOf = (ws: string): Record<string, any>[] =>
  readdirSync(runsDir(ws)).sort().map((id) => readJson(path.join(runsDir(ws), id, 'request.json')));
const GRID = ['--grid', 'lr=0.1,0.01', '--grid', 'bs=32,64'];
const COMMAND = ['--', 'python3', 'echo_args.py', '--lr', '{lr}', '--bs={bs}'];

/** A workspace with the echo script in it. */
function workspace(): string {
  const ws = tempWorkspace();
  writeFileSync(path.join(ws, 'echo_args.py'), ECHO_SCRIPT);
  return ws;
}

function succeeded(r: CliResult): void {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

describe('enqueue-sweep --grid', () => {
  it('queues one run per combination with its command substituted, and writes the plan it made into the group folder', async () => {
    const ws = workspace();
    const r = await runCli(['enqueue-sweep', ...GRID, ...COMMAND], { cwd: ws });
    succeeded(r);
    const [group] = readdirSync(groupsDir(ws));
    const planFile = path.join(groupsDir(ws), group!, 'plan.json');
    expect(r.lines).toEqual([
      expect.stringMatching(/^runforge enqueue-sweep v/),
      `Plan: ${planFile}`,
      `Workspace: ${ws}`,
      'Group: echo_args.py lr×bs',
      'Sweep plan: 4 runs',
      `Group ID: ${group}`,
      `Group directory: ${path.join(groupsDir(ws), group!)}`,
      'Enqueued 4/4 runs',
      `[RF:GROUP=ENQUEUED ${group} runs=4]`,
    ]);
    const requests = requestsOf(ws);
    expect(requests.map((q) => q.command)).toEqual([
      ['python3', 'echo_args.py', '--lr', '0.1', '--bs=32'],
      ['python3', 'echo_args.py', '--lr', '0.1', '--bs=64'],
      ['python3', 'echo_args.py', '--lr', '0.01', '--bs=32'],
      ['python3', 'echo_args.py', '--lr', '0.01', '--bs=64'],
    ]);
    expect(requests[1]).toMatchObject({ cwd: ws, sweep_group_id: group, sweep_params: { 'model.hyperparameters.lr': 0.1, 'model.hyperparameters.bs': 64 } });
    expect(requests[1]!.env.PATH).toBe(process.env.PATH);
    expect(readJson(queueFile(ws)).jobs.map((j: any) => j.group_id)).toEqual([group, group, group, group]);

    const plan = readJson(planFile);
    expect(plan).toMatchObject({
      version: 1,
      kind: 'sweep_plan',
      workspace: ws,
      group: { name: 'echo_args.py lr×bs' },
      base_request: { command: ['python3', 'echo_args.py', '--lr', '{lr}', '--bs={bs}'], cwd: ws },
      strategy: { type: 'grid', parameters: [{ path: 'model.hyperparameters.lr', values: [0.1, 0.01] }, { path: 'model.hyperparameters.bs', values: [32, 64] }] },
      execution: { max_parallel: 2 },
    });
    // The plan re-runs as it is: the same runs again, as a new group.
    const again = await runCli(['enqueue-sweep', '--plan', planFile, '--json'], { cwd: ws });
    succeeded(again);
    const more = parseJsonOut<{ run_ids: string[] }>(again).run_ids.map((id) => readJson(path.join(runsDir(ws), id, 'request.json')).command);
    expect(more).toEqual(requests.map((q) => q.command));
  });

  it('--name, --max-parallel, --priority, --env and --json reach the plan, the requests and the jobs', async () => {
    const ws = workspace();
    const args = ['enqueue-sweep', '--grid', 'opt=adam,"32",true', '--name', 'opts', '--max-parallel', '3', '--priority', '4', '--env', 'MY_VAR=1', '--json'];
    const r = await runCli([...args, '--', 'python3', 'echo_args.py', '{opt}'], { cwd: ws });
    succeeded(r);
    const out = parseJsonOut<{ group_id: string; runs: number; run_ids: string[]; job_ids: string[] }>(r);
    expect(Object.keys(out)).toEqual(['group_id', 'runs', 'run_ids', 'job_ids']);
    expect(out.runs).toBe(3);
    const requests = requestsOf(ws);
    expect(requests.map((q) => q.model.hyperparameters.opt)).toEqual(['adam', '32', true]);
    expect(requests.map((q) => q.command[2])).toEqual(['adam', '32', 'true']);
    expect(requests[0]!.env.MY_VAR).toBe('1');
    expect(readJson(path.join(groupsDir(ws), out.group_id, 'group.json'))).toMatchObject({ name: 'opts', execution: { max_parallel: 3 } });
    expect(readJson(queueFile(ws)).jobs.map((j: any) => j.priority)).toEqual([4, 4, 4]);
  });
});

describe('enqueue-sweep --random', () => {
  const RANDOM = ['--random', '5', '--loguniform', 'lr=1e-5:1e-1', '--int', 'layers=2:6', '--choice', 'opt=adam,sgd', '--uniform', 'dropout=0:0.5'];
  const drawn = async (seedArgs: string[]): Promise<Record<string, unknown>[]> => {
    const ws = workspace();
    const r = await runCli(['enqueue-sweep', ...RANDOM, ...seedArgs, '--', 'python3', 'echo_args.py', '--lr={lr}', '{layers}'], { cwd: ws });
    succeeded(r);
    const requests = requestsOf(ws);
    expect(requests).toHaveLength(5);
    for (const q of requests) {
      const p = q.sweep_params;
      expect(Object.keys(p)).toEqual(['lr', 'layers', 'opt', 'dropout'].map((n) => `model.hyperparameters.${n}`));
      expect(p['model.hyperparameters.lr']).toBeGreaterThanOrEqual(1e-5);
      expect(p['model.hyperparameters.lr']).toBeLessThan(1e-1);
      expect([2, 3, 4, 5, 6]).toContain(p['model.hyperparameters.layers']);
      expect(q.command).toEqual(['python3', 'echo_args.py', `--lr=${JSON.stringify(p['model.hyperparameters.lr'])}`, String(p['model.hyperparameters.layers'])]);
    }
    return requests.map((q) => q.sweep_params);
  };

  it('the same seed draws the same runs, another seed others; no --seed is seed 0', async () => {
    const [a, b, c, unseeded, zero] = [await drawn(['--seed', '7']), await drawn(['--seed', '7']), await drawn(['--seed', '8']), await drawn([]), await drawn(['--seed', '0'])];
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(unseeded).toEqual(zero);
  }, 120_000);

  it('draws the parameters in the order the flags were typed, whatever their kinds', async () => {
    const ws = workspace();
    const r = await runCli(['enqueue-sweep', '--random', '2', '--uniform', 'b=0:1', '--int', 'a=1:3', '--uniform', 'c=0:1', '--', 'python3', 'x.py'], { cwd: ws });
    succeeded(r);
    const [group] = readdirSync(groupsDir(ws));
    const plan = readJson(path.join(groupsDir(ws), group!, 'plan.json'));
    expect(plan.strategy).toMatchObject({ type: 'random', n_trials: 2, seed: 0 });
    expect(plan.strategy.parameters.map((p: any) => p.path)).toEqual(['b', 'a', 'c'].map((n) => `model.hyperparameters.${n}`));
  });
});

describe('enqueue-sweep --dry-run', () => {
  /** What a workspace holds: the run folders, the groups, the queue's text. */
  const snapshot = (ws: string): unknown[] => [
    existsSync(runsDir(ws)) ? readdirSync(runsDir(ws)) : null,
    existsSync(groupsDir(ws)) ? readdirSync(groupsDir(ws)) : null,
    existsSync(queueFile(ws)) ? readFileSync(queueFile(ws), 'utf8') : null,
  ];

  it('lists each run with its values and command (shell-quoted), or as JSON, and writes nothing', async () => {
    const ws = workspace();
    const r = await runCli(['enqueue-sweep', '--dry-run', '--grid', 'lr=0.1,1e-5', '--grid', 'tag=a b,c', '--', 'python3', 'echo_args.py', '--lr', '{lr}', '--tag={tag}'], { cwd: ws });
    succeeded(r);
    expect(r.lines).toEqual([
      "1  lr=0.1 tag=a b  python3 echo_args.py --lr 0.1 '--tag=a b'",
      '2  lr=0.1 tag=c  python3 echo_args.py --lr 0.1 --tag=c',
      "3  lr=0.00001 tag=a b  python3 echo_args.py --lr 0.00001 '--tag=a b'",
      '4  lr=0.00001 tag=c  python3 echo_args.py --lr 0.00001 --tag=c',
    ]);
    const j = await runCli(['enqueue-sweep', '--dry-run', '--json', '--grid', 'lr=0.1,1e-5', '--', 'python3', 'echo_args.py', '{lr}'], { cwd: ws });
    succeeded(j);
    expect(parseJsonOut(j)).toEqual([
      { index: 1, params: { 'model.hyperparameters.lr': 0.1 }, command: ['python3', 'echo_args.py', '0.1'] },
      { index: 2, params: { 'model.hyperparameters.lr': 1e-5 }, command: ['python3', 'echo_args.py', '0.00001'] },
    ]);
    expect(readdirSync(ws)).toEqual(['echo_args.py']);
  });

  it('also for --plan: the plan\'s runs listed, the queue and the folders unchanged', async () => {
    const ws = workspace();
    succeeded(await runCli(['enqueue-sweep', '--grid', 'lr=1,2', '--', 'python3', 'echo_args.py', '{lr}'], { cwd: ws }));
    const [group] = readdirSync(groupsDir(ws));
    const before = snapshot(ws);
    const r = await runCli(['enqueue-sweep', '--plan', path.join(groupsDir(ws), group!, 'plan.json'), '--dry-run'], { cwd: ws });
    succeeded(r);
    expect(r.lines).toEqual(['1  lr=1  python3 echo_args.py 1', '2  lr=2  python3 echo_args.py 2']);
    expect(snapshot(ws)).toEqual(before);
  });
});

describe('enqueue-sweep from flags refuses bad input in one line, exit 2, nothing written', () => {
  it.each([
    ['an unknown placeholder', ['--grid', 'lr=0.1', '--', 'python3', 't.py', '--lr', '{lrr}'],
      "the command's '{lrr}' has an unknown placeholder {lrr}: the sweep sets model.hyperparameters.lr; did you mean `{lr}`?"],
    ['loguniform from 0', ['--random', '3', '--loguniform', 'lr=0:1', '--', 'python3', 't.py'],
      '--loguniform \'lr=0:1\': low must be > 0 for a "loguniform" distribution (got 0)'],
    ['int bounds reversed', ['--random', '3', '--int', 'layers=6:2', '--', 'python3', 't.py'],
      "--int 'layers=6:2': low must be less than high (got low 6, high 2)"],
    ['a distribution without --random', ['--uniform', 'x=0:1', '--', 'python3', 't.py'], '--uniform needs --random N (how many runs to draw)'],
    ['--grid and --random together', ['--grid', 'a=1,2', '--random', '3', '--', 'python3', 't.py'],
      '--grid and --random cannot be used together: a grid runs every combination, --random draws N runs'],
    ['--plan with a command', ['--plan', 'plan.json', '--', 'python3', 't.py'],
      "--plan and a command after '--' cannot be used together: the plan's base_request has the command"],
    ['--plan with --grid', ['--plan', 'plan.json', '--grid', 'a=1'], '--plan and --grid cannot be used together: the plan says what to sweep'],
    ['no --', ['--grid', 'lr=0.1', 'python3', 't.py'],
      "Put the command after '--' (got 'python3' before it): runforge enqueue-sweep (--grid NAME=V1,V2… | --random N --uniform NAME=LOW:HIGH…) [options] -- <command…>"],
    ['nothing at all', [], 'Give a plan (--plan P) or a command to sweep: runforge enqueue-sweep (--grid NAME=V1,V2… | --random N --uniform NAME=LOW:HIGH…) [options] -- <command…>'],
    ['a dotted name', ['--grid', 'model.family=a', '--', 'python3', 't.py'],
      "--grid needs NAME=V1,V2,…, NAME a name such as lr or batch_size (got 'model.family=a')"],
    ['--random 0', ['--random', '0', '--int', 'n=1:2', '--', 'python3', 't.py'], '--random must be >= 1 (got 0)'],
    ['--env with --no-env', ['--grid', 'a=1', '--env', 'A=1', '--no-env', '--', 'python3', 't.py'], '--env and --no-env cannot be used together'],
  ])('%s', async (_what, args, message) => {
    const ws = workspace();
    // A queue with a job in it already: it must be left exactly as it is.
    succeeded(await runCli(['add', '--', 'python3', 'other.py'], { cwd: ws }));
    const queue = readFileSync(queueFile(ws), 'utf8');
    const runs = readdirSync(runsDir(ws));
    const r = await runCli(['enqueue-sweep', ...args], { cwd: ws });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`Error: ${message}`);
    expect(readFileSync(queueFile(ws), 'utf8')).toBe(queue);
    expect(readdirSync(runsDir(ws))).toEqual(runs);
    expect(existsSync(groupsDir(ws))).toBe(false);
  });
});

describe('a sweep from flags under the daemon', () => {
  it('each run gets its substituted argv and RUNFORGE_PARAMS', async () => {
    const ws = workspace();
    succeeded(await runCli(['enqueue-sweep', '--grid', 'lr=0.1,0.01', '--grid', 'opt=adam', ...COMMAND.slice(0, 3), '--lr', '{lr}', '--opt={opt}'], { cwd: ws }));
    const d = startDaemon(ws);
    const jobs = await waitFor('both runs done', allDone(ws, 2), 90_000);
    d.kill();
    expect(jobs.map((j: any) => j.state)).toEqual(['succeeded', 'succeeded']);
    const seen = readdirSync(runsDir(ws)).sort().map((id) => readJson(path.join(runsDir(ws), id, 'seen.json')));
    expect(seen).toEqual([0.1, 0.01].map((lr) => ({
      argv: ['--lr', String(lr), '--opt=adam'],
      params: {
        swept: { 'model.hyperparameters.lr': lr, 'model.hyperparameters.opt': 'adam' },
        hyperparameters: { lr, opt: 'adam' },
      },
    })));
  }, 150_000);
});
