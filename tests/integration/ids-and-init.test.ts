/**
 * `runforge init` and ids as users type them (issue 14): any unique prefix, `latest`, an ambiguous
 * prefix refused with its candidates, short ids in listings and full ones in --json.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startUi } from '../helpers/browser.js';
import { parseJsonOut, runCli } from '../helpers/cli.js';
import { groupFile, queueFile, readJson, samplePlan, tempWorkspace, writePlan, writeRun } from '../helpers/workspace.js';

const INIT_FILES = ['data/iris.csv', 'data/README.txt', '.ml/runs/example/request.json', 'plan.json', '.runforge/config.json', 'RUNFORGE.md'];

describe('runforge init', () => {
  it('scaffolds data, an example request and plan that validate, and the config', async () => {
    const ws = path.join(tempWorkspace(), 'new-ws');
    const r = await runCli(['init', '--workspace', ws]);
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([
      `Workspace: ${ws}`,
      ...INIT_FILES.map((f) => `  created ${f}`),
      'Next: runforge validate plan.json, then runforge daemon and runforge enqueue-sweep --plan plan.json (see RUNFORGE.md)',
    ]);
    const csv = readFileSync(path.join(ws, 'data/iris.csv'), 'utf8').trimEnd().split('\n');
    expect(csv[0]).toBe('sepal_length,sepal_width,petal_length,petal_width,species');
    expect(csv).toHaveLength(151);
    expect(csv[150]).toBe('5.9,3.0,5.1,1.8,virginica');
    expect(readJson(path.join(ws, '.runforge/config.json'))).toEqual({});
    expect(readJson(path.join(ws, 'plan.json')).workspace).toBe(ws);

    for (const file of ['plan.json', '.ml/runs/example/request.json']) {
      const v = await runCli(['validate', path.join(ws, file)]);
      expect({ file, code: v.code, stdout: v.stdout, stderr: v.stderr }).toEqual({ file, code: 0, stdout: 'OK', stderr: '' });
    }
    // The example plan is one a sweep accepts as it is.
    const e = await runCli(['enqueue-sweep', '--plan', path.join(ws, 'plan.json'), '--json']);
    expect(e.code).toBe(0);
    expect(parseJsonOut<{ runs: number }>(e).runs).toBe(4);
  });

  it('is idempotent: a second run keeps every file, byte for byte, and says so', async () => {
    const ws = tempWorkspace();
    expect((await runCli(['init'], { cwd: ws })).code).toBe(0);
    writeFileSync(path.join(ws, 'plan.json'), '{"mine": true}\n');
    const before = INIT_FILES.map((f) => [f, readFileSync(path.join(ws, f), 'utf8'), statSync(path.join(ws, f)).mtimeMs]);
    const r = await runCli(['init', '--json'], { cwd: ws });
    expect(r.code).toBe(0);
    expect(parseJsonOut(r)).toEqual({ workspace: ws, created: [], kept: INIT_FILES });
    const text = await runCli(['init'], { cwd: ws });
    expect(text.lines.at(-1)).toBe('Nothing to do: every file is already there.');
    expect(text.lines).toContain('  kept plan.json (exists; not changed)');
    expect(INIT_FILES.map((f) => [f, readFileSync(path.join(ws, f), 'utf8'), statSync(path.join(ws, f)).mtimeMs])).toEqual(before);
  });

  it('refuses a path that is a file', async () => {
    const ws = tempWorkspace();
    const file = path.join(ws, 'not-a-folder');
    writeFileSync(file, 'x');
    const r = await runCli(['init', '--workspace', file]);
    expect([r.code, r.stdout, r.stderr]).toEqual([2, '', `Error: ${file} is a file, not a folder; pass --workspace with a folder`]);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });
});

/** Two sweeps of two runs each (the second created later), and a named run; ids from --json. */
async function twoSweeps(ws: string): Promise<{ g1: string; g2: string; runs1: string[]; runs2: string[] }> {
  const plan = writePlan(ws, samplePlan(ws, { strategy: { type: 'grid', parameters: [{ path: 'model.hyperparameters.C', values: [1, 2] }] } }));
  const a = parseJsonOut<{ group_id: string; run_ids: string[] }>(await runCli(['enqueue-sweep', '--plan', plan, '--json'], { cwd: ws }));
  const b = parseJsonOut<{ group_id: string; run_ids: string[] }>(await runCli(['enqueue-sweep', '--plan', plan, '--json'], { cwd: ws }));
  return { g1: a.group_id, g2: b.group_id, runs1: a.run_ids, runs2: b.run_ids };
}

/** The shortest prefix telling `id` from `other` (both generated, same length). */
const distinct = (id: string, other: string): string => {
  let i = 0;
  while (id[i] === other[i]) i++;
  return id.slice(0, i + 1);
};
const common = (a: string, b: string): string => a.slice(0, distinct(a, b).length - 1);

