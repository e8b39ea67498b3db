/** Putting work into the queue: one run, or a whole sweep written with one queue update. */
import { rm, stat } from 'node:fs/promises';
import type { Group } from '../contracts/group.js';
import type { SweepPlan } from '../contracts/plan.js';
import type { Job } from '../contracts/queue.js';
import type { Clock } from '../infra/clock.js';
import { MissingFilesError, OperationFailedError, UsageError } from '../infra/errors.js';
import { randomHex } from '../infra/random.js';
import { formatTimestamp } from '../infra/time.js';
import { newGroupRecord } from '../queue/group-record.js';
import { formatGroupId, formatSweepRunId } from '../queue/ids.js';
import { activeJobOf, makeJob } from '../queue/jobs.js';
import type { ExpandedRun } from '../queue/sweep-expansion.js';
import { CREATED_BY } from '../version.js';
import { sweepRuns } from './plan-file.js';
import { displayPath, groupDir, runDir, type WorkspacePaths } from '../workspace/paths.js';
import type { Store } from '../store/store.js';
import { writeGroupFile } from '../workspace/group-folder.js';
import { checkRequest, writeRunRequests } from '../run/files/documents.js';
import { requestFileOf } from '../run/files/names.js';
import { resolveGroupId, resolveRunId } from './ids.js';

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export interface EnqueueRunOptions {
  runId: string;
  groupId?: string | undefined;
  priority?: number | undefined;
}

/** Queues one existing run (`.ml/runs/<run-id>/request.json`). Refuses a run already queued or running. */
export async function enqueueRun(store: Store, ws: WorkspacePaths, options: EnqueueRunOptions): Promise<Job> {
  // A prefix or `latest` names an existing run folder; a group id may also name a group not made
  // yet, so only an unambiguous prefix of an existing group is expanded.
  const runId = await resolveRunId(store, ws, options.runId);
  const groupId = options.groupId === undefined ? null : await resolveGroupId(store, ws, options.groupId);
  const dir = runDir(ws, runId);
  if (!(await isDirectory(dir))) throw new MissingFilesError(`Run directory not found: ${displayPath(ws, dir)}`);
  const file = requestFileOf(dir);
  const parsed = await checkRequest(dir);
  if (parsed === undefined) throw new MissingFilesError(`Request not found: ${displayPath(ws, file)}`);
  if (!parsed.ok) {
    throw new UsageError(`${displayPath(ws, file)} is not a valid request: ${parsed.problems[0]}`, parsed.problems.slice(1));
  }
  const request = parsed.value;

  return store.update(async (tx) => {
    const active = activeJobOf(tx.queue, runId);
    if (active) {
      throw new OperationFailedError(`Run ${runId} is already ${active.state} (job ${active.job_id}); not enqueued again`);
    }
    let previous = tx.queue.jobs.filter((j) => j.run_id === runId).map((j) => j.attempt);
    // Only a run with no job left in queue.json can have its newest attempts in the history.
    if (previous.length === 0) previous = (await tx.findArchivedJobs(new Set([runId]))).map((j) => j.attempt);
    const job = makeJob({
      jobId: tx.newJobId(),
      runId,
      groupId,
      priority: options.priority ?? 0,
      requiresGpu: request.device.type === 'gpu',
      attempt: previous.length === 0 ? 1 : Math.max(...previous) + 1,
      createdAt: tx.now,
    });
    tx.queue.jobs.push(job);
    return job;
  });
}

export interface EnqueueSweepOptions {
  priority?: number | undefined;
  /** Called while run folders are written (large sweeps take a while). */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

export interface EnqueuedSweep {
  groupId: string;
  runIds: string[];
  jobs: Job[];
}

export interface PreparedSweep {
  groupId: string;
  createdAt: string;
  runs: (ExpandedRun & { runId: string })[];
  /** The group record, every run `pending`. */
  group: Group;
}

/**
 * Everything a sweep needs before it runs, for the queue and for direct mode alike: a fresh group id,
 * the expanded and validated requests, their run folders, the plan copy and the group record.
 */
export async function prepareSweep(
  ws: WorkspacePaths,
  clock: Clock,
  plan: SweepPlan,
  planDoc: Record<string, unknown>,
  onProgress?: (done: number, total: number) => void,
): Promise<PreparedSweep> {
  let groupId = formatGroupId(clock.now(), randomHex());
  while (await isDirectory(groupDir(ws, groupId))) groupId = formatGroupId(clock.now(), randomHex());
  const createdAt = formatTimestamp(clock.now());
  // The runs loadPlan checked (the sweep expansion, with zod, is loaded only for a plan: enqueue-run never needs it).
  const expanded = await sweepRuns(plan, { groupId, createdAt, createdBy: CREATED_BY });
  const runs = expanded.map((run, i) => ({ ...run, runId: formatSweepRunId(groupId, i, expanded.length) }));
  try {
    await writeRunRequests(ws, runs, onProgress);
    await writeGroupFile(ws, groupId, 'plan.json', { ...planDoc, workspace: ws.root });
  } catch (err) {
    await discardSweep(ws, { groupId, runs });
    throw err;
  }
  const group = newGroupRecord({
    groupId,
    name: plan.group.name,
    notes: plan.group.notes ?? null,
    createdAt,
    createdBy: CREATED_BY,
    maxParallel: plan.execution.max_parallel,
    planRef: 'plan.json',
    metric: plan.metric ?? plan.base_request.metric ?? null,
    runs: runs.map((r) => ({ runId: r.runId, overrides: r.overrides })),
  });
  return { groupId, createdAt, runs, group };
}

/**
 * Removes what `prepareSweep` made, for a sweep that could not be recorded (a full disk): no run folder
 * half made, none that no group or job knows. Best effort: whatever cannot be removed is left.
 */
export async function discardSweep(ws: WorkspacePaths, sweep: Pick<PreparedSweep, 'groupId' | 'runs'>): Promise<void> {
  for (const run of sweep.runs) await rm(runDir(ws, run.runId), { recursive: true, force: true }).catch(() => undefined);
  await rm(groupDir(ws, sweep.groupId), { recursive: true, force: true }).catch(() => undefined);
}

/**
 * Expands a plan and queues all its runs: run folders and the plan copy first (invisible until
 * queued), then one locked update that adds the group record and every job at once.
 */
export async function enqueueSweep(
  store: Store,
  ws: WorkspacePaths,
  clock: Clock,
  plan: SweepPlan,
  planDoc: Record<string, unknown>,
  options: EnqueueSweepOptions = {},
): Promise<EnqueuedSweep> {
  const prepared = await prepareSweep(ws, clock, plan, planDoc, options.onProgress);
  const { groupId, runs, group } = prepared;
  const jobs = await store.update((tx) => {
    tx.putGroup(group);
    const added = runs.map((r) =>
      makeJob({
        jobId: tx.newJobId(),
        runId: r.runId,
        groupId,
        priority: options.priority ?? 0,
        requiresGpu: r.request.device.type === 'gpu',
        attempt: 1,
        createdAt: tx.now,
      }),
    );
    tx.queue.jobs.push(...added);
    return added;
  }).catch(async (err: unknown) => {
    // Not recorded (a store update is kept whole or not at all, docs/store.md): its runs belong to no job.
    const recorded = await store.readQueue().then((q) => q.jobs.some((j) => j.group_id === groupId), () => true);
    if (!recorded) await discardSweep(ws, prepared);
    throw err;
  });
  return { groupId, runIds: runs.map((r) => r.runId), jobs };
}
