import { describe, expect, it } from 'vitest';
import type { Job, JobState } from '../../../src/contracts/queue.js';
import { addArchivedCounts, mergeArchived, selectArchivable } from '../../../src/queue/archive.js';
import { makeJob } from '../../../src/queue/jobs.js';

/** A job of run `run` that finished at minute `minute` (queued/running: not finished). */
function job(id: string, run: string, state: JobState, minute = 0, attempt = 1): Job {
  const at = new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
  const finished = state !== 'queued' && state !== 'running';
  return { ...makeJob({ jobId: id, runId: run, groupId: null, priority: 0, requiresGpu: false, attempt, createdAt: at }), state, finished_at: finished ? at : null };
}

const ids = (jobs: readonly Job[]): string[] => jobs.map((j) => j.job_id);

describe('selectArchivable (retain 2, batch 1)', () => {
  it.each([
    ['at or below retention + batch nothing moves', [job('a', 'ra', 'succeeded', 1), job('b', 'rb', 'failed', 2), job('c', 'rc', 'canceled', 3)], [], ['a', 'b', 'c']],
    [
      'past it the runs of the oldest-finished jobs move, in file order',
      [job('a', 'ra', 'succeeded', 4), job('b', 'rb', 'failed', 1), job('c', 'rc', 'succeeded', 3), job('d', 'rd', 'succeeded', 2)],
      ['b', 'd'],
      ['a', 'c'],
    ],
    [
      'active jobs stay, and so does every job of a run that has one',
      [job('a', 'ra', 'failed', 1), job('q', 'rq', 'queued'), job('b', 'ra', 'running'), job('c', 'rc', 'succeeded', 2), job('d', 'rd', 'succeeded', 3), job('e', 're', 'succeeded', 4)],
      ['c'],
      ['a', 'q', 'b', 'd', 'e'],
    ],
    [
      "a run moves whole: an older attempt stays while the run's newer attempt is kept",
      [job('a1', 'ra', 'failed', 1), job('b', 'rb', 'succeeded', 2), job('c', 'rc', 'succeeded', 3), job('a2', 'ra', 'succeeded', 5, 2)],
      ['b'],
      ['a1', 'c', 'a2'],
    ],
  ])('%s', (_name, jobs, archived, kept) => {
    const split = selectArchivable(jobs, 2, 1);
    expect(ids(split.archive)).toEqual(archived);
    expect(ids(split.keep)).toEqual(kept);
  });
});

describe('archived counts and de-duplication', () => {
  it('adds moved jobs by state, keeping unknown fields', () => {
    const counts = addArchivedCounts({ succeeded: 1, failed: 0, canceled: 2, extra: 'x' } as never, [
      job('a', 'ra', 'succeeded'),
      job('b', 'rb', 'failed'),
    ]);
    expect(counts).toEqual({ succeeded: 2, failed: 1, canceled: 2, extra: 'x' });
    expect(addArchivedCounts(undefined, [])).toEqual({ succeeded: 0, failed: 0, canceled: 0 });
  });

  it('queue.json wins over the history, and the last of repeated history lines wins', () => {
    const inQueue = job('a', 'ra', 'succeeded', 1);
    const first = job('b', 'rb', 'failed', 1);
    const again = { ...first, error: 'later copy' };
    const merged = mergeArchived([inQueue], [{ ...inQueue, error: 'stale copy' }, first, again, job('c', 'rc', 'canceled')]);
    expect(merged.map((j) => [j.job_id, j.error])).toEqual([
      ['b', 'later copy'],
      ['c', null],
    ]);
  });
});
