import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '../../src/infra/time.js';
import { parseJsonOut, runCli } from '../helpers/cli.js';
import { allDone, queueJobs, startDaemon, waitFor } from '../helpers/daemon.js';
import { baseRequest, commandPlan, groupFile, readJson, tempWorkspace, writeRun } from '../helpers/workspace.js';
import { validateDocument } from '../../src/contracts/index.js';
import { enqueuePlan } from '../helpers/queue.js';

const lockFile = (ws: string) => path.join(ws, '.runforge', 'queue', 'daemon.lock');

describe('single instance', () => {
  it('a second daemon on the same workspace exits 1 naming the running one', async () => {
    const ws = tempWorkspace();
    const first = startDaemon(ws);
    await first.waitForLine(/DAEMON=STARTED/);
    const second = startDaemon(ws);
    expect(await second.exited).toBe(1);
    expect(second.stderr().trim()).toBe(`Error: Another daemon is already running (PID: ${first.pid})`);
    expect(readFileSync(lockFile(ws), 'utf8').trim()).toBe(String(first.pid));
    first.kill();
    expect(await first.exited).toBe(0);
  });

  it('a daemon on a workspace with a corrupt queue.json says so (exit 4), changes nothing and leaves no lock', async () => {
    const ws = tempWorkspace();
    mkdirSync(path.join(ws, '.runforge', 'queue'), { recursive: true });
    writeFileSync(path.join(ws, '.runforge', 'queue', 'queue.json'), '{"version": 1, "jobs": [');
    const d = startDaemon(ws);
    expect(await d.exited).toBe(4);
    expect(d.stderr().trim()).toMatch(/^Error: \.runforge\/queue\/queue\.json is corrupt: invalid JSON: .+ \(left unchanged; repair or move it aside\)$/);
    expect(readFileSync(path.join(ws, '.runforge', 'queue', 'queue.json'), 'utf8')).toBe('{"version": 1, "jobs": [');
    expect(existsSync(lockFile(ws))).toBe(false);
  });

  it('two daemons started at the same instant: exactly one runs', async () => {
    const ws = tempWorkspace();
    const a = startDaemon(ws);
    const b = startDaemon(ws);
    const loser = await Promise.race([a.exited.then(() => a), b.exited.then(() => b)]);
    const winner = loser === a ? b : a;
    expect(await loser.exited).toBe(1);
    expect(loser.stderr()).toContain(`Another daemon is already running (PID: ${winner.pid})`);
    await winner.waitForLine(/DAEMON=STARTED/);
    expect(winner.proc.exitCode).toBeNull();
    winner.kill();
    await winner.exited;
  });

  it.each([
    ['a dead process', () => 999_999, 'process is not running'],
    ['a live process that is not a RunForge daemon', () => process.pid, 'process is not a RunForge daemon'],
  ])('a lock left by %s is taken over and the daemon says so', async (_n, pid, reason) => {
    const ws = tempWorkspace();
    mkdirSync(path.dirname(lockFile(ws)), { recursive: true });
    writeFileSync(lockFile(ws), `${pid()}\n`);
    const d = startDaemon(ws);
    const line = await d.waitForLine(/^Took over a stale daemon lock/);
    expect(line).toBe(`Took over a stale daemon lock (previous PID ${pid()}: ${reason})`);
    await d.waitForLine(/DAEMON=STARTED/);
    expect(readFileSync(lockFile(ws), 'utf8').trim()).toBe(String(d.pid));
    d.kill();
    await d.exited;
    expect(readFileSync(path.join(ws, '.runforge', 'queue', 'daemon.log'), 'utf8')).toContain('took over a stale daemon lock');
  });

  it('a lock of a live daemon whose heartbeat is stale is taken over', async () => {
    const ws = tempWorkspace();
    const hung = startDaemon(ws, ['--heartbeat-interval', '0.2']);
    await hung.waitForLine(/DAEMON=STARTED/);
    hung.kill('SIGSTOP'); // frozen: alive, a RunForge daemon, but no more heartbeats
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const d = startDaemon(ws, ['--stale-after', '1']);
      expect(await d.waitForLine(/^Took over/)).toBe(`Took over a stale daemon lock (previous PID ${hung.pid}: heartbeat is stale)`);
      await d.waitForLine(/DAEMON=STARTED/);
      hung.kill('SIGCONT');
      // The old daemon wakes up, sees the lock is no longer its own, and leaves without touching jobs.
      expect(await hung.exited).toBe(0);
      expect(hung.stderr()).toContain(`Lost the daemon lock to PID ${d.pid}`);
      expect(readFileSync(lockFile(ws), 'utf8').trim()).toBe(String(d.pid));
      d.kill();
      await d.exited;
    } finally {
      hung.kill('SIGCONT');
    }
  });
});

