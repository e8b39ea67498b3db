/** queue/reconcile.ts: which groups an update touched, their records synced, and the jobs archived. */
import { describe, expect, it } from 'vitest';
import { emptyQueue } from '../../../src/contracts/empty-queue.js';
import type { Group } from '../../../src/contracts/group.js';
import type { Job, JobState, Queue } from '../../../src/contracts/queue.js';
import { ARCHIVE_BATCH, RETAINED_FINISHED_JOBS } from '../../../src/queue/archive.js';
import { newGroupRecord } from '../../../src/queue/group-record.js';
import { makeJob } from '../../../src/queue/jobs.js';
import type { PrimaryMetric } from '../../../src/queue/primary-metric.js';
import { fingerprintJobs, groupsToReconcile, jobFingerprint, reconcile } from '../../../src/queue/reconcile.js';

const NOW = '2026-01-01T12:00:00Z';
const resultRef = (runId: string): string => `.ml/runs/${runId}/result.json`;

function job(id: string, run: string, group: string | null, state: JobState = 'queued', minute = 0): Job {
  const at = new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
  const finished = state !== 'queued' && state !== 'running';
  return { ...makeJob({ jobId: id, runId: run, groupId: group, priority: 0, requiresGpu: false, attempt: 1, createdAt: at }), state, finished_at: finished ? at : null };
}
const queueOf = (jobs: Job[]): Queue => ({ ...emptyQueue(), jobs });
const record = (groupId: string, runIds: string[]): Group =>
  newGroupRecord({ groupId, name: groupId, notes: null, createdAt: NOW, createdBy: 'test', maxParallel: 2, planRef: null, runs: runIds.map((runId) => ({ runId, overrides: {} })) });

describe('groupsToReconcile', () => {
  type Change = (jobs: Job[]) => Job[];
  it.each<[string, Change, string[], string[]]>([
    ['nothing changed: nothing to reconcile', (jobs) => jobs, [], []],
    ['a job that changed state names its group', (jobs) => ((jobs[0]!.state = 'running'), jobs), [], ['g1']],
    ['cancel requested is a change', (jobs) => ((jobs[1]!.cancel_requested = true), jobs), [], ['g2']],
    ['a retry (attempt + 1) is a change', (jobs) => ((jobs[1]!.attempt = 2), jobs), [], ['g2']],
    ['a new job names its group', (jobs) => [...jobs, job('j4', 'r4', 'g3')], [], ['g3']],
    ['an ungrouped job names none', (jobs) => ((jobs[2]!.state = 'failed'), jobs), [], []],
    ['a touched group is reconciled though no job of it changed', (jobs) => jobs, ['g9'], ['g9']],
    ['a change that ends as it began is no change', (jobs) => ((jobs[0]!.error = 'x'), jobs), [], []],
  ])('%s', (_name, change, touched, expected) => {
    const jobs = [job('j1', 'r1', 'g1'), job('j2', 'r2', 'g2'), job('j3', 'r3', null)];
    const before = fingerprintJobs(jobs);
    expect([...groupsToReconcile(change(jobs), before, new Set(touched))].sort()).toEqual(expected);
  });

  it('the fingerprint follows state, cancel request and attempt', () => {
    const a = job('j', 'r', 'g');
    const variants = [a, { ...a, state: 'running' as const }, { ...a, cancel_requested: true }, { ...a, attempt: 2 }];
    expect(new Set(variants.map(jobFingerprint)).size).toBe(4);
  });
});

