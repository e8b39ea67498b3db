import { describe, expect, it } from 'vitest';
import { emptyQueue, type Job, type JobState } from '../../../src/contracts/queue.js';
import { countByState, makeJob, newestJobByRun } from '../../../src/queue/jobs.js';
import { cancelGroupJobs, retryFailedJobs } from '../../../src/queue/transitions.js';
import { formatJobId, formatSweepRunId, uniqueId } from '../../../src/queue/ids.js';

const T = '2026-02-01T10:00:00.000+00:00';
let n = 0;
function job(runId: string, state: JobState, extra: Partial<Job> = {}): Job {
  n++;
  return { ...makeJob({ jobId: `j${n}`, runId, groupId: 'g', priority: 3, requiresGpu: true, attempt: 1, createdAt: T }), state, ...extra };
}

describe('job transitions', () => {
  it('cancel: queued jobs end at once, running ones are flagged, other groups untouched', () => {
    const q = emptyQueue();
    q.jobs.push(job('a', 'queued'), job('b', 'running'), job('c', 'succeeded'), job('d', 'queued', { group_id: 'other' }));
    const out = cancelGroupJobs(q, 'g', T);
    expect(out.canceled.map((j) => j.run_id)).toEqual(['a']);
    expect(out.flagged.map((j) => j.run_id)).toEqual(['b']);
    expect(q.jobs.map((j) => j.state)).toEqual(['canceled', 'running', 'succeeded', 'queued']);
    expect(q.jobs[1]!.cancel_requested).toBe(true);
    expect(q.jobs[0]!.finished_at).toBe(T);
  });

  it('retry: one new job per failed run, attempt + 1, same priority and GPU need', () => {
    const q = emptyQueue();
    q.jobs.push(job('a', 'failed'), job('b', 'succeeded'), job('c', 'failed'), job('c', 'queued', { attempt: 2 }));
    let i = 0;
    const added = retryFailedJobs(q, 'g', () => `new${++i}`, T);
    expect(added.map((j) => [j.run_id, j.attempt, j.priority, j.requires_gpu, j.state])).toEqual([['a', 2, 3, true, 'queued']]);
    // Retrying again adds nothing: run a now has a queued job.
    expect(retryFailedJobs(q, 'g', () => `new${++i}`, T)).toEqual([]);
  });

  it('newest job per run is the highest attempt', () => {
    const jobs = [job('a', 'failed', { attempt: 2 }), job('a', 'succeeded', { attempt: 1 })];
    expect(newestJobByRun(jobs).get('a')!.attempt).toBe(2);
  });

  it('counts jobs by state', () => {
    expect(countByState([job('a', 'queued'), job('b', 'queued'), job('c', 'failed')])).toEqual({
      queued: 2, running: 0, succeeded: 0, failed: 1, canceled: 0,
    });
  });
});

describe('ids', () => {
  it('job ids keep the original prefix and add a random part', () => {
    expect(formatJobId(new Date(2026, 1, 1, 21, 20, 47).getTime(), 'a1b2c3d4e5f6')).toBe('job_20260201_212047_a1b2c3d4e5f6');
  });

  it('sweep run ids are numbered within their unique group, padded to the sweep size', () => {
    expect(formatSweepRunId('grp_x', 0, 4)).toBe('grp_x-run-001');
    expect(formatSweepRunId('grp_x', 9999, 10000)).toBe('grp_x-run-10000');
    expect(formatSweepRunId('grp_x', 41, 10000)).toBe('grp_x-run-00042');
  });

  it('uniqueId draws again on a collision', () => {
    const taken = new Set(['a']);
    const draws = ['a', 'a', 'b'];
    expect(uniqueId(() => draws.shift()!, taken)).toBe('b');
    expect(taken.has('b')).toBe(true);
  });
});
