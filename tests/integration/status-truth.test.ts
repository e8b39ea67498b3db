/**
 * Status tells the truth at once (issue 14): a daemon killed on this machine is dead in queue-status
 * immediately, not "running" for 30 s; a run concluded by a daemon after a restart keeps its own
 * duration; `watch --once` does not show runs that ended as running; piped `watch` prints a line per
 * change.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseTimestamp } from '../../src/infra/time.js';
import { CLI, parseJsonOut, runCli } from '../helpers/cli.js';
import { allDone, queueJobs, startDaemon, waitFor } from '../helpers/daemon.js';
import { enqueuePlan } from '../helpers/queue.js';
import { commandPlan, readJson, tempWorkspace } from '../helpers/workspace.js';

// Each test starts daemons and CLIs one after another: on a loaded 2-core machine that takes a while.
vi.setConfig({ testTimeout: 150_000 });

const queueDir = (ws: string): string => path.join(ws, '.runforge', 'queue');
const runPath = (ws: string, runId: string, file: string): string => path.join(ws, '.ml', 'runs', runId, file);

function thisHost(): { hostname: string; boot_id?: string } {
  const bootId = existsSync('/proc/sys/kernel/random/boot_id') ? readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() : '';
  return { hostname: hostname(), ...(bootId ? { boot_id: bootId } : {}) };
}

/** A fresh (1 s old) daemon.json of `pid`, with `extra` fields (host, process_start_time). */
function writeDaemonJson(ws: string, pid: number, extra: Record<string, unknown>): void {
  mkdirSync(queueDir(ws), { recursive: true });
  const beat = new Date(Date.now() - 1000).toISOString();
  const status = { version: 1, pid, started_at: beat, last_heartbeat: beat, max_parallel: 2, gpu_slots: 1, active_jobs: 0, active_gpu_jobs: 0, state: 'running', ...extra };
  writeFileSync(path.join(queueDir(ws), 'daemon.json'), JSON.stringify(status));
}

