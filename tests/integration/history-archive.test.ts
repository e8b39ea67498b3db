/**
 * The append-only history: finished jobs past the retention leave queue.json for history.jsonl in
 * the locked update, and every consumer still sees them. Old queues are written by hand, as an older
 * RunForge (or a crash at a chosen moment) leaves them.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARCHIVE_BATCH, RETAINED_FINISHED_JOBS as KEPT } from '../../src/queue/archive.js';
import { parseJsonOut, runCli } from '../helpers/cli.js';
import { groupFile, queueFile, readJson, samplePlan, tempWorkspace, writePlan, writeRun } from '../helpers/workspace.js';

const historyFile = (ws: string): string => path.join(ws, '.runforge', 'queue', 'history.jsonl');
const historyLines = (ws: string): any[] =>
  readFileSync(historyFile(ws), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));

/** A finished job that ended `i` minutes after 2026-01-01 00:00 UTC. */
function finishedJob(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const at = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
  return {
    job_id: `job_20260101_000000_${i.toString(16).padStart(12, '0')}`,
    kind: 'run',
    run_id: `old-${i}`,
    group_id: null,
    priority: 0,
    state: 'succeeded',
    requires_gpu: false,
    attempt: 1,
    created_at: at,
    started_at: at,
    finished_at: at,
    error: null,
    ...extra,
  };
}

/** queue.json as an older RunForge leaves it: every job in it. */
function writeOldQueue(ws: string, jobs: Record<string, unknown>[]): void {
  mkdirSync(path.dirname(queueFile(ws)), { recursive: true });
  writeFileSync(queueFile(ws), JSON.stringify({ version: 1, kind: 'execution_queue', max_parallel: 2, gpu_slots: 1, jobs, last_served_group: null }, null, 2));
}

/** Enough finished jobs for an update to archive: past the retention and the batch. */
const MANY = KEPT + ARCHIVE_BATCH + 50;
const oldJobs = (n: number): Record<string, unknown>[] => Array.from({ length: n }, (_, i) => finishedJob(i));

async function enqueue(ws: string, runId: string): Promise<any> {
  writeRun(ws, runId);
  const r = await runCli(['enqueue-run', '--run-id', runId, '--json'], { cwd: ws });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return parseJsonOut<{ job: any }>(r).job;
}

describe('migrating an old queue.json', () => {
  it('the first state update moves all but the newest finished jobs to history.jsonl; status and history still count them', async () => {
    const ws = tempWorkspace();
    const jobs = oldJobs(5000);
    jobs.push(finishedJob(5000, { state: 'failed', error: 'exit code 1' }), finishedJob(5001, { state: 'canceled', run_id: 'old-1', attempt: 2, finished_at: '2026-01-01T00:00:30Z' }));
    writeOldQueue(ws, jobs);

    // Read-only commands work on the old file and do not migrate it.
    const before = parseJsonOut<any>(await runCli(['queue-status', '--json'], { cwd: ws }));
    expect(before.jobs).toMatchObject({ succeeded: 5000, failed: 1, canceled: 1, total: 5002 });
    expect(existsSync(historyFile(ws))).toBe(false);

    await enqueue(ws, 'fresh');
    const q = readJson(queueFile(ws));
    // The newest KEPT finished (by finish time) stay, with every job of their runs; the queued job too.
    expect(q.jobs.filter((j: any) => j.state !== 'queued')).toHaveLength(KEPT);
    expect(q.jobs.at(-1)).toMatchObject({ run_id: 'fresh', state: 'queued', attempt: 1 });
    expect(Math.min(...q.jobs.filter((j: any) => j.run_id.startsWith('old-')).map((j: any) => Number(j.run_id.slice(4))))).toBe(5001 - KEPT);
    // old-1 finished twice (attempt 2 at 00:00:30): both its jobs are archived together.
    const archived = historyLines(ws);
    expect(archived).toHaveLength(5002 - KEPT);
    expect(archived.filter((j) => j.run_id === 'old-1').map((j) => j.attempt)).toEqual([1, 2]);
    expect(q.archived).toEqual({ succeeded: 5001 - KEPT, failed: 0, canceled: 1 });

    const status = await runCli(['queue-status', '--json'], { cwd: ws });
    const s = parseJsonOut<any>(status);
    expect(s.jobs).toEqual({ queued: 1, running: 0, succeeded: 5000, failed: 1, canceled: 1, total: 5003, waiting_for_gpu: 0 });
    expect(s.archived).toEqual({ total: 5002 - KEPT, succeeded: 5001 - KEPT, failed: 0, canceled: 1 });

    const human = await runCli(['queue-status'], { cwd: ws });
    expect(human.lines.slice(0, 7)).toEqual(['Queue Status', '  Max parallel: 2', '  Total jobs: 5003', '  Queued: 1', '  Succeeded: 5000', '  Failed: 1', '  Canceled: 1']);
    expect(human.lines).toContain('Jobs: 1 queued, 0 running, 5000 succeeded, 1 failed, 1 canceled (5003 total)');
    expect(human.lines).toContain(`History: ${5002 - KEPT} finished jobs archived in .runforge/queue/history.jsonl (counted above; runforge history lists them)`);

    const history = parseJsonOut<{ runs: any[] }>(await runCli(['history', '--json'], { cwd: ws })).runs;
    expect(history).toHaveLength(5002);
    expect(new Set(history.map((r) => r.run_id)).size).toBe(5002);
    expect(history.find((r) => r.run_id === 'old-1')).toMatchObject({ state: 'canceled', attempt: 2 });
    expect(history.find((r) => r.run_id === 'old-7')).toMatchObject({ state: 'succeeded', job_id: finishedJob(7).job_id });

    // A later update with nothing past the retention appends nothing.
    await enqueue(ws, 'fresh-2');
    expect(historyLines(ws)).toHaveLength(5002 - KEPT);
  });
});

