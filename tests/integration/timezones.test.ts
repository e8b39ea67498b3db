/**
 * Time zones (SPEC §4): the original wrote naive local timestamps (`2026-02-01T21:20:47.503673`);
 * the port reads them as local time of the machine, orders by parsed instant (never by string), and
 * writes ISO-8601 with the zone's offset. The built CLI and a daemon run under TZ=America/Chicago
 * (UTC-6, UTC-5 in summer) and TZ=Asia/Kolkata (UTC+5:30, no DST).
 *
 * Every expectation below is written by hand (instants worked out in the comments) or computed by
 * `date` with the same TZ and by `Date.parse` of offset timestamps — never with src/infra/time.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '../../src/infra/time.js';
import { parseJsonOut, runCli } from '../helpers/cli.js';
import { allDone, startDaemon, waitFor } from '../helpers/daemon.js';
import { baseRequest, queueFile, readJson, tempWorkspace, writeRun } from '../helpers/workspace.js';

type Zone = 'America/Chicago' | 'Asia/Kolkata';
const ZONES: Zone[] = ['America/Chicago', 'Asia/Kolkata'];

/** `date` in `zone`: the ground truth for "local time" and "the zone's offset now". */
const dateIn = (zone: Zone, ...args: string[]): string => execFileSync('date', args, { env: { ...process.env, TZ: zone }, encoding: 'utf8' }).trim();
/** The zone's offset now, `-06:00` / `+05:30`. */
const offsetNow = (zone: Zone): string => dateIn(zone, '+%:z');
/** Naive local time (the original's format) of `secondsAgo` seconds ago in `zone`. */
const naiveLocalAgo = (zone: Zone, secondsAgo: number): string =>
  dateIn(zone, '-d', `@${Math.floor(Date.now() / 1000) - secondsAgo}`, '+%Y-%m-%dT%H:%M:%S.%6N');

const cli = (zone: Zone, args: string[]) => runCli(args, { env: { TZ: zone } });

function writeJson(file: string, doc: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
}

function job(jobId: string, runId: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { job_id: jobId, kind: 'run', run_id: runId, group_id: null, priority: 0, state: 'queued', requires_gpu: false, attempt: 1, started_at: null, finished_at: null, error: null, ...fields };
}

function writeQueue(ws: string, jobs: Record<string, unknown>[]): void {
  writeJson(queueFile(ws), { version: 1, kind: 'execution_queue', max_parallel: 1, gpu_slots: 0, jobs, last_served_group: null });
}

function group(gid: string, createdAt: string): Record<string, unknown> {
  return {
    version: 1, kind: 'run_group', group_id: gid, created_at: createdAt, created_by: 'runforge@0.4.0', name: gid, notes: null, plan_ref: 'plan.json', status: 'completed',
    execution: { max_parallel: 1, started_at: createdAt, finished_at: createdAt, cancelled: false },
    runs: [], summary: { total: 0, succeeded: 0, failed: 0, canceled: 0, best_run_id: null, best_primary_metric: null }, paused: false,
  };
}

/** An offset timestamp the port wrote: the zone's offset, and an instant within [fromMs, toMs]. */
function expectWrittenNow(ts: unknown, zone: Zone, fromMs: number, toMs: number): void {
  expect(ts).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/);
  expect((ts as string).slice(-6)).toBe(offsetNow(zone));
  const ms = Date.parse(ts as string);
  expect(ms).toBeGreaterThanOrEqual(fromMs - 1);
  expect(ms).toBeLessThanOrEqual(toMs + 1);
}

/**
 * Finished jobs without result.json, so durations come from started_at/finished_at:
 * - naive-run: naive start 21:20:47.503673 Feb 1 = 03:20:47.503Z Feb 2 in Chicago (-6), 15:50:47.503Z Feb 1
 *   in Kolkata (+5:30); ends 03:25:47.503Z Feb 2 → 5 min / 11 h 35 min.
 * - offset-run: starts 21:30+05:30 = 16:00Z Feb 1; naive end 22:00 Feb 1 = 04:00Z Feb 2 (Chicago) / 16:30Z
 *   Feb 1 (Kolkata) → 12 h / 30 min.
 * - utc-run: 20:00:00Z → 20:00:30.250-06:00 (02:00:30.250Z Feb 2) → 6 h 0 min 30.25 s in either zone.
 * - dst-run: naive noon Mar 7 → naive noon Mar 8; Chicago moves to CDT (-5) at 02:00 on Mar 8, so
 *   18:00Z → 17:00Z is 23 h there; 24 h in Kolkata.
 */
