import { describe, expect, it } from 'vitest';
import type { Job, JobState } from '../../../src/contracts/queue.js';
import { makeJob } from '../../../src/queue/jobs.js';
import { schedule, type SchedulerContext } from '../../../src/queue/scheduler.js';

/** `g:id` queued CPU job; options for gpu, priority, state, age. */
function j(id: string, group: string | null, opts: { gpu?: boolean; prio?: number; state?: JobState; min?: number; cancel?: boolean } = {}): Job {
  const created = new Date(Date.UTC(2026, 1, 1, 10, opts.min ?? 0)).toISOString();
  return {
    ...makeJob({ jobId: id, runId: id, groupId: group, priority: opts.prio ?? 0, requiresGpu: opts.gpu ?? false, attempt: 1, createdAt: created }),
    state: opts.state ?? 'queued',
    ...(opts.cancel ? { cancel_requested: true } : {}),
  };
}

const ctx = (over: Partial<SchedulerContext> = {}): SchedulerContext => ({
  maxParallel: 2,
  gpuSlots: 1,
  pausedGroups: new Set(),
  lastServedGroup: null,
  ...over,
});

const started = (jobs: Job[], c: SchedulerContext) => schedule(jobs, c).starts.map((s) => s.job.job_id);

describe('scheduler', () => {
  it.each<[string, Job[], SchedulerContext, string[]]>([
    ['fills free slots up to max_parallel', [j('a1', 'A'), j('a2', 'A', { min: 1 }), j('a3', 'A', { min: 2 })], ctx(), ['a1', 'a2']],
    ['counts running jobs against max_parallel', [j('r', 'A', { state: 'running' }), j('a1', 'A'), j('a2', 'A')], ctx(), ['a1']],
    ['nothing when full', [j('r1', 'A', { state: 'running' }), j('r2', 'B', { state: 'running' }), j('a1', 'A')], ctx(), []],
    ['priority first, then oldest, within a group', [j('old', 'A', { min: 0 }), j('hi', 'A', { prio: 5, min: 9 }), j('new', 'A', { min: 5 })], ctx({ maxParallel: 3 }), ['hi', 'old', 'new']],
    ['at most gpu_slots GPU jobs', [j('g1', 'A', { gpu: true }), j('g2', 'A', { gpu: true, min: 1 })], ctx({ maxParallel: 4 }), ['g1']],
    ['a waiting GPU job never blocks a CPU job of its group', [j('g1', 'A', { gpu: true, state: 'running' }), j('g2', 'A', { gpu: true, prio: 9 }), j('c1', 'A')], ctx({ maxParallel: 4 }), ['c1']],
    ['a waiting GPU job never blocks other groups', [j('g', 'A', { gpu: true, state: 'running' }), j('g2', 'A', { gpu: true }), j('b1', 'B')], ctx({ maxParallel: 4, lastServedGroup: null }), ['b1']],
    ['paused groups start nothing', [j('a1', 'A'), j('b1', 'B')], ctx({ pausedGroups: new Set(['A']) }), ['b1']],
    ['cancel-requested jobs never start', [j('a1', 'A', { cancel: true }), j('a2', 'A')], ctx(), ['a2']],
    ['ungrouped jobs form one group', [j('u1', null), j('u2', null, { min: 1 }), j('a1', 'A')], ctx({ maxParallel: 3 }), ['a1', 'u1', 'u2']],
    ['without a GPU, GPU jobs need no slot', [j('g1', 'A', { gpu: true }), j('g2', 'A', { gpu: true, min: 1 })], ctx({ gpuJobsNeedSlot: false }), ['g1', 'g2']],
    ['with gpu_slots 0, GPU jobs run on the CPU', [j('g1', 'A', { gpu: true }), j('g2', 'A', { gpu: true, min: 1 })], ctx({ gpuSlots: 0 }), ['g1', 'g2']],
    ['device capacity limits GPU starts', [j('g1', 'A', { gpu: true }), j('g2', 'B', { gpu: true })], ctx({ gpuSlots: 2, gpuCapacity: 1 }), ['g1']],
  ])('%s', (_name, jobs, c, expected) => {
    expect(started(jobs, c)).toEqual(expected);
  });

  it('round-robins across three groups: a third sweep does not wait for the first two', () => {
    const jobs = [
      ...['a1', 'a2', 'a3'].map((id, i) => j(id, 'A', { min: i })),
      ...['b1', 'b2', 'b3'].map((id, i) => j(id, 'B', { min: i })),
      ...['c1', 'c2', 'c3'].map((id, i) => j(id, 'C', { min: 10 + i })),
    ];
    const d = schedule(jobs, ctx({ maxParallel: 6 }));
    expect(d.starts.map((s) => s.job.job_id)).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'c2']);
    expect(d.lastServedGroup).toBe('C');
  });

  it('one start at a time cycles A, B, C, A… through last_served_group (the original starved C)', () => {
    const jobs = ['A', 'B', 'C'].flatMap((g) => [1, 2, 3].map((i) => j(`${g}${i}`, g, { min: i })));
    const order: string[] = [];
    let last: string | null = null;
    for (let step = 0; step < 6; step++) {
      const d = schedule(jobs, ctx({ maxParallel: 1, lastServedGroup: last }));
      const s = d.starts[0]!;
      order.push(s.job.job_id);
      s.job.state = 'succeeded'; // it ran and finished before the next start
      last = d.lastServedGroup;
    }
    expect(order).toEqual(['A1', 'B1', 'C1', 'A2', 'B2', 'C2']);
  });

  it('resumes after the last served group even when that group has drained', () => {
    const jobs = [j('a1', 'A'), j('c1', 'C')];
    expect(started(jobs, ctx({ maxParallel: 1, lastServedGroup: 'B' }))).toEqual(['c1']);
  });

  it('a single run enqueued after a long sweep starts at the next free slot (G5)', () => {
    const sweep = Array.from({ length: 10 }, (_, i) => j(`s${i}`, 'grp_sweep', { min: i }));
    sweep[0]!.state = 'running';
    sweep[1]!.state = 'succeeded';
    const single = j('single', null, { min: 30 });
    expect(started([...sweep, single], ctx({ maxParallel: 2, lastServedGroup: 'grp_sweep' }))).toEqual(['single']);
  });

  /** G10's configuration: a GPU sweep (g0–g3) and a CPU sweep (c0–c3), `max_parallel 4`, `gpu_slots 1`. */
  const g10 = (gpu: JobState[], cpu: JobState[]): Job[] => [
    ...gpu.map((state, i) => j(`g${i}`, 'GPU', { gpu: true, min: i, state })),
    ...cpu.map((state, i) => j(`c${i}`, 'CPU', { min: i, state })),
  ];
  const q = 'queued' as const;
  const r = 'running' as const;
  const s = 'succeeded' as const;
  it.each<[string, Job[], string[]]>([
    ['at once: one GPU job and max_parallel − gpu_in_use = 3 CPU jobs', g10([q, q, q, q], [q, q, q, q]), ['c0', 'g0', 'c1', 'c2']],
    ['a CPU slot frees while the GPU job runs: the 4th CPU job takes it, no GPU job', g10([r, q, q, q], [s, r, r, q]), ['c3']],
    ['all four slots in use: nothing', g10([r, q, q, q], [r, r, r, q]), []],
    ['the GPU job ends while CPU jobs run: the next GPU job starts (both sweeps progress)', g10([s, q, q, q], [s, r, r, r]), ['g1']],
    ['the CPU sweep is done: still one GPU job at a time, free slots stay free', g10([s, r, q, q], [s, s, s, s]), []],
    ['the GPU sweep is done: CPU jobs fill every slot', g10([s, s, s, s], [q, q, q, q]), ['c0', 'c1', 'c2', 'c3']],
  ])('G10, --max-parallel 4 --gpu-slots 1: %s', (_name, jobs, expected) => {
    const d = schedule(jobs, ctx({ maxParallel: 4, gpuSlots: 1 }));
    expect(d.starts.map((x) => x.job.job_id)).toEqual(expected);
    // Exactly the GPU sweep's jobs hold the GPU slot.
    expect(d.starts.filter((x) => x.usesGpu).map((x) => x.job.job_id)).toEqual(expected.filter((id) => id.startsWith('g')));
  });
});
