import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatTimestamp } from '../../src/infra/time.js';
import { parseJsonOut, runCli } from '../helpers/cli.js';
import { queueFile, readJson, samplePlan, tempWorkspace, writePlan } from '../helpers/workspace.js';

function writeDaemon(ws: string, state: string, ageMs: number, pid = 4242): void {
  const dir = path.join(ws, '.runforge', 'queue');
  mkdirSync(dir, { recursive: true });
  const beat = formatTimestamp(Date.now() - ageMs);
  writeFileSync(
    path.join(dir, 'daemon.json'),
    JSON.stringify({ version: 1, pid, started_at: beat, last_heartbeat: beat, max_parallel: 3, gpu_slots: 2, active_jobs: 1, active_gpu_jobs: 1, state }),
  );
}

async function sweepWithStates(ws: string): Promise<string> {
  const plan = samplePlan(ws, {
    strategy: { type: 'list', parameters: [{ path: 'device.type', values: ['gpu', 'gpu', 'cpu', 'cpu', 'cpu'] }] },
  });
  const r = await runCli(['enqueue-sweep', '--plan', writePlan(ws, plan), '--json'], { cwd: ws });
  const gid = parseJsonOut<{ group_id: string }>(r).group_id;
  const q = readJson(queueFile(ws));
  Object.assign(q.jobs[0], { state: 'running', started_at: formatTimestamp(Date.now()), gpu_device: 1, pid: 777 });
  Object.assign(q.jobs[2], { state: 'succeeded', finished_at: formatTimestamp(Date.now()) });
  Object.assign(q.jobs[3], { state: 'failed', finished_at: formatTimestamp(Date.now()), error: 'boom' });
  writeFileSync(queueFile(ws), JSON.stringify(q));
  return gid;
}