describe('ids: unique prefixes and latest', () => {
  it('every command family takes a unique prefix of a group id', async () => {
    const ws = tempWorkspace();
    const { g1, g2 } = await twoSweeps(ws);
    const p1 = distinct(g1, g2);
    const pause = await runCli(['pause-group', '--group-id', p1], { cwd: ws });
    expect(pause.lines).toEqual([`[RF:GROUP=PAUSED ${g1}]`, `Paused group ${g1}`]);
    expect(readJson(groupFile(ws, g1)).paused).toBe(true);
    expect((await runCli(['resume-group', '--group-id', p1], { cwd: ws })).lines).toEqual([`[RF:GROUP=RESUMED ${g1}]`, `Resumed group ${g1}`]);
    const show = await runCli(['groups', 'show', p1, '--json'], { cwd: ws });
    expect(parseJsonOut<any>(show).group.group_id).toBe(g1);
    const hist = parseJsonOut<{ runs: { group_id: string }[] }>(await runCli(['history', '--group', p1, '--json'], { cwd: ws }));
    expect(hist.runs.map((r) => r.group_id)).toEqual([g1, g1]);
    expect((await runCli(['retry-failed', '--group-id', p1], { cwd: ws })).lines).toEqual([`No failed runs to retry in group ${g1}`]);
    const cancel = await runCli(['cancel-group', '--group-id', p1, '--json'], { cwd: ws });
    expect(parseJsonOut<any>(cancel)).toMatchObject({ group_id: g1, status: 'canceled' });
    expect(readJson(groupFile(ws, g2)).status).toBe('running');
  });

  it('run ids: a prefix for logs, cancel-run, enqueue-run; a short sweep run id; --job-id prefix', async () => {
    const ws = tempWorkspace();
    writeRun(ws, 'baseline-lr');
    writeFileSync(path.join(ws, '.ml/runs/baseline-lr/logs.txt'), '[2026-02-01 10:00:00] hello\n');
    expect((await runCli(['logs', 'base'], { cwd: ws })).stdout).toBe('[2026-02-01 10:00:00] hello');
    const enq = await runCli(['enqueue-run', '--run-id', 'basel', '--json'], { cwd: ws });
    expect(enq.code).toBe(0);
    const job = parseJsonOut<{ job: { job_id: string; run_id: string } }>(enq).job;
    expect(job.run_id).toBe('baseline-lr');
    const c = await runCli(['cancel-run', '--job-id', job.job_id.slice(0, 22), '--json'], { cwd: ws });
    expect(parseJsonOut(c)).toEqual({ job_id: job.job_id, run_id: 'baseline-lr', outcome: 'canceled' });

    const { g1, g2, runs1 } = await twoSweeps(ws);
    // `<group prefix>-run-NNN`: what listings show for a sweep run.
    const short = `${distinct(g1, g2)}-run-002`;
    const cr = await runCli(['cancel-run', '--run-id', short], { cwd: ws });
    expect(cr.lines).toEqual([expect.stringMatching(new RegExp(`^Canceled job job_\\S+ of run ${runs1[1]}$`))]);
  });

  it('latest names the newest group and the newest run', async () => {
    const ws = tempWorkspace();
    const { g2, runs2 } = await twoSweeps(ws);
    expect((await runCli(['pause-group', '--group-id', 'latest'], { cwd: ws })).lines).toEqual([`[RF:GROUP=PAUSED ${g2}]`, `Paused group ${g2}`]);
    expect(parseJsonOut<any>(await runCli(['groups', 'show', 'latest', '--json'], { cwd: ws })).group.group_id).toBe(g2);
    const c = parseJsonOut<{ run_id: string }>(await runCli(['cancel-run', '--run-id', 'latest', '--json'], { cwd: ws }));
    expect(c.run_id).toBe(runs2[1]);
  });

  it('an ambiguous prefix is refused with exit 2, the candidates on one line, and nothing changed', async () => {
    const ws = tempWorkspace();
    const { g1, g2, runs1, runs2 } = await twoSweeps(ws);
    const queueBefore = readFileSync(queueFile(ws), 'utf8');
    const groupsBefore = [g1, g2].map((g) => readFileSync(groupFile(ws, g), 'utf8'));
    const prefix = common(g1, g2);
    const [first, second] = [g1, g2].sort();
    for (const args of [
      ['pause-group', '--group-id', prefix],
      ['cancel-group', '--group-id', prefix],
      ['groups', 'show', prefix],
      ['history', '--group', prefix],
    ]) {
      const r = await runCli(args, { cwd: ws });
      expect({ args, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
        args,
        code: 2,
        stdout: '',
        stderr: `Error: group id '${prefix}' is ambiguous: ${first}, ${second}`,
      });
    }
    const runs = [...runs1, ...runs2].sort();
    const r = await runCli(['cancel-run', '--run-id', prefix], { cwd: ws });
    expect([r.code, r.stderr]).toEqual([2, `Error: run id '${prefix}' is ambiguous: ${runs.slice(0, 3).join(', ')} (1 more)`]);
    expect(readFileSync(queueFile(ws), 'utf8')).toBe(queueBefore);
    expect([g1, g2].map((g) => readFileSync(groupFile(ws, g), 'utf8'))).toEqual(groupsBefore);
    // Unknown ids keep their message.
    const u = await runCli(['pause-group', '--group-id', 'grp_nope'], { cwd: ws });
    expect([u.code, u.stderr]).toEqual([3, 'Error: Group not found: grp_nope']);
  });

  it('an exact id wins over a longer id it is a prefix of', async () => {
    const ws = tempWorkspace();
    writeRun(ws, 'exp');
    writeRun(ws, 'exp-2');
    const r = parseJsonOut<{ job: { run_id: string } }>(await runCli(['enqueue-run', '--run-id', 'exp', '--json'], { cwd: ws }));
    expect(r.job.run_id).toBe('exp');
    expect(existsSync(path.join(ws, '.ml/runs/exp-2'))).toBe(true);
  });

  it('listings show short ids that work as ids; --json keeps full ids', async () => {
    const ws = tempWorkspace();
    const { g1, g2, runs1 } = await twoSweeps(ws);
    const s1 = distinct(g1, g2);
    const s2 = distinct(g2, g1);
    const groups = await runCli(['groups'], { cwd: ws });
    expect(groups.lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([s1, s2]);
    expect(groups.stdout).not.toContain(g1);
    const status = await runCli(['queue-status'], { cwd: ws });
    expect(status.lines.filter((l) => l.startsWith('  grp_')).map((l) => l.trim().split(/\s+/)[0])).toEqual([s1, s2]);
    const history = await runCli(['history', '--group', s1], { cwd: ws });
    expect(history.lines.slice(1).map((l) => l.split(/\s+/)[0]).sort()).toEqual([`${s1}-run-001`, `${s1}-run-002`]);
    const watch = await runCli(['watch', '--once'], { cwd: ws });
    expect(watch.lines.filter((l) => l.startsWith('  grp_')).map((l) => l.trim().split(/\s+/)[0])).toEqual([s1, s2]);
    // The short form names the run.
    const logs = await runCli(['cancel-run', '--run-id', `${s1}-run-001`, '--json'], { cwd: ws });
    expect(parseJsonOut<{ run_id: string }>(logs).run_id).toBe(runs1[0]);

    expect(parseJsonOut<any>(await runCli(['groups', '--json'], { cwd: ws })).groups.map((g: any) => g.group_id)).toEqual([g1, g2]);
    const hj = parseJsonOut<any>(await runCli(['history', '--json'], { cwd: ws }));
    expect(hj.runs.map((r: any) => r.run_id).sort()).toEqual([...runs1, `${g2}-run-001`, `${g2}-run-002`].sort());
    expect(parseJsonOut<any>(await runCli(['queue-status', '--json'], { cwd: ws })).groups.map((g: any) => g.group_id)).toEqual([g1, g2]);
  });

  it('the dashboard API takes prefixes and latest in its group and run routes; ambiguous is a 400', async () => {
    const ws = tempWorkspace();
    const { g1, g2, runs2 } = await twoSweeps(ws);
    const ui = await startUi(ws);
    const get = async (route: string): Promise<{ status: number; body: any }> => {
      const r = await fetch(`${ui.base}${route}`);
      return { status: r.status, body: await r.json() };
    };
    expect((await get(`/api/groups/${distinct(g1, g2)}`)).body.group.group_id).toBe(g1);
    expect((await get('/api/groups/latest')).body.group.group_id).toBe(g2);
    expect((await get('/api/runs/latest')).body.run_id).toBe(runs2[1]);
    expect((await get(`/api/runs/${distinct(g2, g1)}-run-001`)).body.run_id).toBe(runs2[0]);
    const runs = await get(`/api/runs?group=${distinct(g2, g1)}`);
    expect(runs.body.runs.map((r: any) => r.run_id).sort()).toEqual(runs2);
    const [first, second] = [g1, g2].sort();
    expect(await get(`/api/groups/${common(g1, g2)}`)).toEqual({
      status: 400,
      body: { error: `group id '${common(g1, g2)}' is ambiguous: ${first}, ${second}` },
    });
    const pause = await fetch(`${ui.base}/api/groups/latest/pause`, { method: 'POST', headers: { 'x-runforge-token': ui.token } });
    expect(await pause.json()).toEqual({ group_id: g2, paused: true });
    expect(readJson(groupFile(ws, g2)).paused).toBe(true);
    ui.proc.kill();
  });
});
