/**
 * Stopping a job is SIGTERM to its whole process group, then SIGKILL to the group only once
 * `--kill-grace` has passed since the SIGTERM — for cancel-run, cancel-group, a job timeout and a
 * daemon shutdown — and nothing of the job's process tree survives. The jobs are custom commands
 * (tests/fixtures/term-probe.py, through the daemon's pooled shell or plain spawn, as a user's program
 * runs): a parent and its child that record every SIGTERM and a heartbeat every 20 ms, and write
 * their PIDs, so the test checks the real processes.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { allDone, queueJobs, startDaemon, waitFor } from '../helpers/daemon.js';
import { isGone, killSurvivingProbes, type ProbeRole, probeRecord, probeRequest, type ProcessId, ROLES, waitForProbe } from '../helpers/probe.js';
import { enqueuePlan } from '../helpers/queue.js';
import { commandPlan, groupFile, readJson, samplePlan, tempWorkspace, writePlan, writeRun } from '../helpers/workspace.js';

const GRACE_S = 2;
const GRACE_MS = GRACE_S * 1000;
/**
 * The last heartbeat precedes the SIGKILL by up to one heartbeat period (20 ms) plus however long a
 * loaded machine kept the probe from running; a SIGKILL sent early (at the SIGTERM, or halfway
 * through the grace) is far outside this.
 */
const SLACK_MS = 500;
/** How much later than the grace the SIGKILL may come on a loaded machine. */
const LATE_MS = 8000;

// A test that failed may have left a probe running: it would run on after the test.
afterEach(killSurvivingProbes);

const runDirOf = (ws: string, runId: string): string => path.join(ws, '.ml', 'runs', runId);

async function enqueueProbe(ws: string, runId: string, mode: 'trap' | 'ignore', exitAfter?: number): Promise<string> {
  const dir = writeRun(ws, runId, probeRequest(mode, exitAfter));
  const r = await runCli(['enqueue-run', '--run-id', runId], { cwd: ws });
  expect(r.code).toBe(0);
  return dir;
}

/** No process of the probe's tree is left (checked at once: the job is recorded as ended only then). */
function expectTreeGone(ids: Record<ProbeRole, ProcessId>): void {
  for (const role of ROLES) expect(isGone(ids[role]), `${role} (PID ${ids[role].pid}) is gone`).toBe(true);
}

/**
 * Both processes of a `trap` probe got exactly one SIGTERM (`termsExpected`) and lived on, heartbeating,
 * for the grace after it: the SIGKILL came no earlier than `graceMs` after the SIGTERM (and not much
 * later). Returns when the first SIGTERM came.
 */
function expectTermThenKill(dir: string, graceMs: number, termsExpected: 'once' | 'at least once' = 'once'): number {
  let firstTerm = Infinity;
  for (const role of ROLES) {
    const { terms, lastBeat } = probeRecord(dir, role);
    if (termsExpected === 'once') expect(terms, `${role}: SIGTERMs received`).toHaveLength(1);
    else expect(terms.length, `${role}: SIGTERMs received`).toBeGreaterThanOrEqual(1);
    const livedAfterTerm = lastBeat - terms[0]!;
    expect(livedAfterTerm, `${role}: ms alive after SIGTERM`).toBeGreaterThanOrEqual(graceMs - SLACK_MS);
    expect(livedAfterTerm, `${role}: ms alive after SIGTERM`).toBeLessThan(graceMs + LATE_MS);
    firstTerm = Math.min(firstTerm, terms[0]!);
  }
  return firstTerm;
}

/** An `ignore` probe never saw a SIGTERM and lived until at least `killedNotBefore` (ms). */
function expectKilledNotBefore(dir: string, killedNotBefore: number): void {
  for (const role of ROLES) {
    const { terms, lastBeat } = probeRecord(dir, role);
    expect(terms, `${role}: ignores SIGTERM`).toEqual([]);
    expect(lastBeat, `${role}: last heartbeat`).toBeGreaterThanOrEqual(killedNotBefore - SLACK_MS);
    expect(lastBeat, `${role}: last heartbeat`).toBeLessThan(killedNotBefore + LATE_MS);
  }
}

