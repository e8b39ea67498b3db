import { describe, expect, it } from 'vitest';
import type { Job, JobState } from '../../../src/contracts/queue.js';
import { newGroupRecord, syncGroupWithQueue } from '../../../src/queue/group-record.js';
import { makeJob } from '../../../src/queue/jobs.js';
import { defaultGoal, type MetricGoal } from '../../../src/queue/primary-metric.js';

const T0 = '2026-02-01T10:00:00.000+00:00';
const T1 = '2026-02-01T11:00:00.000+00:00';

function group(runIds: string[]) {
  return newGroupRecord({
    groupId: 'g1',
    name: 'sweep',
    notes: null,
    createdAt: T0,
    createdBy: 'runforge@0.5.0',
    maxParallel: 2,
    planRef: 'plan.json',
    runs: runIds.map((runId) => ({ runId, overrides: { x: runId } })),
  });
}

function job(runId: string, state: JobState, attempt = 1, createdAt = T0): Job {
  return { ...makeJob({ jobId: `j-${runId}-${attempt}`, runId, groupId: 'g1', priority: 0, requiresGpu: false, attempt, createdAt }), state };
}

/** Metrics without a goal get the one their name implies (as a result.json written before goals). */
const sync = (g: ReturnType<typeof group>, jobs: Job[], metrics?: Map<string, { name: string; value: number; goal?: MetricGoal } | null>) =>
  syncGroupWithQueue(g, jobs, {
    now: T1,
    metrics: metrics && new Map([...metrics].map(([k, m]) => [k, m && { ...m, goal: m.goal ?? defaultGoal(m.name) }])),
    resultRef: (r) => `.ml/runs/${r}/result.json`,
  });

describe('group status follows the queue', () => {
  it.each<[string, JobState[], string]>([
    ['all queued', ['queued', 'queued'], 'running'],
    ['one still running', ['succeeded', 'running'], 'running'],
    ['all succeeded', ['succeeded', 'succeeded'], 'completed'],
    ['a failure', ['succeeded', 'failed'], 'failed'],
    ['a cancel wins over a failure', ['canceled', 'failed'], 'canceled'],
    ['a cancel with successes', ['succeeded', 'canceled'], 'canceled'],
  ])('%s → %s', (_name, states, expected) => {
    const g = sync(group(['a', 'b']), [job('a', states[0]!), job('b', states[1]!)]);
    expect(g.status).toBe(expected);
    expect(g.runs.map((r) => r.status)).toEqual(states);
  });

  it('a new group is running with pending runs', () => {
    const g = group(['a']);
    expect(g.status).toBe('running');
    expect(g.runs[0]!.status).toBe('pending');
    expect(g.summary.total).toBe(1);
  });

  it('a run entry follows its newest job (a retry)', () => {
    const g = sync(group(['a']), [job('a', 'failed', 1), job('a', 'queued', 2)]);
    expect(g.runs[0]!.status).toBe('queued');
    expect(g.status).toBe('running');
    expect(g.execution.finished_at).toBeNull();
  });

  it('sets finished_at when terminal and the result ref of finished runs', () => {
    const g = sync(group(['a']), [job('a', 'succeeded')]);
    expect(g.execution.finished_at).toBe(T1);
    expect(g.runs[0]!.result_ref).toBe('.ml/runs/a/result.json');
  });

  it('adds runs enqueued into the group by hand', () => {
    const g = sync(group(['a']), [job('a', 'queued'), job('extra', 'queued')]);
    expect(g.runs.map((r) => r.run_id)).toEqual(['a', 'extra']);
    expect(g.summary.total).toBe(2);
  });

  it('picks the best run by highest metric, lowest for loss', () => {
    const metrics = new Map([
      ['a', { name: 'accuracy', value: 0.8 }],
      ['b', { name: 'accuracy', value: 0.9 }],
    ]);
    const g = sync(group(['a', 'b']), [job('a', 'succeeded'), job('b', 'succeeded')], metrics);
    expect(g.summary).toMatchObject({ succeeded: 2, best_run_id: 'b', best_primary_metric: 0.9 });

    const losses = new Map([
      ['a', { name: 'loss', value: 0.2 }],
      ['b', { name: 'loss', value: 0.5 }],
    ]);
    const h = sync(group(['a', 'b']), [job('a', 'succeeded'), job('b', 'succeeded')], losses);
    expect(h.summary).toMatchObject({ best_run_id: 'a', best_primary_metric: 0.2 });
  });

  it.each<[string, MetricGoal, string, number]>([
    ['a chosen metric to minimize', 'minimize', 'b', 0.31],
    ['a chosen metric to maximize', 'maximize', 'a', 0.92],
  ])('follows the goal of the group\'s metric: %s', (_n, goal, best, value) => {
    const g = { ...group(['a', 'b', 'c']), metric: { name: 'score', goal } };
    const metrics = new Map([
      ['a', { name: 'score', value: 0.92, goal }],
      ['b', { name: 'score', value: 0.31, goal }],
      ['c', null],
    ]);
    const h = sync(g, [job('a', 'succeeded'), job('b', 'succeeded'), job('c', 'succeeded')], metrics);
    expect(h.summary).toMatchObject({ best_run_id: best, best_primary_metric: value });
    expect(h.runs.map((r) => [r.primary_metric, r.primary_metric_name, r.primary_metric_goal])).toEqual([
      [0.92, 'score', goal],
      [0.31, 'score', goal],
      [null, undefined, undefined],
    ]);
  });

  it('failed runs never become the best run', () => {
    const metrics = new Map([['a', { name: 'accuracy', value: 0.99 }]]);
    const g = sync(group(['a']), [job('a', 'failed')], metrics);
    expect(g.summary.best_run_id).toBeNull();
  });
});