describe('reconcile', () => {
  const metric: PrimaryMetric = { name: 'accuracy', goal: 'maximize', value: 0.9 };
  it.each<[string, Job[], Record<string, string[] | null>, Record<string, { status: string; runs: [string, string][]; created_by?: string }>]>([
    [
      'a run entry follows its newest job',
      [job('j1', 'r1', 'g1', 'succeeded', 1), job('j2', 'r2', 'g1', 'running')],
      { g1: ['r1', 'r2'] },
      { g1: { status: 'running', runs: [['r1', 'succeeded'], ['r2', 'running']] } },
    ],
    [
      'a group whose runs all ended is terminal (failed over completed)',
      [job('j1', 'r1', 'g1', 'succeeded', 1), job('j2', 'r2', 'g1', 'failed', 2)],
      { g1: ['r1', 'r2'] },
      { g1: { status: 'failed', runs: [['r1', 'succeeded'], ['r2', 'failed']] } },
    ],
    [
      'a group with no record yet gets one, with the run its job names',
      [job('j1', 'r1', 'gx', 'queued')],
      { gx: null },
      { gx: { status: 'running', runs: [['r1', 'queued']], created_by: 'runforge@test' } },
    ],
    [
      'a run enqueued into an existing group is added to it',
      [job('j1', 'r1', 'g1', 'succeeded', 1), job('j9', 'r9', 'g1', 'queued')],
      { g1: ['r1'] },
      { g1: { status: 'running', runs: [['r1', 'succeeded'], ['r9', 'queued']] } },
    ],
  ])('%s', (_name, jobs, given, expected) => {
    const groups = new Map(Object.entries(given).map(([id, runs]) => [id, runs ? record(id, runs) : undefined]));
    const out = reconcile({ queue: queueOf(jobs), groups, metrics: new Map([['r1', metric]]), now: NOW, createdBy: 'runforge@test', resultRef });
    const shown = Object.fromEntries(
      out.groups.map((g) => [g.group_id, { status: g.status, runs: g.runs.map((r) => [r.run_id, r.status]), ...(given[g.group_id] ? {} : { created_by: g.created_by }) }]),
    );
    expect(shown).toEqual(expected);
    expect(out.archive).toEqual([]);
    expect(out.jobs).toEqual(jobs);
  });

  it("records a finished run's metric and result in its entry", () => {
    const out = reconcile({
      queue: queueOf([job('j1', 'r1', 'g1', 'succeeded', 1)]),
      groups: new Map([['g1', record('g1', ['r1'])]]),
      metrics: new Map([['r1', metric]]),
      now: NOW,
      createdBy: 'x',
      resultRef,
    });
    expect(out.groups[0]!.runs[0]).toMatchObject({ status: 'succeeded', primary_metric: 0.9, primary_metric_name: 'accuracy', result_ref: '.ml/runs/r1/result.json' });
    expect(out.groups[0]!.summary.best_run_id).toBe('r1');
  });

  it.each([
    ['at the retention plus a batch nothing is archived', RETAINED_FINISHED_JOBS + ARCHIVE_BATCH, 0],
    ['one past it, the oldest finished runs leave (down to the retention)', RETAINED_FINISHED_JOBS + ARCHIVE_BATCH + 1, ARCHIVE_BATCH + 1],
  ])('%s', (_name, finished, archivedCount) => {
    const jobs = Array.from({ length: finished }, (_, i) => job(`j${i}`, `r${i}`, 'g1', i % 2 ? 'succeeded' : 'failed', i));
    jobs.push(job('jq', 'rq', 'g1', 'queued'));
    const out = reconcile({
      queue: { ...queueOf(jobs), archived: { succeeded: 5, failed: 0, canceled: 0 } },
      groups: new Map([['g1', undefined]]),
      metrics: new Map(),
      now: NOW,
      createdBy: 'x',
      resultRef,
    });
    expect(out.archive).toHaveLength(archivedCount);
    // The oldest go, in queue order; nothing is lost: kept + archived = all.
    expect(out.archive.map((j) => j.job_id)).toEqual(jobs.slice(0, archivedCount).map((j) => j.job_id));
    expect([...out.jobs, ...out.archive].map((j) => j.job_id).sort()).toEqual(jobs.map((j) => j.job_id).sort());
    expect(out.jobs.at(-1)!.job_id).toBe('jq');
    const moved = (s: JobState): number => out.archive.filter((j) => j.state === s).length;
    expect(out.archived).toEqual(archivedCount ? { succeeded: 5 + moved('succeeded'), failed: moved('failed'), canceled: 0 } : { succeeded: 5, failed: 0, canceled: 0 });
    // The group record was synced with every job, archived ones included: each run has its entry.
    expect(out.groups[0]!.runs).toHaveLength(finished + 1);
  });
});