const startTimeOf = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return `linux:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
};

/** A live process whose command line is `node …/cli/bin.cjs daemon` (it only sleeps). */
function fakeDaemonProcess(ws: string): ChildProcess {
  const dir = path.join(ws, 'fake', 'cli');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'bin.cjs'), 'setInterval(() => {}, 1000);\n');
  return spawn(process.execPath, [path.join(dir, 'bin.cjs'), 'daemon'], { stdio: 'ignore' });
}

async function daemonOf(ws: string): Promise<{ health: string; healthy: boolean; reason: string | null; heartbeat_age_s: number }> {
  const r = await runCli(['queue-status', '--json'], { cwd: ws });
  expect(r.code).toBe(0);
  return parseJsonOut<any>(r).daemon;
}

const daemonLine = (lines: string[]): string | undefined => lines.find((l) => l.startsWith('  Daemon: '));

describe('a dead daemon is shown dead at once on its machine', () => {
  it('kill -9: queue-status (--json and text) says dead, "process is not running", while the heartbeat is fresh', async () => {
    const ws = tempWorkspace();
    const d = startDaemon(ws);
    await d.waitForLine(/DAEMON=STARTED/);
    const before = await daemonOf(ws);
    expect(before).toMatchObject({ health: 'healthy', healthy: true, reason: null });
    d.kill('SIGKILL');
    await d.exited;
    const after = await daemonOf(ws);
    // Well inside the 30 s heartbeat rule: only the PID can have told.
    expect(after.heartbeat_age_s).toBeLessThan(30);
    expect(after).toMatchObject({ health: 'stale', healthy: false, reason: 'process is not running' });
    const text = await runCli(['queue-status'], { cwd: ws });
    expect(text.lines).toContain('  State: dead');
    expect(daemonLine(text.lines)).toMatch(new RegExp(`^ {2}Daemon: dead \\(PID ${d.pid}: process is not running; last heartbeat \\d+s ago\\); start one with: runforge daemon$`));
  });

  it('a live PID that is not a RunForge daemon, or a later process with the PID (other start time), is dead', async () => {
    const ws = tempWorkspace();
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    const fake = fakeDaemonProcess(ws);
    try {
      writeDaemonJson(ws, sleeper.pid!, { host: thisHost() });
      expect(await daemonOf(ws)).toMatchObject({ health: 'stale', healthy: false, reason: 'process is not a RunForge daemon' });
      // Its command line is a daemon's, but it started later than the daemon daemon.json describes.
      writeDaemonJson(ws, fake.pid!, { host: thisHost(), process_start_time: 'linux:1' });
      expect(await daemonOf(ws)).toMatchObject({ health: 'stale', healthy: false, reason: 'process is not a RunForge daemon' });
      writeDaemonJson(ws, fake.pid!, { host: thisHost(), process_start_time: startTimeOf(fake.pid!) });
      expect(await daemonOf(ws)).toMatchObject({ health: 'healthy', healthy: true, reason: null });
    } finally {
      sleeper.kill('SIGKILL');
      fake.kill('SIGKILL');
    }
  });

  it('on another machine, or without a host in daemon.json, only the heartbeat rule decides', async () => {
    const ws = tempWorkspace();
    const gone = spawn('true');
    await new Promise((r) => gone.on('exit', r));
    writeDaemonJson(ws, gone.pid!, { host: { hostname: `${hostname()}-elsewhere` } });
    expect(await daemonOf(ws)).toMatchObject({ health: 'healthy', healthy: true, reason: null });
    writeDaemonJson(ws, gone.pid!, {});
    expect(await daemonOf(ws)).toMatchObject({ health: 'healthy', healthy: true, reason: null });
    // Another boot of this machine: the PID means nothing.
    writeDaemonJson(ws, gone.pid!, { host: { hostname: hostname(), boot_id: 'another-boot' } });
    expect(await daemonOf(ws)).toMatchObject({ health: thisHost().boot_id ? 'healthy' : 'stale' });
  });
});

/** A command that records its own start and end (ms) in its run folder, sleeping `seconds` between. */
const stampedCommand = (seconds: number): string[] => [
  'sh',
  '-c',
  `echo $(($(date +%s%N)/1000000)) > "$RUNFORGE_RUN_DIR/began"; sleep ${seconds}; echo $(($(date +%s%N)/1000000)) > "$RUNFORGE_RUN_DIR/ended"`,
];

describe('a run concluded by a daemon after a restart', () => {
  it('keeps its own duration (result.json and finished_at), not the time until the restart', async () => {
    const ws = tempWorkspace();
    const gid = await enqueuePlan(ws, commandPlan(ws, 1, stampedCommand(2)));
    const runId = `${gid}-run-001`;
    const d1 = startDaemon(ws);
    await d1.waitForLine(/JOB_STARTED/);
    d1.kill('SIGKILL');
    await d1.exited;
    // The job ends on its own while no daemon runs; then time passes before the restart.
    await waitFor('the job to end', () => existsSync(runPath(ws, runId, '.exit_status')), 30_000);
    const endedMs = Number(readFileSync(runPath(ws, runId, 'ended'), 'utf8'));
    await waitFor('4 s after the job ended', () => Date.now() - endedMs > 4_000, 10_000);
    const d2 = startDaemon(ws);
    const [job] = await waitFor('the job recorded', allDone(ws, 1), 30_000);
    const result = readJson(runPath(ws, runId, 'result.json'));
    expect(result.status).toBe('succeeded');
    const own = endedMs - Number(readFileSync(runPath(ws, runId, 'began'), 'utf8'));
    expect(own).toBeGreaterThanOrEqual(2_000);
    // From the daemon's start of the job to the exit: the job's own time, give or take its start.
    expect(result.duration_ms).toBeGreaterThanOrEqual(own - 100);
    expect(result.duration_ms).toBeLessThan(own + 1_000);
    expect(Math.abs(parseTimestamp(job.finished_at)! - endedMs)).toBeLessThan(1_000);
    expect(Math.abs(parseTimestamp(result.finished_at)! - endedMs)).toBeLessThan(2_000); // whole seconds
    d2.kill();
    expect(await d2.exited).toBe(0);
  });
});

describe('watch --once', () => {
  it('after kill -9, runs that have ended are not shown as running; after a restart they are recorded', async () => {
    const ws = tempWorkspace();
    const gid = await enqueuePlan(ws, commandPlan(ws, 2, stampedCommand(1)));
    const d1 = startDaemon(ws, ['--max-parallel', '2']);
    await waitFor('both jobs running', () => queueJobs(ws).filter((j) => j.state === 'running').length === 2, 30_000);
    d1.kill('SIGKILL');
    await d1.exited;
    for (const n of ['001', '002']) await waitFor(`run ${n} to end`, () => existsSync(runPath(ws, `${gid}-run-${n}`, '.exit_status')), 30_000);
    const w = await runCli(['watch', '--once'], { cwd: ws });
    expect(w.code).toBe(0);
    expect(w.lines).not.toContain('Running:');
    expect(w.lines).toContain('Ended while no daemon was running (recorded when one starts):');
    expect(w.lines.filter((l) => /^ {2}\S+\s+\S+-run-00[12]\s+ended \(exit 0\)$/.test(l))).toHaveLength(2);
    expect(w.lines).toContainEqual(expect.stringMatching(/^Jobs: 0 queued, 2 running \(2 of them ended, not yet recorded\), 0 succeeded/));
    const j = parseJsonOut<any>(await runCli(['queue-status', '--json'], { cwd: ws }));
    expect(j.running.map((r: any) => r.ended)).toEqual([
      { exit_code: 0, result_status: null },
      { exit_code: 0, result_status: null },
    ]);

    startDaemon(ws);
    await waitFor('both recorded', allDone(ws, 2), 30_000);
    const after = await runCli(['watch', '--once'], { cwd: ws });
    expect(after.lines).not.toContain('Running:');
    expect(after.lines.some((l) => l.startsWith('Ended while'))).toBe(false);
    expect(after.lines).toContainEqual(expect.stringMatching(/^Jobs: 0 queued, 0 running, 2 succeeded, 0 failed, 0 canceled/));
    expect(after.lines).toContain('Overall: 2/2 runs done (100%)');
  });
});

describe('piped watch', () => {
  it('prints one timestamped line per change and never a screen or an escape code', async () => {
    const ws = tempWorkspace();
    const watch = spawn(process.execPath, [CLI, 'watch', '--interval', '0.2', '--workspace', ws], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    watch.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    const exited = new Promise((r) => watch.on('exit', r));
    try {
      await waitFor('the first look', () => out.includes('daemon: not running'), 20_000);
      const d = startDaemon(ws);
      await waitFor('the daemon seen', () => out.includes(`daemon: not running → running (PID ${d.pid})`), 20_000);
      mkdirSync(path.join(ws, 'release'), { recursive: true });
      const gid = await enqueuePlan(ws, commandPlan(ws, 1, ['sh', '-c', 'while [ ! -e release/go ]; do sleep 0.05; done']));
      const runId = `${gid}-run-001`;
      await waitFor('the run seen running', () => out.includes(`run ${runId}: queued → running`) || out.includes(`run ${runId}: running\n`), 20_000);
      writeFileSync(path.join(ws, 'release', 'go'), '');
      await waitFor('the run seen succeeding', () => out.includes(`run ${runId}: running → succeeded`), 20_000);
      await waitFor('the group seen completing', () => out.includes(`group ${gid}: running → completed`), 20_000);
      d.kill('SIGKILL');
      await d.exited;
      await waitFor('the daemon seen dead', () => out.includes(`daemon: running (PID ${d.pid}) → dead (PID ${d.pid}: process is not running)`), 20_000);
    } finally {
      watch.kill('SIGTERM');
      await exited;
    }
    expect(out).not.toContain('\x1b');
    expect(out).not.toContain('Queue Status');
    const lines = out.trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] (daemon: |jobs: |run |group )/);
    expect(lines.filter((l) => l.includes('group ') && l.endsWith('1/1 done (100%), 0 running, 1 ok, 0 failed, 0 canceled'))).toHaveLength(1);
    // One line per change: the same line twice in a row would be a repeated screen.
    expect(lines.filter((l, i) => i > 0 && l.slice(22) === lines[i - 1]!.slice(22))).toEqual([]);
  });
});