const FINISHED = [
  job('job_1', 'naive-run', { state: 'succeeded', created_at: '2026-02-01T21:20:00.000000', started_at: '2026-02-01T21:20:47.503673', finished_at: '2026-02-02T03:25:47.503Z' }),
  job('job_2', 'offset-run', { state: 'failed', created_at: '2026-02-01T21:00:00+05:30', started_at: '2026-02-01T21:30:00.000+05:30', finished_at: '2026-02-01T22:00:00.000000', error: 'boom' }),
  job('job_3', 'utc-run', { state: 'succeeded', created_at: '2026-02-01T19:59:00Z', started_at: '2026-02-01T20:00:00Z', finished_at: '2026-02-01T20:00:30.250-06:00' }),
  job('job_4', 'dst-run', { state: 'succeeded', created_at: '2026-03-07T11:00:00.000000', started_at: '2026-03-07T12:00:00.000000', finished_at: '2026-03-08T12:00:00.000000' }),
];
const EXPECTED_HISTORY: Record<Zone, [string, number][]> = {
  // Newest start first. dst-run (March) is the newest in both zones.
  'America/Chicago': [['dst-run', 82_800_000], ['naive-run', 300_000], ['utc-run', 21_630_250], ['offset-run', 43_200_000]],
  'Asia/Kolkata': [['dst-run', 86_400_000], ['utc-run', 21_630_250], ['offset-run', 1_800_000], ['naive-run', 41_700_000]],
};

/** Groups created 21:20:47.503673 (naive) and 21:30+05:30 (16:00Z): oldest first is b, a in Chicago, a, b in Kolkata. */
const EXPECTED_GROUP_ORDER: Record<Zone, string[]> = {
  'America/Chicago': ['grp_b_offset', 'grp_a_naive'],
  'Asia/Kolkata': ['grp_a_naive', 'grp_b_offset'],
};

/**
 * Queued jobs of equal priority, listed in queue.json as job_a, job_b, job_c:
 * job_a 00:00Z Feb 2; job_b naive 21:20:47.503673 Feb 1 (03:20:47Z Feb 2 in Chicago, 15:50:47Z Feb 1 in
 * Kolkata); job_c 21:30+05:30 Feb 1 = 16:00Z Feb 1. Oldest first: c, a, b in Chicago; b, c, a in Kolkata.
 * (By string: b, c, a — right in Kolkata only; naive read as UTC, 21:20Z: c, b, a — right nowhere.)
 */
const START_ORDER: Record<Zone, string[]> = {
  'America/Chicago': ['job_c', 'job_a', 'job_b'],
  'Asia/Kolkata': ['job_b', 'job_c', 'job_a'],
};

