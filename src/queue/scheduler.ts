/**
 * The scheduler (SPEC §7), a pure function: a queue snapshot and the daemon's context in, the jobs to
 * start now out. No I/O, no clock.
 *
 * - At most `maxParallel` jobs run at once; at most `gpuSlots` of them hold a GPU slot.
 * - A GPU job waiting for a GPU slot never blocks a CPU job (of its own group or another).
 * - Paused groups start nothing; jobs flagged `cancel_requested` never start.
 * - Within a group: priority descending, then oldest first (then queue order).
 * - Across groups: round-robin in a stable order (group ids sorted; ungrouped jobs form the group
 *   `__ungrouped__`): after serving group A the next start goes to the next group after A that has an
 *   eligible job. Port difference: the original only avoided serving the same group twice in a row,
 *   which starves a third group.
 */
import { UNGROUPED } from '../contracts/constants.js';
import type { Job } from '../contracts/queue.js';
import { parseTimestamp } from '../infra/time.js';

export interface SchedulerContext {
  maxParallel: number;
  gpuSlots: number;
  pausedGroups: ReadonlySet<string>;
  lastServedGroup: string | null;
  /**
   * Whether a job asking for a GPU needs a GPU slot. False when the machine has no GPU (such jobs
   * run on the CPU, `gpu_reason: no_gpu_detected`) or when `gpuSlots` is 0 (`gpu_slot_unavailable`).
   * Default true.
   */
  gpuJobsNeedSlot?: boolean;
  /** Free GPU capacity besides the slot count (e.g. devices under their per-device cap). Default: unlimited. */
  gpuCapacity?: number;
}

export interface ScheduledStart {
  job: Job;
  /** The job holds a GPU slot (runs on a GPU). */
  usesGpu: boolean;
}

export interface ScheduleDecision {
  starts: ScheduledStart[];
  /** The group served last after these starts (to be stored as `last_served_group`). */
  lastServedGroup: string | null;
}

export const groupKey = (job: Job): string => job.group_id ?? UNGROUPED;

/** Orders jobs within a group: priority descending, then oldest, then queue order. */
function compareWithinGroup(a: { job: Job; index: number; created: number }, b: { job: Job; index: number; created: number }): number {
  return b.job.priority - a.job.priority || a.created - b.created || a.index - b.index;
}

/** Whether a job holds a GPU slot while it runs, given the context. */
export function usesGpuSlot(job: Job, ctx: Pick<SchedulerContext, 'gpuJobsNeedSlot' | 'gpuSlots'>): boolean {
  return job.requires_gpu && (ctx.gpuJobsNeedSlot ?? true) && ctx.gpuSlots > 0;
}

export function schedule(jobs: readonly Job[], ctx: SchedulerContext): ScheduleDecision {
  const running = jobs.filter((j) => j.state === 'running');
  let free = ctx.maxParallel - running.length;
  let gpuFree = Math.min(
    ctx.gpuSlots - running.filter((j) => usesGpuSlot(j, ctx)).length,
    ctx.gpuCapacity ?? Number.POSITIVE_INFINITY,
  );
  let lastServed = ctx.lastServedGroup;
  const starts: ScheduledStart[] = [];
  if (free <= 0) return { starts, lastServedGroup: lastServed };

  // Eligible jobs per group, best first.
  const byGroup = new Map<string, { job: Job; index: number; created: number }[]>();
  jobs.forEach((job, index) => {
    if (job.state !== 'queued' || job.cancel_requested) return;
    const key = groupKey(job);
    if (ctx.pausedGroups.has(key)) return;
    let list = byGroup.get(key);
    if (!list) byGroup.set(key, (list = []));
    list.push({ job, index, created: parseTimestamp(job.created_at) ?? 0 });
  });
  for (const list of byGroup.values()) list.sort(compareWithinGroup);
  const order = [...byGroup.keys()].sort();

  while (free > 0 && order.length > 0) {
    // The first group after the last served one, cyclically, that has a job that can start now.
    const startAt = lastServed === null ? 0 : order.findIndex((key) => key > lastServed!);
    let picked: { key: string; pos: number; usesGpu: boolean } | undefined;
    for (let step = 0; step < order.length && !picked; step++) {
      const key = order[((startAt === -1 ? 0 : startAt) + step) % order.length]!;
      const list = byGroup.get(key)!;
      const pos = list.findIndex((c) => !usesGpuSlot(c.job, ctx) || gpuFree > 0);
      if (pos !== -1) picked = { key, pos, usesGpu: usesGpuSlot(list[pos]!.job, ctx) };
    }
    if (!picked) break;
    const list = byGroup.get(picked.key)!;
    const [chosen] = list.splice(picked.pos, 1);
    starts.push({ job: chosen!.job, usesGpu: picked.usesGpu });
    free--;
    if (picked.usesGpu) gpuFree--;
    lastServed = picked.key;
    if (list.length === 0) {
      byGroup.delete(picked.key);
      order.splice(order.indexOf(picked.key), 1);
    }
  }
  return { starts, lastServedGroup: lastServed };
}
