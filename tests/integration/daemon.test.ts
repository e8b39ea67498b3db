import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateDocument } from '../../src/contracts/index.js';
import { runCli } from '../helpers/cli.js';
import { allDone, startDaemon, waitFor } from '../helpers/daemon.js';
import { commandPlan, groupFile, intervals, maxConcurrency, readJson, tempWorkspace, timedCommand, writeRun, baseRequest } from '../helpers/workspace.js';
import { enqueuePlan } from '../helpers/queue.js';

const runDirOf = (ws: string, runId: string) => path.join(ws, '.ml', 'runs', runId);

describe('daemon executes the queue', () => {
  it('G1: --max-parallel 2 never runs more than 2; the group completes; every run has logs.txt and result.json', async () => {
    const ws = tempWorkspace();
    const gid = await enqueuePlan(ws, commandPlan(ws, 5, timedCommand(0.5)));
    const d = startDaemon(ws, ['--max-parallel', '2']);
    await d.waitForLine(/^\[RF:DAEMON=STARTED pid=\d+ max_parallel=2 gpu_slots=1\]$/);
    const jobs = await waitFor('all jobs done', allDone(ws, 5));
    expect(jobs.map((j) => j.state)).toEqual(Array(5).fill('succeeded'));
    // The daemon prints a job's end just after writing it to queue.json: wait for the last lines.
    for (const j of jobs) await d.waitForLine(new RegExp(`^\\[RF:QUEUE=JOB_DONE ${j.job_id} `));
    expect(maxConcurrency(intervals(ws))).toBe(2);
    const group = readJson(groupFile(ws, gid));
    expect(group).toMatchObject({ status: 'completed', summary: { total: 5, succeeded: 5 } });
    expect(validateDocument('group', group).ok).toBe(true);
    for (const j of jobs) {
      const dir = runDirOf(ws, j.run_id);
      expect(readFileSync(path.join(dir, 'logs.txt'), 'utf8')).toContain('[RF:STAGE=COMPLETED]');
      const result = readJson(path.join(dir, 'result.json'));
      expect(result).toMatchObject({ version: 1, status: 'succeeded', job_id: j.job_id });
      expect(d.output()).toContain(`[RF:QUEUE=JOB_STARTED ${j.job_id} run_id=${j.run_id}]`);
      expect(d.output()).toContain(`[RF:QUEUE=JOB_DONE ${j.job_id} run_id=${j.run_id} status=succeeded]`);
    }
    // The original's [DAEMON] lines come with the tokens.
    const lines = d.output().split('\n');
    expect(lines.slice(0, 5)).toEqual(['[DAEMON] runforge daemon v0.6.0', `[DAEMON] Workspace: ${ws}`, '[DAEMON] Max parallel: 2', '[DAEMON] GPU slots: 1', `[DAEMON] PID: ${d.pid}`]);
    expect(lines).toContain(`[DAEMON] Job ${jobs[0].job_id} (${jobs[0].run_id}) succeeded`);
    d.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(d.output()).toMatch(/\[DAEMON\] Shutdown complete\n\[RF:DAEMON=STOPPED pid=\d+\]\n$/);
    const status = readJson(path.join(ws, '.runforge', 'queue', 'daemon.json'));
    expect(status).toMatchObject({ state: 'stopped', max_parallel: 2, gpu_slots: 1, active_jobs: 0 });
    expect(existsSync(path.join(ws, '.runforge', 'queue', 'daemon.lock'))).toBe(false);
    expect(readFileSync(path.join(ws, '.runforge', 'queue', 'daemon.log'), 'utf8')).toContain('"msg":"daemon stopped"');
  });

  it('records a failing command as failed with its exit code, and a missing program clearly', async () => {
    const ws = tempWorkspace();
    writeRun(ws, 'bad-exit', { ...baseRequest({ command: ['sh', '-c', 'echo boom >&2; exit 7'] }) });
    writeRun(ws, 'no-program', { ...baseRequest({ command: ['definitely-not-a-program-xyz'] }) });
    await runCli(['enqueue-run', '--run-id', 'bad-exit'], { cwd: ws });
    await runCli(['enqueue-run', '--run-id', 'no-program'], { cwd: ws });
    const d = startDaemon(ws);
    const jobs = await waitFor('done', allDone(ws, 2));
    const byRun = Object.fromEntries(jobs.map((j) => [j.run_id, j]));
    expect(byRun['bad-exit']).toMatchObject({ state: 'failed', error: 'Command exited with code 7' });
    expect(byRun['no-program'].state).toBe('failed');
    expect(byRun['no-program'].error).toMatch(/^Could not start definitely-not-a-program-xyz: /);
    expect(readJson(path.join(runDirOf(ws, 'bad-exit'), 'result.json'))).toMatchObject({ status: 'failed', exit_code: 7, error: { type: 'CommandFailed' } });
    expect(readFileSync(path.join(runDirOf(ws, 'bad-exit'), 'logs.txt'), 'utf8')).toMatch(/\] boom\n/);
    d.kill();
    await d.exited;
  });

  it('jobs enqueued while a slot is free start promptly, every time, by file watching (poll set to 60 s)', async () => {
    const ws = tempWorkspace();
    const d = startDaemon(ws, ['--poll-interval', '60', '--max-parallel', '1']);
    await d.waitForLine(/DAEMON=STARTED/);
    // Several in a row: each enqueue replaces queue.json, and every replacement must be noticed.
    for (let i = 0; i < 4; i++) {
      writeRun(ws, `quick-${i}`, baseRequest({ command: ['true'] }));
      const t0 = Date.now();
      await runCli(['enqueue-run', '--run-id', `quick-${i}`], { cwd: ws });
      await d.waitForLine(new RegExp(`JOB_DONE \\S+ run_id=quick-${i} status=succeeded`), 20_000);
      // With only the 60 s poll this would take a minute; the bound is generous for a loaded machine.
      expect(Date.now() - t0).toBeLessThan(20_000);
    }
    // A resume changes only group.json: that is watched too. A blocker holds the only slot while the
    // group is enqueued and paused; once it ends, the paused group must wait until resumed.
    writeRun(ws, 'blocker', baseRequest({ command: ['sh', '-c', 'while [ ! -f go ]; do sleep 0.05; done'] }));
    await runCli(['enqueue-run', '--run-id', 'blocker'], { cwd: ws });
    await d.waitForLine(/JOB_STARTED \S+ run_id=blocker/);
    const gid = await enqueuePlan(ws, commandPlan(ws, 1, ['true']));
    await runCli(['pause-group', '--group-id', gid], { cwd: ws });
    writeFileSync(path.join(ws, 'go'), '');
    await d.waitForLine(/JOB_DONE \S+ run_id=blocker/);
    await new Promise((r) => setTimeout(r, 1000));
    expect(readJson(groupFile(ws, gid)).runs[0].status).toBe('queued');
    const t0 = Date.now();
    await runCli(['resume-group', '--group-id', gid], { cwd: ws });
    await d.waitForLine(new RegExp(`JOB_DONE \\S+ run_id=${gid}-run-001 status=succeeded`), 20_000);
    expect(Date.now() - t0).toBeLessThan(20_000);
    d.kill();
    await d.exited;
  });

  it('G6: a queued run whose folder vanished fails with a clear reason; the others complete', async () => {
    const ws = tempWorkspace();
    const gid = await enqueuePlan(ws, commandPlan(ws, 3, ['true']));
    rmSync(runDirOf(ws, `${gid}-run-002`), { recursive: true });
    const d = startDaemon(ws);
    const jobs = await waitFor('done', allDone(ws, 3));
    expect(jobs.map((j) => [j.run_id.slice(-7), j.state])).toEqual([
      ['run-001', 'succeeded'],
      ['run-002', 'failed'],
      ['run-003', 'succeeded'],
    ]);
    expect(jobs[1].error).toBe(`Run directory not found: .ml/runs/${gid}-run-002`);
    expect(readJson(groupFile(ws, gid))).toMatchObject({ status: 'failed', summary: { succeeded: 2, failed: 1 } });
    d.kill();
    await d.exited;
  });
});