describe.each(ZONES)('TZ=%s', (zone) => {
  it('history: durations from naive and offset timestamps, newest start first, times shown as written', async () => {
    const ws = tempWorkspace();
    writeQueue(ws, FINISHED);
    const r = await cli(zone, ['history', '--json', '--workspace', ws]);
    expect(r.code).toBe(0);
    const rows = parseJsonOut<{ runs: { run_id: string; duration_ms: number; started_at: string }[] }>(r).runs;
    expect(rows.map((row) => [row.run_id, row.duration_ms])).toEqual(EXPECTED_HISTORY[zone]);
    expect(rows.find((row) => row.run_id === 'naive-run')!.started_at).toBe('2026-02-01T21:20:47.503673');

    const text = await cli(zone, ['history', '--workspace', ws]);
    expect(text.code).toBe(0);
    const naiveLine = text.lines.find((l) => l.startsWith('naive-run '))!;
    expect(naiveLine.split(/\s{2,}/)).toEqual(
      zone === 'America/Chicago'
        ? ['naive-run', 'succeeded', 'daemon', '1', '-', '300.0s', '—', '2026-02-01T21:20:47.503673']
        : ['naive-run', 'succeeded', 'daemon', '1', '-', '41700.0s', '—', '2026-02-01T21:20:47.503673'],
    );
  });

  it('groups: oldest created first by instant', async () => {
    const ws = tempWorkspace();
    writeQueue(ws, []);
    writeJson(path.join(ws, '.runforge', 'groups', 'grp_a_naive', 'group.json'), group('grp_a_naive', '2026-02-01T21:20:47.503673'));
    writeJson(path.join(ws, '.runforge', 'groups', 'grp_b_offset', 'group.json'), group('grp_b_offset', '2026-02-01T21:30:00.000+05:30'));
    const groups = await cli(zone, ['groups', '--json', '--workspace', ws]);
    expect(groups.code).toBe(0);
    expect(parseJsonOut<{ groups: { group_id: string }[] }>(groups).groups.map((g) => g.group_id)).toEqual(EXPECTED_GROUP_ORDER[zone]);
    const status = parseJsonOut<{ groups: { group_id: string }[] }>(await cli(zone, ['queue-status', '--json', '--workspace', ws]));
    expect(status.groups.map((g) => g.group_id)).toEqual(EXPECTED_GROUP_ORDER[zone]);
  });

  it("queue-status: a naive heartbeat 40 s old in the zone's local time is 40 s old (stale)", async () => {
    const ws = tempWorkspace();
    writeQueue(ws, []);
    const beat = naiveLocalAgo(zone, 40);
    writeJson(path.join(ws, '.runforge', 'queue', 'daemon.json'), {
      version: 1, pid: 4242, started_at: naiveLocalAgo(zone, 600), last_heartbeat: beat,
      max_parallel: 2, gpu_slots: 1, active_jobs: 0, active_gpu_jobs: 0, state: 'running',
    });
    const s = parseJsonOut<any>(await cli(zone, ['queue-status', '--json', '--workspace', ws]));
    expect(s.daemon).toMatchObject({ health: 'stale', healthy: false, last_heartbeat: beat });
    expect(s.daemon.heartbeat_age_s).toBeGreaterThanOrEqual(39);
    expect(s.daemon.heartbeat_age_s).toBeLessThan(120); // not 5.5 or 6 hours: the CLI may be slow on a loaded machine
    const text = await cli(zone, ['queue-status', '--workspace', ws]);
    expect(text.lines).toContain(`  Last heartbeat: ${beat}`);
    expect(text.lines).toContainEqual(expect.stringMatching(/^ {2}Daemon: WARNING stale heartbeat \(PID 4242, heartbeat (\d{2}s|[12]m) ago\)/));
  });

  it("enqueue-run writes created_at with the zone's offset", async () => {
    const ws = tempWorkspace();
    writeRun(ws, 'r1', baseRequest({ command: ['true'] }));
    const before = Date.now();
    expect((await cli(zone, ['enqueue-run', '--run-id', 'r1', '--workspace', ws])).code).toBe(0);
    const after = Date.now();
    const [queued] = readJson(queueFile(ws)).jobs;
    expectWrittenNow(queued.created_at, zone, before, after);
  });

  it("the daemon starts equal-priority jobs oldest instant first, and writes times with the zone's offset", async () => {
    const ws = tempWorkspace();
    for (const run of ['run-a', 'run-b', 'run-c']) writeRun(ws, run, baseRequest({ command: ['sh', '-c', 'exit 0'] }));
    writeQueue(ws, [
      job('job_a', 'run-a', { created_at: '2026-02-02T00:00:00Z' }),
      job('job_b', 'run-b', { created_at: '2026-02-01T21:20:47.503673' }),
      job('job_c', 'run-c', { created_at: '2026-02-01T21:30:00.000+05:30' }),
    ]);
    const before = Date.now();
    const daemon = startDaemon(ws, ['--max-parallel', '1'], { TZ: zone });
    const jobs = await waitFor('three jobs done', allDone(ws, 3), 60_000);
    await daemon.waitForLine(/JOB_DONE job_\w+ run_id=run-\w+ status=succeeded/);
    const started = [...daemon.output().matchAll(/\[RF:QUEUE=JOB_STARTED (\S+) run_id=/g)].map((m) => m[1]);
    expect(started).toEqual(START_ORDER[zone]);
    const status = readJson(path.join(ws, '.runforge', 'queue', 'daemon.json'));
    daemon.kill();
    await daemon.exited;
    const after = Date.now();

    for (const j of jobs) {
      expect(j.state).toBe('succeeded');
      expectWrittenNow(j.started_at, zone, before, after);
      expectWrittenNow(j.finished_at, zone, before, after);
      expect(Date.parse(j.finished_at)).toBeGreaterThanOrEqual(Date.parse(j.started_at));
      // result.json keeps UTC to the second (SPEC §5).
      const result = readJson(path.join(ws, '.ml', 'runs', j.run_id, 'result.json'));
      expect(result.finished_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(Date.parse(result.finished_at)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(Date.parse(result.finished_at)).toBeLessThanOrEqual(after);
    }
    // Each job started after the one before it finished (max-parallel 1), by instant.
    const byStart = START_ORDER[zone].map((id) => jobs.find((j: any) => j.job_id === id));
    for (let i = 1; i < byStart.length; i++) expect(Date.parse(byStart[i].started_at)).toBeGreaterThanOrEqual(Date.parse(byStart[i - 1].finished_at));
    expectWrittenNow(status.started_at, zone, before, after);
    expectWrittenNow(status.last_heartbeat, zone, before, after);
  });
});

describe('one process whose TZ changes', () => {
  it('reads a naive timestamp in the zone of the moment; an offset one is the same instant in any zone', () => {
    const saved = process.env.TZ;
    try {
      // Hand-worked: 21:20:47.503 CST (-6) = 03:20:47.503Z Feb 2; IST (+5:30) = 15:50:47.503Z Feb 1.
      process.env.TZ = 'America/Chicago';
      expect(parseTimestamp('2026-02-01T21:20:47.503673')).toBe(Date.UTC(2026, 1, 2, 3, 20, 47, 503));
      expect(parseTimestamp('2026-02-01T21:30:00.000+05:30')).toBe(Date.UTC(2026, 1, 1, 16, 0, 0));
      process.env.TZ = 'Asia/Kolkata';
      expect(parseTimestamp('2026-02-01T21:20:47.503673')).toBe(Date.UTC(2026, 1, 1, 15, 50, 47, 503));
      expect(parseTimestamp('2026-02-01T21:30:00.000+05:30')).toBe(Date.UTC(2026, 1, 1, 16, 0, 0));
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});
