import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonOut, runCli } from '../helpers/cli.js';
import { baseRequest, groupFile, queueFile, readJson, samplePlan, tempWorkspace, writePlan, writeRun } from '../helpers/workspace.js';

describe('enqueue-sweep', () => {
  it('queues every run of a grid as one group with run folders, plan copy and group record', async () => {
    const ws = tempWorkspace();
    const plan = samplePlan(ws, {
      strategy: {
        type: 'grid',
        parameters: [
          { path: 'model.hyperparameters.C', values: [0.1, 1] },
          { path: 'device.type', values: ['cpu', 'gpu'] },
        ],
      },
      extra_field: 'kept',
    });
    const r = await runCli(['enqueue-sweep', '--plan', writePlan(ws, plan)], { cwd: ws });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const token = /^\[RF:GROUP=ENQUEUED (grp_\d{8}_\d{6}_[0-9a-f]{12}) runs=4\]$/.exec(r.lines.at(-1)!);
    expect(token).not.toBeNull();
    const gid = token![1]!;
    // The original's lines, in its order.
    expect(r.lines).toEqual([
      'runforge enqueue-sweep v0.6.0',
      `Plan: ${path.join(ws, 'plan.json')}`,
      `Workspace: ${ws}`,
      'Group: lr sweep',
      'Sweep plan: 4 runs',
      `Group ID: ${gid}`,
      `Group directory: ${path.join(ws, '.runforge', 'groups', gid)}`,
      'Enqueued 4/4 runs (2 GPU)',
      `[RF:GROUP=ENQUEUED ${gid} runs=4]`,
    ]);

    const queue = readJson(queueFile(ws));
    expect(queue).toMatchObject({ version: 1, kind: 'execution_queue', max_parallel: 2, gpu_slots: 1, last_served_group: null });
    expect(queue.jobs).toHaveLength(4);
    expect(queue.jobs.map((j: any) => j.requires_gpu)).toEqual([false, true, false, true]);
    for (const j of queue.jobs) {
      expect(j).toMatchObject({ kind: 'run', group_id: gid, priority: 0, state: 'queued', attempt: 1, started_at: null });
      expect(j.job_id).toMatch(/^job_\d{8}_\d{6}_[0-9a-f]{12}$/);
      const request = readJson(path.join(ws, '.ml', 'runs', j.run_id, 'request.json'));
      expect(request.sweep_group_id).toBe(gid);
      expect(request.created_by).toBe('runforge@0.6.0');
      expect(request.device.type).toBe(j.requires_gpu ? 'gpu' : 'cpu');
    }
    expect(new Set(queue.jobs.map((j: any) => j.job_id)).size).toBe(4);

    const group = readJson(groupFile(ws, gid));
    expect(group).toMatchObject({
      version: 1,
      kind: 'run_group',
      group_id: gid,
      name: 'lr sweep',
      notes: 'test',
      plan_ref: 'plan.json',
      status: 'running',
      paused: false,
      execution: { max_parallel: 2, cancelled: false, finished_at: null },
      summary: { total: 4, succeeded: 0, failed: 0, canceled: 0, best_run_id: null },
    });
    expect(group.runs.map((run: any) => run.status)).toEqual(['queued', 'queued', 'queued', 'queued']);
    expect(group.runs[1].request_overrides).toEqual({ 'model.hyperparameters.C': 0.1, 'device.type': 'gpu' });

    const planCopy = readJson(path.join(ws, '.runforge', 'groups', gid, 'plan.json'));
    expect(planCopy.extra_field).toBe('kept');
    expect(planCopy.workspace).toBe(ws);
  });

  it('--workspace overrides the plan workspace for every file', async () => {
    const ws = tempWorkspace();
    const elsewhere = tempWorkspace();
    const planPath = writePlan(elsewhere, samplePlan('/does/not/exist'));
    const r = await runCli(['enqueue-sweep', '--plan', planPath, '--workspace', ws, '--json']);
    expect(r.code).toBe(0);
    const out = parseJsonOut<{ group_id: string; runs: number }>(r);
    expect(out.runs).toBe(3);
    expect(readJson(path.join(ws, '.runforge', 'groups', out.group_id, 'plan.json')).workspace).toBe(ws);
    expect(existsSync(path.join(elsewhere, '.runforge'))).toBe(false);
  });

  it('sweep --plan --enqueue does the same as enqueue-sweep', async () => {
    const ws = tempWorkspace();
    const r = await runCli(['sweep', '--plan', writePlan(ws), '--enqueue'], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.lines.at(-1)).toMatch(/^\[RF:GROUP=ENQUEUED grp_\S+ runs=3\]$/);
    expect(readJson(queueFile(ws)).jobs).toHaveLength(3);
  });

  it('two sweeps started in the same second get distinct group and run ids', async () => {
    const ws = tempWorkspace();
    const planPath = writePlan(ws);
    const [a, b] = await Promise.all([
      runCli(['enqueue-sweep', '--plan', planPath, '--json']),
      runCli(['enqueue-sweep', '--plan', planPath, '--json']),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const runs = readJson(queueFile(ws)).jobs.map((j: any) => j.run_id);
    expect(runs).toHaveLength(6);
    expect(new Set(runs).size).toBe(6);
    expect(readdirSync(path.join(ws, '.ml', 'runs'))).toHaveLength(6);
  });

  it.each([
    ['a plan that is not JSON', '{"version": 1,', 6, /plan\.json is not a valid plan: invalid JSON/],
    ['a plan of the wrong kind', JSON.stringify({ version: 1, kind: 'execution_queue' }), 6, /is not a valid plan: kind must be "sweep_plan" \(and \d+ more problems\)$/],
    ['an empty file', '', 6, /is not a valid plan: file is empty$/],
  ])('rejects %s and changes nothing', async (_name, text, code, message) => {
    const ws = tempWorkspace();
    const planPath = path.join(ws, 'plan.json');
    writeFileSync(planPath, text);
    const r = await runCli(['enqueue-sweep', '--plan', planPath], { cwd: ws });
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
    expect(existsSync(path.join(ws, '.runforge'))).toBe(false);
  });

  it('rejects a list strategy with unequal lengths (exit 6) naming the field', async () => {
    const ws = tempWorkspace();
    const plan = samplePlan(ws, {
      strategy: { type: 'list', parameters: [{ path: 'a', values: [1, 2] }, { path: 'b', values: [1] }] },
    });
    const r = await runCli(['enqueue-sweep', '--plan', writePlan(ws, plan)], { cwd: ws });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('strategy.parameters[1].values must have 2 values');
    expect(existsSync(path.join(ws, '.runforge'))).toBe(false);
  });

  it('rejects an override that breaks the request (exit 6) and writes nothing', async () => {
    const ws = tempWorkspace();
    const plan = samplePlan(ws, { strategy: { type: 'grid', parameters: [{ path: 'device.type', values: ['cpu', 'tpu'] }] } });
    const file = writePlan(ws, plan);
    const r = await runCli(['enqueue-sweep', '--plan', file], { cwd: ws });
    expect(r.code).toBe(6);
    // Named like every other problem of the plan (and as `validate` lists it), since issue 14.
    expect(r.stderr.trim()).toBe(
      `Error: ${file} is not a valid plan: run 2 of the sweep ({"device.type":"tpu"}) is not a valid request: device.type must be one of "cpu", "gpu"`,
    );
    expect(existsSync(path.join(ws, '.ml'))).toBe(false);
    expect(existsSync(path.join(ws, '.runforge'))).toBe(false);
  });

  it('a missing plan is exit 3; a plan whose workspace does not exist is exit 3', async () => {
    const ws = tempWorkspace();
    const missing = await runCli(['enqueue-sweep', '--plan', path.join(ws, 'nope.json')], { cwd: ws });
    expect(missing.code).toBe(3);
    expect(missing.stderr.trim()).toBe(`Error: Plan not found: ${path.join(ws, 'nope.json')}`);
    const planPath = writePlan(ws, samplePlan('/no/such/workspace'));
    const r = await runCli(['enqueue-sweep', '--plan', planPath], { cwd: ws });
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe(
      "Error: The plan's workspace does not exist: /no/such/workspace (pass --workspace to use another)",
    );
  });
});

describe('enqueue-run', () => {
  it('queues an existing run and refuses it while it is queued', async () => {
    const ws = tempWorkspace();
    writeRun(ws, 'run-a', baseRequest({ device: { type: 'gpu' } }));
    const r = await runCli(['enqueue-run', '--run-id', 'run-a', '--priority', '5'], { cwd: ws });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const job = readJson(queueFile(ws)).jobs[0];
    expect(r.lines).toEqual([`Enqueued run run-a as job ${job.job_id} [GPU]`]);
    expect(job).toMatchObject({ run_id: 'run-a', group_id: null, priority: 5, requires_gpu: true, attempt: 1, state: 'queued' });

    const before = readFileSync(queueFile(ws), 'utf8');
    const again = await runCli(['enqueue-run', '--run-id', 'run-a'], { cwd: ws });
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe(`Error: Run run-a is already queued (job ${job.job_id}); not enqueued again`);
    expect(readFileSync(queueFile(ws), 'utf8')).toBe(before);
  });

  it('a finished run can be enqueued again as the next attempt', async () => {
    const ws = tempWorkspace();
    writeRun(ws, 'run-a');
    await runCli(['enqueue-run', '--run-id', 'run-a'], { cwd: ws });
    const q = readJson(queueFile(ws));
    q.jobs[0].state = 'failed';
    writeFileSync(queueFile(ws), JSON.stringify(q));
    const r = await runCli(['enqueue-run', '--run-id', 'run-a', '--json'], { cwd: ws });
    expect(r.code).toBe(0);
    expect(parseJsonOut<{ job: { attempt: number } }>(r).job.attempt).toBe(2);
  });

  it('with --group-id adds the run to that group, creating its record', async () => {
    const ws = tempWorkspace();
    writeRun(ws, 'r1');
    const r = await runCli(['enqueue-run', '--run-id', 'r1', '--group-id', 'my-group'], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.lines[0]).toMatch(/^Enqueued run r1 as job job_\S+$/);
    const group = readJson(groupFile(ws, 'my-group'));
    expect(group).toMatchObject({ group_id: 'my-group', name: 'my-group', status: 'running', summary: { total: 1 } });
    expect(group.runs).toEqual([expect.objectContaining({ run_id: 'r1', status: 'queued' })]);
  });

  it.each([
    [['--run-id', '../x'], 2, "Error: Invalid run id '../x': use 1-128 letters, digits, '.', '_' or '-', not starting with '.' or '-'"],
    [['--run-id', '/etc/passwd'], 2, "Error: Invalid run id '/etc/passwd': use 1-128 letters, digits, '.', '_' or '-', not starting with '.' or '-'"],
    [['--run-id', 'ok', '--group-id', '..'], 2, "Error: Invalid group id '..': use 1-128 letters, digits, '.', '_' or '-', not starting with '.' or '-'"],
    [['--run-id', 'ok', '--priority', 'high'], 2, "Error: --priority must be an integer (got 'high')"],
    [['--run-id', 'missing'], 3, 'Error: Run directory not found: .ml/runs/missing'],
    [[], 2, "error: required option '--run-id <id>' not specified"],
  ])('rejects %j with exit %i', async (args, code, message) => {
    const ws = tempWorkspace();
    writeRun(ws, 'ok');
    const r = await runCli(['enqueue-run', ...args], { cwd: ws });
    expect(r.code).toBe(code);
    expect(r.stderr.split('\n')[0]).toBe(message);
    expect(existsSync(queueFile(ws))).toBe(false);
  });

  it('rejects an invalid request.json (exit 2) naming the file and field', async () => {
    const ws = tempWorkspace();
    const req = baseRequest();
    delete (req.dataset as Record<string, unknown>).label_column;
    writeRun(ws, 'bad', req);
    const r = await runCli(['enqueue-run', '--run-id', 'bad'], { cwd: ws });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('Error: .ml/runs/bad/request.json is not a valid request: dataset.label_column is required');
    expect(existsSync(queueFile(ws))).toBe(false);
  });

  it('a missing workspace is exit 3', async () => {
    const r = await runCli(['enqueue-run', '--run-id', 'a', '--workspace', '/no/such/ws']);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe('Error: Workspace not found: /no/such/ws');
  });
});