describe('crash recovery (G4)', () => {
  it('kill -9 mid-run: surviving jobs are re-adopted and end succeeded; the rest finish', async () => {
    const ws = tempWorkspace();
    // Jobs wait for a file, so they are certainly alive when the second daemon starts.
    const gid = await enqueuePlan(ws, commandPlan(ws, 4, ['sh', '-c', 'while [ ! -f release ]; do sleep 0.05; done']));
    const d1 = startDaemon(ws, ['--max-parallel', '2']);
    await waitFor('two running', () => queueJobs(ws).filter((j) => j.state === 'running' && j.pid).length === 2);
    const runningBefore = queueJobs(ws).filter((j) => j.state === 'running').map((j) => j.job_id);
    d1.kill('SIGKILL');
    await d1.exited;
    const d2 = startDaemon(ws, ['--max-parallel', '2']);
    await d2.waitForLine(/DAEMON=STARTED/);
    writeFileSync(path.join(ws, 'release'), '');
    const jobs = await waitFor('all done', allDone(ws, 4), 40_000);
    expect(jobs).toHaveLength(4);
    expect(jobs.every((j) => j.state === 'succeeded' && j.attempt === 1)).toBe(true);
    for (const id of runningBefore) expect(d2.output(), d2.output() + readFileSync(path.join(ws, '.runforge', 'queue', 'daemon.log'), 'utf8')).toContain(`JOB_DONE ${id}`);
    const log = readFileSync(path.join(ws, '.runforge', 'queue', 'daemon.log'), 'utf8');
    expect(log).toContain('took over a stale daemon lock');
    expect(log).toContain('re-adopted a job that survived the previous daemon');
    expect(readJson(groupFile(ws, gid))).toMatchObject({ status: 'completed', summary: { succeeded: 4 } });
    d2.kill();
    await d2.exited;
  });

  it.each([
    ['requeue', [], ['failed', 'succeeded'], 'running'],
    ['fail', ['--orphan-policy', 'fail'], ['failed'], 'failed'],
  ])('a job whose process died with the daemon is resolved by the %s policy', async (_policy, args, states) => {
    const ws = tempWorkspace();
    writeRun(ws, 'victim', baseRequest({ command: ['sleep', '1'] }));
    await runCli(['enqueue-run', '--run-id', 'victim'], { cwd: ws });
    const d1 = startDaemon(ws);
    const job = await waitFor('running', () => queueJobs(ws).find((j) => j.state === 'running' && j.pid));
    d1.kill('SIGKILL');
    process.kill(-job.pgid, 'SIGKILL'); // the job dies too, without writing result.json
    await d1.exited;
    await waitFor('job gone', () => !existsSync(`/proc/${job.pid}`) || readFileSync(`/proc/${job.pid}/stat`, 'utf8').includes(') Z'));
    const d2 = startDaemon(ws, [...args]);
    await d2.waitForLine(/DAEMON=STARTED/);
    const jobs = await waitFor('resolved', allDone(ws, states.length), 30_000);
    expect(jobs.map((j) => j.state)).toEqual(states);
    expect(jobs[0]).toMatchObject({ attempt: 1, error: 'Daemon died while the job was running' });
    if (states.length === 2) expect(jobs[1]).toMatchObject({ attempt: 2, run_id: 'victim' });
    d2.kill();
    await d2.exited;
  });

  it('an orphan whose result.json of this attempt exists takes its outcome from it; temp files are cleaned', async () => {
    const ws = tempWorkspace();
    writeRun(ws, 'done-before', baseRequest({ command: ['true'] }));
    const q = {
      version: 1,
      kind: 'execution_queue',
      max_parallel: 2,
      gpu_slots: 1,
      last_served_group: null,
      jobs: [
        { job_id: 'job_20260201_100000_aaaaaaaaaaaa', kind: 'run', run_id: 'done-before', group_id: null, priority: 0, state: 'running',
          requires_gpu: false, attempt: 1, created_at: '2026-02-01T10:00:00Z', started_at: '2026-02-01T10:00:01Z', finished_at: null, error: null, pid: 999_998 },
      ],
    };
    mkdirSync(path.join(ws, '.runforge', 'queue'), { recursive: true });
    writeFileSync(path.join(ws, '.runforge', 'queue', 'queue.json'), JSON.stringify(q));
    writeFileSync(path.join(ws, '.ml', 'runs', 'done-before', 'result.json'), JSON.stringify({
      version: 1, status: 'succeeded', duration_ms: 5, job_id: 'job_20260201_100000_aaaaaaaaaaaa', summary: { metrics: { accuracy: 0.9 } },
    }));
    const temp = path.join(ws, '.runforge', 'queue', 'queue.json.123456789');
    writeFileSync(temp, '{"half":');
    const old = new Date(Date.now() - 3_600_000);
    const { utimesSync } = await import('node:fs');
    utimesSync(temp, old, old);
    const d = startDaemon(ws);
    await d.waitForLine(/DAEMON=STARTED/);
    const [job] = queueJobs(ws);
    expect(job).toMatchObject({ state: 'succeeded', attempt: 1 });
    expect(existsSync(temp)).toBe(false);
    d.kill();
    await d.exited;
  });
});

