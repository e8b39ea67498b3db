import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '../../src/infra/time.js';
import { parseJsonOut, runCli } from '../helpers/cli.js';
import { groupFile, queueFile, readJson, samplePlan, tempWorkspace, writePlan } from '../helpers/workspace.js';

async function sweep(ws: string, values: unknown[] = [1, 2, 3, 4], device: string[] | null = null): Promise<string> {
  const parameters: unknown[] = [{ path: 'model.hyperparameters.C', values }];
  if (device) parameters.push({ path: 'device.type', values: device });
  const plan = samplePlan(ws, { strategy: { type: device ? 'list' : 'grid', parameters } });
  const r = await runCli(['enqueue-sweep', '--plan', writePlan(ws, plan), '--json'], { cwd: ws });
  expect(r.code).toBe(0);
  return parseJsonOut<{ group_id: string }>(r).group_id;
}

/** Edits queue.json as a daemon would have left it (states of jobs by index). */
function setStates(ws: string, states: Record<number, string>): void {
  const q = readJson(queueFile(ws));
  for (const [i, state] of Object.entries(states)) {
    const job = q.jobs[Number(i)];
    job.state = state;
    if (state !== 'queued') job.started_at = '2026-02-01T10:00:00Z';
    if (state !== 'queued' && state !== 'running') job.finished_at = '2026-02-01T10:01:00Z';
    if (state === 'failed') job.error = 'exit code 1';
  }
  writeFileSync(queueFile(ws), JSON.stringify(q, null, 2));
}

describe('pause-group / resume-group', () => {
  it('sets paused in group.json and prints the group tokens', async () => {
    const ws = tempWorkspace();
    const gid = await sweep(ws);
    const p = await runCli(['pause-group', '--group-id', gid], { cwd: ws });
    expect(p.code).toBe(0);
    expect(p.lines).toEqual([`[RF:GROUP=PAUSED ${gid}]`, `Paused group ${gid}`]);
    expect(readJson(groupFile(ws, gid)).paused).toBe(true);

    const status = parseJsonOut<any>(await runCli(['queue-status', '--json'], { cwd: ws }));
    expect(status.paused_groups).toEqual([gid]);

    const again = await runCli(['pause-group', '--group-id', gid], { cwd: ws });
    expect(again.lines[1]).toBe(`Group ${gid} is already paused`);

    const r = await runCli(['resume-group', '--group-id', gid], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.lines.slice(0, 2)).toEqual([`[RF:GROUP=RESUMED ${gid}]`, `Resumed group ${gid}`]);
    expect(readJson(groupFile(ws, gid)).paused).toBe(false);
  });

  it('an unknown group is exit 3 and a traversal id exit 2', async () => {
    const ws = tempWorkspace();
    const r = await runCli(['pause-group', '--group-id', 'grp_nope'], { cwd: ws });
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe('Error: Group not found: grp_nope');
    const t = await runCli(['resume-group', '--group-id', '../../etc'], { cwd: ws });
    expect(t.code).toBe(2);
    expect(t.stderr).toContain("Invalid group id '../../etc'");
  });
});

describe('retry-failed', () => {
  it('queues one new attempt per failed run, keeping requires_gpu, never twice', async () => {
    const ws = tempWorkspace();
    const gid = await sweep(ws, [1, 2, 3], ['cpu', 'gpu', 'cpu']);
    setStates(ws, { 0: 'succeeded', 1: 'failed', 2: 'failed' });
    // group.json catches up with the queue on the next update; a pause/resume makes one.
    const r = await runCli(['retry-failed', '--group-id', gid], { cwd: ws });
    expect(r.code).toBe(0);
    const q = readJson(queueFile(ws));
    expect(r.lines).toEqual([
      `Re-enqueued 2 failed runs in group ${gid}`,
      `  ${q.jobs[1].run_id} -> ${q.jobs[3].job_id} (attempt 2)`,
      `  ${q.jobs[2].run_id} -> ${q.jobs[4].job_id} (attempt 2)`,
    ]);
    expect(q.jobs).toHaveLength(5);
    const retries = q.jobs.slice(3);
    expect(retries.map((j: any) => [j.run_id, j.attempt, j.requires_gpu, j.state])).toEqual([
      [q.jobs[1].run_id, 2, true, 'queued'],
      [q.jobs[2].run_id, 2, false, 'queued'],
    ]);
    const group = readJson(groupFile(ws, gid));
    expect(group.status).toBe('running');
    expect(group.runs.map((x: any) => x.status)).toEqual(['succeeded', 'queued', 'queued']);

    const twice = await runCli(['retry-failed', '--group-id', gid], { cwd: ws });
    expect(twice.code).toBe(0);
    expect(twice.lines[0]).toBe(`No failed runs to retry in group ${gid}`);
    expect(readJson(queueFile(ws)).jobs).toHaveLength(5);
  });
});