describe('stopping a job: SIGTERM to the process group, SIGKILL after --kill-grace, nothing survives', () => {
  it('cancel-run: a tree that traps SIGTERM is killed only after the grace; the run ends cancelled', async () => {
    const ws = tempWorkspace();
    const dir = await enqueueProbe(ws, 'trapper', 'trap');
    const d = startDaemon(ws, ['--kill-grace', String(GRACE_S)]);
    const ids = await waitForProbe(dir);
    const r = await runCli(['cancel-run', '--run-id', 'trapper'], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([expect.stringMatching(/^Job \S+ of run trapper is running; the daemon will stop it$/)]);
    const [job] = await waitFor('the job ended', allDone(ws, 1));
    expectTreeGone(ids);
    expectTermThenKill(dir, GRACE_MS);
    expect(job).toMatchObject({ state: 'canceled', error: 'Canceled by user' });
    expect(readJson(path.join(dir, 'result.json'))).toMatchObject({ status: 'cancelled', error: { message: 'Canceled by user', type: 'Cancelled' } });
    d.kill();
    await d.exited;
  });

  it('cancel-run: a tree that exits on SIGTERM is not killed and not waited for until the grace', async () => {
    const ws = tempWorkspace();
    const dir = await enqueueProbe(ws, 'polite', 'trap', 0.5);
    const d = startDaemon(ws, ['--kill-grace', '30']);
    const ids = await waitForProbe(dir);
    const cancelledAt = Date.now();
    expect((await runCli(['cancel-run', '--run-id', 'polite'], { cwd: ws })).code).toBe(0);
    const [job] = await waitFor('the job ended', allDone(ws, 1));
    expect(Date.now() - cancelledAt).toBeLessThan(15_000);
    expectTreeGone(ids);
    for (const role of ROLES) expect(probeRecord(dir, role).terms, `${role}: SIGTERMs received`).toHaveLength(1);
    // Each process ended on its own, 0.5 s after its SIGTERM: no SIGKILL cut it short.
    const logs = readFileSync(path.join(dir, 'logs.txt'), 'utf8');
    expect(logs).toContain('parent exits after SIGTERM');
    expect(logs).toContain('child exits after SIGTERM');
    expect(job).toMatchObject({ state: 'canceled', error: 'Canceled by user' });
    expect(readJson(path.join(dir, 'result.json'))).toMatchObject({ status: 'cancelled' });
    d.kill();
    await d.exited;
  });

  it('cancel-group: a tree that traps SIGTERM and one that ignores it are both gone; the group ends canceled', async () => {
    const ws = tempWorkspace();
    const plan = commandPlan(ws, 2, ['true']);
    const command = (mode: string): unknown => (probeRequest(mode as 'trap') as { command: unknown }).command;
    plan.strategy = { type: 'list', parameters: [{ path: 'command', values: [command('trap'), command('ignore')] }] };
    const gid = await enqueuePlan(ws, plan);
    const [trapDir, ignoreDir] = [runDirOf(ws, `${gid}-run-001`), runDirOf(ws, `${gid}-run-002`)];
    const d = startDaemon(ws, ['--max-parallel', '2', '--kill-grace', String(GRACE_S)]);
    const trapIds = await waitForProbe(trapDir);
    const ignoreIds = await waitForProbe(ignoreDir);
    const cancelledAt = Date.now();
    const r = await runCli(['cancel-group', '--group-id', gid], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.lines).toContain(`Stopping 2 running runs in group ${gid} (the daemon stops them)`);
    const jobs = await waitFor('both jobs ended', allDone(ws, 2));
    expectTreeGone(trapIds);
    expectTreeGone(ignoreIds);
    expect(expectTermThenKill(trapDir, GRACE_MS)).toBeGreaterThanOrEqual(cancelledAt);
    // The SIGTERM it ignored came after the cancel: the SIGKILL no earlier than the grace after that.
    expectKilledNotBefore(ignoreDir, cancelledAt + GRACE_MS);
    expect(jobs.map((j) => [j.state, j.error])).toEqual([
      ['canceled', 'Canceled by user'],
      ['canceled', 'Canceled by user'],
    ]);
    for (const dir of [trapDir, ignoreDir]) expect(readJson(path.join(dir, 'result.json'))).toMatchObject({ status: 'cancelled', error: { type: 'Cancelled' } });
    expect(readJson(groupFile(ws, gid))).toMatchObject({ status: 'canceled', execution: { cancelled: true }, summary: { canceled: 2 } });
    d.kill();
    await d.exited;
  });

  it('--job-timeout: SIGTERM once the job ran that long, SIGKILL after the grace; the job fails with a timeout', async () => {
    const ws = tempWorkspace();
    const dir = await enqueueProbe(ws, 'slow', 'trap');
    // Long enough for the probe to be set up (Python started, SIGTERM handler in place) on a loaded machine.
    const d = startDaemon(ws, ['--job-timeout', '4', '--kill-grace', String(GRACE_S)]);
    const ids = await waitForProbe(dir);
    const [job] = await waitFor('the job ended', allDone(ws, 1));
    expectTreeGone(ids);
    const termAt = expectTermThenKill(dir, GRACE_MS);
    expect(termAt - Date.parse(job.started_at)).toBeGreaterThanOrEqual(4000);
    expect(job).toMatchObject({ state: 'failed', error: 'Timed out after 4 s' });
    expect(readJson(path.join(dir, 'result.json'))).toMatchObject({ status: 'failed', error: { message: 'Timed out after 4 s', type: 'Timeout' } });
    d.kill();
    await d.exited;
  });
});

describe('daemon shutdown stops the jobs left after --shutdown-grace the same way', () => {
  it.each(['daemon-stop', 'SIGINT'])('%s: no process of any job is left once the daemon is gone', async (how) => {
    const ws = tempWorkspace();
    const trapDir = await enqueueProbe(ws, 'trapper', 'trap');
    const ignoreDir = await enqueueProbe(ws, 'ignorer', 'ignore');
    const d = startDaemon(ws, ['--max-parallel', '2', '--shutdown-grace', '1', '--kill-grace', String(GRACE_S)]);
    const trapIds = await waitForProbe(trapDir);
    const ignoreIds = await waitForProbe(ignoreDir);
    const stoppedAt = Date.now();
    if (how === 'daemon-stop') {
      expect(await runCli(['daemon-stop'], { cwd: ws })).toMatchObject({ code: 0, stdout: `Daemon (PID ${d.pid}) stopped` });
    } else d.kill('SIGINT');
    expect(await d.exited).toBe(0);
    expect(d.output()).toContain(`[RF:DAEMON=STOPPED pid=${d.pid}]`);
    expectTreeGone(trapIds);
    expectTreeGone(ignoreIds);
    // Running jobs had --shutdown-grace to finish before their SIGTERM.
    expect(expectTermThenKill(trapDir, GRACE_MS)).toBeGreaterThanOrEqual(stoppedAt + 1000);
    expectKilledNotBefore(ignoreDir, stoppedAt + 1000 + GRACE_MS);
    const jobs = queueJobs(ws);
    const interrupted = jobs.filter((j) => j.attempt === 1);
    expect(interrupted.map((j) => [j.run_id, j.state, j.error])).toEqual([
      ['trapper', 'failed', 'Interrupted by daemon shutdown'],
      ['ignorer', 'failed', 'Interrupted by daemon shutdown'],
    ]);
    // By the default policy each gets a new attempt, left queued for the next daemon.
    const retries = jobs.filter((j) => j.attempt === 2).map((j) => [j.run_id, j.state]);
    expect(retries.sort()).toEqual([
      ['ignorer', 'queued'],
      ['trapper', 'queued'],
    ]);
    for (const dir of [trapDir, ignoreDir]) {
      expect(readJson(path.join(dir, 'result.json'))).toMatchObject({ status: 'cancelled', error: { message: 'Interrupted by daemon shutdown', type: 'Interrupted' } });
    }
    expect(readJson(path.join(ws, '.runforge', 'queue', 'daemon.json')).state).toBe('stopped');
  });
});

describe('runforge sweep (direct mode): Ctrl-C', () => {
  it('stops the running runs: SIGTERM, SIGKILL after --kill-grace, nothing survives, the run ends cancelled', async () => {
    const ws = tempWorkspace();
    const plan = samplePlan(ws, { base_request: probeRequest('trap'), strategy: { type: 'list', parameters: [{ path: 'seed', values: [1, 2] }] } });
    const child = spawn(process.execPath, [CLI, 'sweep', '--plan', writePlan(ws, plan), '--kill-grace', String(GRACE_S)], { cwd: ws });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const gid = (await waitFor('the sweep started', () => /GROUP=START (\S+)/.exec(out)))[1]!;
    const dirs = [runDirOf(ws, `${gid}-run-001`), runDirOf(ws, `${gid}-run-002`)];
    const ids = await Promise.all(dirs.map((dir) => waitForProbe(dir)));
    const interruptedAt = Date.now();
    child.kill('SIGINT');
    expect(await exited).toBe(5);
    for (const tree of ids) expectTreeGone(tree);
    for (const dir of dirs) {
      // `runforge run` passes the SIGTERM it got on to its program, which had it from the group signal
      // already: a program run in direct mode may see two (docs/daemon.md).
      expect(expectTermThenKill(dir, GRACE_MS, 'at least once')).toBeGreaterThanOrEqual(interruptedAt);
      // Killed with its program before it could write result.json: the sweep writes it.
      expect(readJson(path.join(dir, 'result.json'))).toMatchObject({ status: 'cancelled', error: { message: 'Cancelled', type: 'Cancelled' } });
    }
    expect(readJson(groupFile(ws, gid))).toMatchObject({ status: 'canceled', summary: { canceled: 2 } });
    expect(out.trim().split('\n').at(-1)).toBe(`[RF:GROUP=COMPLETE ${gid} succeeded=0 failed=0 canceled=2]`);
  });
});
