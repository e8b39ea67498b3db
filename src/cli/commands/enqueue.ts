import path from 'node:path';
import { systemClock } from '../../infra/clock.js';
import { openFileStore } from '../../store/file/file-store.js';
import { MissingFilesError, UsageError } from '../../infra/errors.js';
import { type EnqueuedSweep, enqueueRun, enqueueSweep } from '../../ops/enqueue.js';
import { loadPlan } from '../../ops/plan-file.js';
import { groupEnqueuedToken } from '../../run/tokens.js';
import { parseIntFlag, resolveWorkspace } from '../options.js';
import { out, outJson, terminalProgress } from '../output.js';
import { existsSync } from 'node:fs';
import { VERSION } from '../../version.js';
import { groupDir, type WorkspacePaths } from '../../workspace/paths.js';

interface EnqueueRunFlags {
  runId: string;
  groupId?: string;
  priority?: string;
  workspace?: string;
  json?: boolean;
}

export async function enqueueRunCommand(opts: EnqueueRunFlags): Promise<number> {
  const priority = opts.priority === undefined ? undefined : parseIntFlag('--priority', opts.priority);
  const ws = resolveWorkspace(opts.workspace);
  const job = await enqueueRun(openFileStore(ws, systemClock), ws, { runId: opts.runId, groupId: opts.groupId, priority });
  if (opts.json) {
    outJson({ job });
  } else {
    // The original's line, word for word.
    out(`Enqueued run ${job.run_id} as job ${job.job_id}${job.requires_gpu ? ' [GPU]' : ''}`);
  }
  return 0;
}

interface EnqueueSweepFlags {
  plan: string;
  workspace?: string;
  priority?: string;
  json?: boolean;
}

/**
 * The workspace of a sweep: `--workspace` when given (it overrides the plan's for every file),
 * else the plan's own `workspace` when that folder exists.
 */
export function sweepWorkspace(flag: string | undefined, planWorkspace: string) {
  if (flag !== undefined) return resolveWorkspace(flag);
  if (planWorkspace === '' ) throw new UsageError('The plan has no workspace; pass --workspace');
  if (!path.isAbsolute(planWorkspace) || !existsSync(planWorkspace)) {
    throw new MissingFilesError(`The plan's workspace does not exist: ${planWorkspace} (pass --workspace to use another)`);
  }
  return resolveWorkspace(planWorkspace);
}

export async function enqueueSweepCommand(opts: EnqueueSweepFlags): Promise<number> {
  const priority = opts.priority === undefined ? undefined : parseIntFlag('--priority', opts.priority);
  const { plan, doc } = await loadPlan(path.resolve(opts.plan));
  const ws = sweepWorkspace(opts.workspace, plan.workspace);
  const sweep = await enqueueSweep(openFileStore(ws, systemClock), ws, systemClock, plan, doc, { priority, onProgress: terminalProgress('Writing run folders') });
  printEnqueuedSweep(sweep, { ws, planFile: path.resolve(opts.plan), groupName: plan.group.name, json: opts.json });
  return 0;
}

/** What `printEnqueuedSweep` shows besides the sweep itself. */
export interface EnqueuedSweepView {
  ws: WorkspacePaths;
  /** The plan the sweep came from: the user's file, or the copy a sweep from flags wrote into its group folder. */
  planFile: string;
  groupName: string;
  json?: boolean | undefined;
}

/** The lines of `enqueue-sweep` (or its `--json`), for a plan file and a sweep from flags alike. */
export function printEnqueuedSweep(sweep: EnqueuedSweep, view: EnqueuedSweepView): void {
  if (view.json) {
    outJson({ group_id: sweep.groupId, runs: sweep.runIds.length, run_ids: sweep.runIds, job_ids: sweep.jobs.map((j) => j.job_id) });
    return;
  }
  // The original's lines, in its order, the token last.
  const n = sweep.runIds.length;
  const gpu = sweep.jobs.filter((j) => j.requires_gpu).length;
  out(`runforge enqueue-sweep v${VERSION}`);
  out(`Plan: ${view.planFile}`);
  out(`Workspace: ${view.ws.root}`);
  out(`Group: ${view.groupName}`);
  out(`Sweep plan: ${n} runs`);
  out(`Group ID: ${sweep.groupId}`);
  out(`Group directory: ${groupDir(view.ws, sweep.groupId)}`);
  out(`Enqueued ${n}/${n} runs${gpu > 0 ? ` (${gpu} GPU)` : ''}`);
  out(groupEnqueuedToken(sweep.groupId, n));
}
