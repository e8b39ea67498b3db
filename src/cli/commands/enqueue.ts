import path from 'node:path';
import { systemClock } from '../../infra/clock.js';
import { MissingFilesError, UsageError } from '../../infra/errors.js';
import { enqueueRun, enqueueSweep } from '../../ops/enqueue.js';
import { loadPlan } from '../../ops/plan-file.js';
import { groupEnqueuedToken } from '../../run/tokens.js';
import { parseIntFlag, resolveWorkspace } from '../options.js';
import { out, outJson, terminalProgress } from '../output.js';
import { existsSync } from 'node:fs';

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
  const job = await enqueueRun(ws, systemClock, { runId: opts.runId, groupId: opts.groupId, priority });
  if (opts.json) {
    outJson({ job });
  } else {
    const group = job.group_id ? ` in group ${job.group_id}` : '';
    const gpu = job.requires_gpu ? ' (needs a GPU)' : '';
    out(`Enqueued job ${job.job_id} for run ${job.run_id}${group}, attempt ${job.attempt}, priority ${job.priority}${gpu}`);
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
  const sweep = await enqueueSweep(ws, systemClock, plan, doc, { priority, onProgress: terminalProgress('Writing run folders') });
  if (opts.json) {
    outJson({ group_id: sweep.groupId, runs: sweep.runIds.length, run_ids: sweep.runIds, job_ids: sweep.jobs.map((j) => j.job_id) });
    return 0;
  }
  out(groupEnqueuedToken(sweep.groupId, sweep.runIds.length));
  const gpu = sweep.jobs.filter((j) => j.requires_gpu).length;
  const gpuNote = gpu > 0 ? ` (${gpu} need a GPU)` : '';
  out(`Enqueued ${sweep.runIds.length} runs${gpuNote} as group ${sweep.groupId} "${plan.group.name}"`);
  return 0;
}