describe('cancel-group', () => {
  it('cancels queued jobs at once and the group ends canceled when nothing runs', async () => {
    const ws = tempWorkspace();
    const gid = await sweep(ws, [1, 2, 3]);
    setStates(ws, { 0: 'succeeded' });
    const r = await runCli(['cancel-group', '--group-id', gid], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([`[RF:GROUP=CANCELED ${gid}]`, `Canceled 2 queued runs in group ${gid}`, `Group ${gid} is canceled`]);
    const q = readJson(queueFile(ws));
    expect(q.jobs.map((j: any) => j.state)).toEqual(['succeeded', 'canceled', 'canceled']);
    const group = readJson(groupFile(ws, gid));
    expect(group).toMatchObject({ status: 'canceled', execution: { cancelled: true }, summary: { succeeded: 1, canceled: 2 } });
    // Finished just now, by this command (a readable timestamp, not null).
    const age = Date.now() - (parseTimestamp(String(group.execution.finished_at)) ?? NaN);
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(60_000);
  });

  it('flags running jobs for the daemon and keeps the group running until they end', async () => {
    const ws = tempWorkspace();
    const gid = await sweep(ws, [1, 2]);
    setStates(ws, { 0: 'running' });
    const r = await runCli(['cancel-group', '--group-id', gid, '--json'], { cwd: ws });
    expect(r.code).toBe(0);
    const out = parseJsonOut<any>(r);
    const q = readJson(queueFile(ws));
    expect(out).toEqual({ group_id: gid, status: 'running', canceled_queued: [q.jobs[1].job_id], stopping_running: [q.jobs[0].job_id] });
    expect(q.jobs[0]).toMatchObject({ state: 'running', cancel_requested: true });
    expect(readJson(groupFile(ws, gid)).status).toBe('running');
  });
});

describe('a corrupt state file stops every command that needs it and is left unchanged', () => {
  it.each([
    ['enqueue-run', (gid: string) => ['enqueue-run', '--run-id', `${gid}-run-001`]],
    ['enqueue-sweep', () => ['enqueue-sweep', '--plan', 'plan.json']],
    ['queue-status', () => ['queue-status']],
    ['queue-status --json', () => ['queue-status', '--json']],
    ['pause-group', (gid: string) => ['pause-group', '--group-id', gid]],
    ['resume-group', (gid: string) => ['resume-group', '--group-id', gid]],
    ['retry-failed', (gid: string) => ['retry-failed', '--group-id', gid]],
    ['cancel-group', (gid: string) => ['cancel-group', '--group-id', gid]],
  ])('truncated queue.json: %s', async (_name, args) => {
    const ws = tempWorkspace();
    const gid = await sweep(ws, [1]);
    setStates(ws, { 0: 'succeeded' });
    const full = readFileSync(queueFile(ws), 'utf8');
    const truncated = full.slice(0, Math.floor(full.length / 2));
    writeFileSync(queueFile(ws), truncated);
    const r = await runCli(args(gid), { cwd: ws });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Error: \.runforge\/queue\/queue\.json is corrupt: invalid JSON: .+ \(left unchanged; repair or move it aside\)$/);
    expect(readFileSync(queueFile(ws), 'utf8')).toBe(truncated);
  });

  it('a queue.json with a wrong field names the field', async () => {
    const ws = tempWorkspace();
    await sweep(ws, [1]);
    const q = readJson(queueFile(ws));
    q.jobs[0].state = 'exploded';
    const text = JSON.stringify(q);
    writeFileSync(queueFile(ws), text);
    const r = await runCli(['queue-status'], { cwd: ws });
    expect(r.code).toBe(4);
    expect(r.stderr.trim()).toBe(
      'Error: .runforge/queue/queue.json is corrupt: jobs[0].state must be one of "queued", "running", "succeeded", "failed", "canceled" (left unchanged; repair or move it aside)',
    );
    expect(readFileSync(queueFile(ws), 'utf8')).toBe(text);
  });

  it('a corrupt group.json is reported by name and left unchanged', async () => {
    const ws = tempWorkspace();
    const gid = await sweep(ws, [1]);
    writeFileSync(groupFile(ws, gid), '{"version": 1');
    const r = await runCli(['pause-group', '--group-id', gid], { cwd: ws });
    expect(r.code).toBe(4);
    expect(r.stderr.trim()).toMatch(new RegExp(`^Error: \\.runforge/groups/${gid}/group\\.json is corrupt: invalid JSON`));
    expect(readFileSync(groupFile(ws, gid), 'utf8')).toBe('{"version": 1');
  });
});