describe('enqueue-run of an archived run', () => {
  it('gets the next attempt after the archived ones', async () => {
    const ws = tempWorkspace();
    const jobs = oldJobs(MANY);
    jobs.push(finishedJob(MANY, { run_id: 'old-3', attempt: 2, finished_at: '2026-01-01T00:03:30Z', state: 'failed', error: 'x' }));
    writeOldQueue(ws, jobs);
    await enqueue(ws, 'migrate');
    expect(readJson(queueFile(ws)).jobs.some((j: any) => j.run_id === 'old-3')).toBe(false);

    const job = await enqueue(ws, 'old-3');
    expect(job).toMatchObject({ run_id: 'old-3', attempt: 3 });
    expect((await enqueue(ws, 'old-100')).attempt).toBe(2);
    const detail = await runCli(['history', '--json'], { cwd: ws });
    expect(parseJsonOut<{ runs: any[] }>(detail).runs.find((r) => r.run_id === 'old-3')).toMatchObject({ state: 'queued', attempt: 3 });
  });
});

describe('crash safety of history.jsonl', () => {
  it('a crash between the history append and the queue write duplicates nothing', async () => {
    const ws = tempWorkspace();
    const jobs = oldJobs(MANY);
    writeOldQueue(ws, jobs);
    // As a crash leaves it: the first 10 jobs appended to the history, queue.json not yet rewritten.
    writeFileSync(historyFile(ws), jobs.slice(0, 10).map((j) => `${JSON.stringify(j)}\n`).join(''));

    const rows = parseJsonOut<{ runs: any[] }>(await runCli(['history', '--json'], { cwd: ws })).runs;
    expect(rows).toHaveLength(MANY);
    expect(parseJsonOut<any>(await runCli(['queue-status', '--json'], { cwd: ws })).jobs.total).toBe(MANY);

    await enqueue(ws, 'fresh'); // archives again, jobs 0..9 land in the history a second time
    expect(historyLines(ws)).toHaveLength(10 + MANY - KEPT);
    const after = parseJsonOut<{ runs: any[] }>(await runCli(['history', '--json'], { cwd: ws })).runs;
    expect(after).toHaveLength(MANY + 1);
    expect(new Set(after.map((r) => r.job_id)).size).toBe(MANY + 1);
    const s = parseJsonOut<any>(await runCli(['queue-status', '--json'], { cwd: ws }));
    expect(s.jobs).toMatchObject({ succeeded: MANY, queued: 1, total: MANY + 1 });
    expect(s.archived.total).toBe(MANY - KEPT);
  });

  it('a torn last line is ignored, and the next append starts on a fresh line', async () => {
    const ws = tempWorkspace();
    const jobs = oldJobs(2 * MANY - KEPT);
    writeOldQueue(ws, jobs.slice(0, MANY));
    await enqueue(ws, 'first'); // archives the oldest MANY - KEPT
    const torn = JSON.stringify(finishedJob(9999)).slice(0, 57);
    writeFileSync(historyFile(ws), readFileSync(historyFile(ws), 'utf8') + torn);

    const rows = await runCli(['history', '--json'], { cwd: ws });
    expect(rows.code).toBe(0);
    expect(parseJsonOut<{ runs: any[] }>(rows).runs).toHaveLength(MANY + 1);

    // As many finished jobs again: the next update archives again.
    const q = readJson(queueFile(ws));
    q.jobs.push(...jobs.slice(MANY));
    writeFileSync(queueFile(ws), JSON.stringify(q, null, 2));
    await enqueue(ws, 'second');
    const text = readFileSync(historyFile(ws), 'utf8');
    expect(text).not.toContain(torn);
    expect(text.endsWith('\n')).toBe(true);
    expect(historyLines(ws)).toHaveLength(2 * (MANY - KEPT));
    expect(parseJsonOut<{ runs: any[] }>(await runCli(['history', '--json'], { cwd: ws })).runs).toHaveLength(2 * MANY - KEPT + 2);
  });

  it.each([
    ['a line that is not JSON', '{"job_id":"job_x","run_id":"old-1", oops', /^Error: \.runforge\/queue\/history\.jsonl is corrupt: line 2: invalid JSON: .+ \(left unchanged; repair or move it aside\)$/],
    [
      'a job without a state',
      JSON.stringify({ ...finishedJob(1), state: undefined }),
      /^Error: \.runforge\/queue\/history\.jsonl is corrupt: line 2: state .+ \(left unchanged; repair or move it aside\)$/,
    ],
  ])('a corrupt middle line (%s): exit 4 naming file and line, files left byte-identical', async (_name, bad, message) => {
    const ws = tempWorkspace();
    writeOldQueue(ws, oldJobs(MANY).slice(3));
    writeRun(ws, 'old-1');
    writeFileSync(historyFile(ws), [finishedJob(0), null, finishedJob(2)].map((j) => (j ? JSON.stringify(j) : bad)).join('\n') + '\n');
    const queueBefore = readFileSync(queueFile(ws));
    const historyBefore = readFileSync(historyFile(ws));

    for (const args of [['history'], ['history', '--json'], ['enqueue-run', '--run-id', 'old-1']]) {
      const r = await runCli(args, { cwd: ws });
      expect(r.code).toBe(4);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    }
    expect(readFileSync(queueFile(ws)).equals(queueBefore)).toBe(true);
    expect(readFileSync(historyFile(ws)).equals(historyBefore)).toBe(true);
  });
});