describe('shutdown', () => {
  it('SIGTERM: stops starting jobs, waits up to the grace period, stops and records the rest, releases the lock', async () => {
    const ws = tempWorkspace();
    await enqueuePlan(ws, commandPlan(ws, 3, ['sleep', '30']));
    const d = startDaemon(ws, ['--max-parallel', '2', '--shutdown-grace', '1', '--kill-grace', '1']);
    await waitFor('two running', () => queueJobs(ws).filter((j) => j.state === 'running').length === 2);
    d.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    const jobs = queueJobs(ws);
    const interrupted = jobs.filter((j) => j.error === 'Interrupted by daemon shutdown');
    expect(interrupted).toHaveLength(2);
    expect(interrupted.every((j) => j.state === 'failed')).toBe(true);
    // By the default policy each interrupted run gets a new queued attempt; the third never started.
    expect(jobs.filter((j) => j.state === 'queued').map((j) => j.attempt).sort()).toEqual([1, 2, 2]);
    expect(jobs.some((j) => j.state === 'running')).toBe(false);
    for (const j of interrupted) expect(readJson(path.join(ws, '.ml', 'runs', j.run_id, 'result.json')).status).toBe('cancelled');
    expect(readJson(path.join(ws, '.runforge', 'queue', 'daemon.json')).state).toBe('stopped');
    expect(existsSync(lockFile(ws))).toBe(false);
    expect(validateDocument('queue', readJson(path.join(ws, '.runforge', 'queue', 'queue.json'))).ok).toBe(true);
  });

  it('daemon-stop checks the PID is this workspace daemon, signals it and waits', async () => {
    const ws = tempWorkspace();
    const none = await runCli(['daemon-stop'], { cwd: ws });
    expect(none).toMatchObject({ code: 0, stdout: `No daemon is running in ${ws}` });
    const d = startDaemon(ws);
    await d.waitForLine(/DAEMON=STARTED/);
    const r = await runCli(['daemon-stop'], { cwd: ws });
    expect(r).toMatchObject({ code: 0, stdout: `Daemon (PID ${d.pid}) stopped` });
    expect(d.proc.exitCode).toBe(0);
    // A lock naming a live process that is not a daemon is never signalled.
    const sleeper = spawn('sleep', ['30']);
    mkdirSync(path.dirname(lockFile(ws)), { recursive: true });
    writeFileSync(lockFile(ws), `${sleeper.pid}\n`);
    const refused = await runCli(['daemon-stop'], { cwd: ws });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(`Error: PID ${sleeper.pid} in daemon.lock is not this workspace's RunForge daemon; nothing was signalled`);
    expect(sleeper.exitCode).toBeNull();
    sleeper.kill();
  });
});

describe('concurrency with a running daemon', () => {
  it('8 CLI processes enqueuing while the daemon runs: nothing lost, every run once', async () => {
    const ws = tempWorkspace();
    for (let p = 0; p < 8; p++) for (let i = 0; i < 4; i++) writeRun(ws, `p${p}-r${i}`, baseRequest({ command: ['true'] }));
    const d = startDaemon(ws, ['--max-parallel', '2']);
    await d.waitForLine(/DAEMON=STARTED/);
    await Promise.all(
      Array.from({ length: 8 }, async (_, p) => {
        for (let i = 0; i < 4; i++) {
          const r = await runCli(['enqueue-run', '--run-id', `p${p}-r${i}`], { cwd: ws });
          expect(r.code).toBe(0);
        }
      }),
    );
    const jobs = await waitFor('all done', allDone(ws, 32), 60_000);
    expect(jobs).toHaveLength(32);
    expect(new Set(jobs.map((j) => j.run_id)).size).toBe(32);
    expect(jobs.every((j) => j.state === 'succeeded')).toBe(true);
    d.kill();
    await d.exited;
  });
});

describe('heartbeat', () => {
  it('daemon.json is rewritten on the interval and reads as healthy in queue-status', async () => {
    const ws = tempWorkspace();
    const d = startDaemon(ws, ['--heartbeat-interval', '0.2']);
    await d.waitForLine(/DAEMON=STARTED/);
    const first = readJson(path.join(ws, '.runforge', 'queue', 'daemon.json')).last_heartbeat;
    const next: string = await waitFor('a newer heartbeat', () => {
      const beat: string = readJson(path.join(ws, '.runforge', 'queue', 'daemon.json')).last_heartbeat;
      return beat !== first && beat;
    });
    expect(parseTimestamp(next)!).toBeGreaterThan(parseTimestamp(first)!);
    const status = parseJsonOut<any>(await runCli(['queue-status', '--json'], { cwd: ws }));
    expect(status.daemon).toMatchObject({ health: 'healthy', healthy: true, pid: d.pid, state: 'running' });
    d.kill();
    await d.exited;
  });
});