describe('queue-status', () => {
  it('on a fresh workspace says there is nothing and no daemon', async () => {
    const ws = tempWorkspace();
    const r = await runCli(['queue-status'], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([
      'Queue Status',
      '  Max parallel: 2',
      '  Total jobs: 0',
      '',
      'Daemon Status',
      '  State: stopped',
      '  Daemon: not running; start one with: runforge daemon',
      '',
      `Workspace: ${ws}`,
      'Slots: CPU 0/2 in use, GPU 0/1 in use',
      'Jobs: 0 queued, 0 running, 0 succeeded, 0 failed, 0 canceled (0 total)',
    ]);
  });

  it('--json prints clean JSON with counts, slots, daemon health and group progress', async () => {
    const ws = tempWorkspace();
    const gid = await sweepWithStates(ws);
    writeDaemon(ws, 'running', 1_000);
    const r = await runCli(['queue-status', '--json'], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const s = parseJsonOut<any>(r);
    expect(s.daemon).toMatchObject({ health: 'healthy', healthy: true, pid: 4242, state: 'running' });
    expect(s.limits).toEqual({ max_parallel: 3, gpu_slots: 2 });
    expect(s.slots).toEqual({ cpu: { used: 1, limit: 3 }, gpu: { used: 1, limit: 2 } });
    expect(s.jobs).toEqual({ queued: 2, running: 1, succeeded: 1, failed: 1, canceled: 0, total: 5, waiting_for_gpu: 1 });
    expect(s.running).toEqual([expect.objectContaining({ run_id: `${gid}-run-001`, requires_gpu: true, gpu_device: 1, pid: 777 })]);
    expect(s.groups).toHaveLength(1);
    expect(s.groups[0]).toMatchObject({ group_id: gid, name: 'lr sweep', total: 5 });
  });

  it('the readable summary shows slots, the running job and the group', async () => {
    const ws = tempWorkspace();
    const gid = await sweepWithStates(ws);
    writeDaemon(ws, 'running', 2_000);
    const r = await runCli(['queue-status'], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.lines.slice(0, 7)).toEqual(['Queue Status', '  Max parallel: 3', '  Total jobs: 5', '  Queued: 2', '  Running: 1', '  Succeeded: 1', '  Failed: 1']);
    expect(r.lines.slice(8, 12)).toEqual(['Daemon Status', '  State: running', '  PID: 4242', '  Active jobs: 1']);
    expect(r.lines[12]).toMatch(/^ {2}Last heartbeat: \d{4}-/);
    expect(r.lines[13]).toMatch(/^ {2}Daemon: running \(PID 4242, heartbeat \ds ago\)$/);
    expect(r.lines).toContain('Slots: CPU 1/3 in use, GPU 1/2 in use');
    expect(r.lines).toContain('Jobs: 2 queued (1 need a GPU), 1 running, 1 succeeded, 1 failed, 0 canceled (5 total)');
    expect(r.stdout).toContain('Groups:');
    // Short ids since issue 14: the one group's id as its first 7 characters, its run as <short>-run-NNN.
    const short = gid.slice(0, 7);
    expect(r.lines).toContainEqual(expect.stringMatching(new RegExp(`^ {2}${short}\\s+running\\s+\\d/5 done .* lr sweep$`)));
    expect(r.stdout).toMatch(new RegExp(`  job_\\d{8}_\\d{6}_[0-9a-f]{1,11}\\s+${short}-run-001\\s+gpu:1\\s+attempt 1`));
    expect(r.stdout).not.toContain(gid);
  });

  it.each([
    ['a heartbeat older than 30 s is stale', 'running', 31_000, /^ {2}Daemon: WARNING stale heartbeat \(PID 4242, heartbeat 3[1-3]s ago\); it is probably dead/, 'stale'],
    ['a stopped daemon', 'stopped', 1_000, /^ {2}Daemon: stopped \(last heartbeat \ds ago\)/, 'stopped'],
    ['a stopping daemon', 'stopping', 1_000, /^ {2}Daemon: stopping \(PID 4242/, 'stopping'],
  ])('%s', async (_n, state, age, line, health) => {
    const ws = tempWorkspace();
    writeDaemon(ws, state, age);
    const r = await runCli(['queue-status'], { cwd: ws });
    expect(r.lines.find((l) => l.startsWith('  Daemon: '))).toMatch(line);
    const j = parseJsonOut<any>(await runCli(['queue-status', '--json'], { cwd: ws }));
    expect(j.daemon).toMatchObject({ health, healthy: false });
    // A daemon that is not alive does not define the limits; the queue's are shown.
    if (health !== 'stopping') expect(j.limits).toEqual({ max_parallel: 2, gpu_slots: 1 });
  });
});

describe('groups', () => {
  it('lists every group with progress and best run; --json too', async () => {
    const ws = tempWorkspace();
    const gid = await sweepWithStates(ws);
    // A state update syncs the group with the queue edited above.
    await runCli(['pause-group', '--group-id', gid], { cwd: ws });
    const r = await runCli(['groups'], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.lines[0]).toMatch(/^GROUP\s+STATUS\s+DONE\s+OK\s+FAILED\s+CANCELED\s+BEST RUN\s+BEST\s+NAME$/);
    expect(r.lines[1]).toMatch(new RegExp(`^${gid.slice(0, 7)}\\s+running \\(paused\\)\\s+2/5 40%\\s+1\\s+1\\s+0\\s+-\\s+-\\s+lr sweep$`));
    const j = parseJsonOut<any>(await runCli(['groups', '--json'], { cwd: ws }));
    expect(j.groups[0]).toMatchObject({ group_id: gid, paused: true, total: 5, done: 2, succeeded: 1, failed: 1, running: 1, queued: 2, progress: 0.4 });
  });

  it('says how to start when there are none', async () => {
    const ws = tempWorkspace();
    const r = await runCli(['groups'], { cwd: ws });
    expect(r.lines).toEqual(['No groups yet. Enqueue a sweep with: runforge enqueue-sweep --plan plan.json']);
  });
});