describe('groups with archived runs', () => {
  async function sweep(ws: string, n: number): Promise<string> {
    const plan = samplePlan(ws, { strategy: { type: 'grid', parameters: [{ path: 'seed', values: Array.from({ length: n }, (_, i) => i + 1) }] } });
    const r = await runCli(['enqueue-sweep', '--plan', writePlan(ws, plan), '--json'], { cwd: ws });
    expect(r.code).toBe(0);
    return parseJsonOut<{ group_id: string }>(r).group_id;
  }

  /** Ends the group's jobs as a daemon would have, long ago. */
  function finishGroupLongAgo(ws: string, gid: string, states: string[]): void {
    const q = readJson(queueFile(ws));
    q.jobs.forEach((job: any, i: number) => {
      job.state = states[i];
      job.started_at = '2025-06-01T10:00:00Z';
      job.finished_at = '2025-06-01T10:01:00Z';
      if (job.state === 'failed') job.error = 'exit code 1';
    });
    expect(q.jobs.every((j: any) => j.group_id === gid)).toBe(true);
    writeFileSync(queueFile(ws), JSON.stringify(q, null, 2));
  }

  it('archiving leaves group.json untouched; retry-failed still retries failed runs whose jobs were archived', async () => {
    const ws = tempWorkspace();
    const gid = await sweep(ws, 3);
    finishGroupLongAgo(ws, gid, ['succeeded', 'failed', 'failed']);
    // group.json catches up with the queue on an update that touches the group.
    expect((await runCli(['pause-group', '--group-id', gid], { cwd: ws })).code).toBe(0);
    const groupText = readFileSync(groupFile(ws, gid), 'utf8');
    const group = JSON.parse(groupText);
    expect(group.runs.map((r: any) => r.status)).toEqual(['succeeded', 'failed', 'failed']);
    expect(group.status).toBe('failed');

    // Many newer finished jobs: the next update archives the group's jobs and leaves group.json as it was.
    const q0 = readJson(queueFile(ws));
    q0.jobs.push(...oldJobs(MANY));
    writeFileSync(queueFile(ws), JSON.stringify(q0, null, 2));
    await enqueue(ws, 'unrelated');
    expect(readJson(queueFile(ws)).jobs.some((j: any) => j.group_id === gid)).toBe(false);
    expect(historyLines(ws).filter((j) => j.group_id === gid)).toHaveLength(3);
    expect(readFileSync(groupFile(ws, gid), 'utf8')).toBe(groupText);

    // An update that syncs the group again keeps its archived runs as they were.
    expect((await runCli(['resume-group', '--group-id', gid], { cwd: ws })).code).toBe(0);
    expect(readJson(groupFile(ws, gid))).toEqual({ ...group, paused: false });
    const show = parseJsonOut<any>(await runCli(['queue-status', '--json'], { cwd: ws })).groups[0];
    expect(show).toMatchObject({ group_id: gid, status: 'failed', succeeded: 1, failed: 2, total: 3 });

    const r = await runCli(['retry-failed', '--group-id', gid], { cwd: ws });
    expect(r.code).toBe(0);
    const q = readJson(queueFile(ws));
    const retries = q.jobs.filter((j: any) => j.group_id === gid);
    expect(retries.map((j: any) => [j.run_id, j.attempt, j.state])).toEqual([
      [`${gid}-run-002`, 2, 'queued'],
      [`${gid}-run-003`, 2, 'queued'],
    ]);
    expect(r.lines).toEqual([
      `Re-enqueued 2 failed runs in group ${gid}`,
      `  ${gid}-run-002 -> ${retries[0].job_id} (attempt 2)`,
      `  ${gid}-run-003 -> ${retries[1].job_id} (attempt 2)`,
    ]);
    const after = readJson(groupFile(ws, gid));
    expect(after.runs.map((x: any) => x.status)).toEqual(['succeeded', 'queued', 'queued']);
    expect(after.status).toBe('running');
    expect((await runCli(['retry-failed', '--group-id', gid], { cwd: ws })).lines[0]).toBe(`No failed runs to retry in group ${gid}`);
  });
});
