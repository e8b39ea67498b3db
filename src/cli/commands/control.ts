import { systemClock } from '../../infra/clock.js';
import { openFileStore } from '../../store/file/file-store.js';
import type { WorkspacePaths } from '../../workspace/paths.js';
import { cancelGroup, cancelRun, retryFailed, setGroupPaused } from '../../ops/control.js';
import { groupCanceledToken, groupPausedToken, groupResumedToken } from '../../run/tokens.js';
import { resolveWorkspace } from '../options.js';
import { out, outJson } from '../output.js';

/** The command's workspace and its store, opened once. */
function opened(workspace: string | undefined): [ReturnType<typeof openFileStore>, WorkspacePaths] {
  const ws = resolveWorkspace(workspace);
  return [openFileStore(ws, systemClock), ws];
}

interface GroupFlags {
  groupId: string;
  workspace?: string;
  json?: boolean;
}

export async function pauseGroupCommand(opts: GroupFlags): Promise<number> {
  const { group, changed } = await setGroupPaused(...opened(opts.workspace), opts.groupId, true);
  if (opts.json) return (outJson({ group_id: group.group_id, paused: true, changed }), 0);
  out(groupPausedToken(group.group_id));
  out(changed ? `Paused group ${group.group_id}` : `Group ${group.group_id} is already paused`);
  return 0;
}

export async function resumeGroupCommand(opts: GroupFlags): Promise<number> {
  const { group, changed } = await setGroupPaused(...opened(opts.workspace), opts.groupId, false);
  if (opts.json) return (outJson({ group_id: group.group_id, paused: false, changed }), 0);
  out(groupResumedToken(group.group_id));
  out(changed ? `Resumed group ${group.group_id}` : `Group ${group.group_id} is not paused`);
  return 0;
}

export async function retryFailedCommand(opts: GroupFlags): Promise<number> {
  const { group, jobs } = await retryFailed(...opened(opts.workspace), opts.groupId);
  if (opts.json) {
    return (outJson({ group_id: group.group_id, retried: jobs.map((j) => ({ job_id: j.job_id, run_id: j.run_id, attempt: j.attempt })) }), 0);
  }
  if (jobs.length === 0) {
    out(`No failed runs to retry in group ${group.group_id}`);
    return 0;
  }
  out(`Re-enqueued ${jobs.length} failed runs in group ${group.group_id}`);
  for (const j of jobs) out(`  ${j.run_id} -> ${j.job_id} (attempt ${j.attempt})`);
  return 0;
}

export async function cancelGroupCommand(opts: GroupFlags): Promise<number> {
  const { group, canceled, flagged } = await cancelGroup(...opened(opts.workspace), opts.groupId);
  if (opts.json) {
    return (
      outJson({
        group_id: group.group_id,
        status: group.status,
        canceled_queued: canceled.map((j) => j.job_id),
        stopping_running: flagged.map((j) => j.job_id),
      }),
      0
    );
  }
  out(groupCanceledToken(group.group_id));
  out(canceled.length > 0 ? `Canceled ${canceled.length} queued runs in group ${group.group_id}` : `No queued runs to cancel in group ${group.group_id}`);
  if (flagged.length > 0) out(`Stopping ${flagged.length} running runs in group ${group.group_id} (the daemon stops them)`);
  out(`Group ${group.group_id} is ${group.status}`);
  return 0;
}

export async function cancelRunCommand(opts: { runId?: string; jobId?: string; workspace?: string; json?: boolean }): Promise<number> {
  const { job, outcome } = await cancelRun(...opened(opts.workspace), { runId: opts.runId, jobId: opts.jobId });
  if (opts.json) return (outJson({ job_id: job.job_id, run_id: job.run_id, outcome }), 0);
  out(
    outcome === 'canceled'
      ? `Canceled job ${job.job_id} of run ${job.run_id}`
      : `Job ${job.job_id} of run ${job.run_id} is running; the daemon will stop it`,
  );
  return 0;
}
