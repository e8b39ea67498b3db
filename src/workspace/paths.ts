/** Where everything lives inside a workspace (SPEC §1). Pure path arithmetic, no I/O. */
import path from 'node:path';

export interface WorkspacePaths {
  /** Absolute workspace folder. */
  readonly root: string;
  readonly runsDir: string;
  readonly stateDir: string;
  readonly queueDir: string;
  readonly queueFile: string;
  /** The archive of finished jobs: one job JSON object per line, append-only. */
  readonly historyFile: string;
  readonly daemonFile: string;
  readonly daemonLock: string;
  readonly daemonLog: string;
  /** The inter-process lock (a directory, made by proper-lockfile) guarding queue.json and every group.json. */
  readonly stateLock: string;
  readonly groupsDir: string;
}

export function workspacePaths(root: string): WorkspacePaths {
  const abs = path.resolve(root);
  const stateDir = path.join(abs, '.runforge');
  const queueDir = path.join(stateDir, 'queue');
  return {
    root: abs,
    runsDir: path.join(abs, '.ml', 'runs'),
    stateDir,
    queueDir,
    queueFile: path.join(queueDir, 'queue.json'),
    historyFile: path.join(queueDir, 'history.jsonl'),
    daemonFile: path.join(queueDir, 'daemon.json'),
    daemonLock: path.join(queueDir, 'daemon.lock'),
    daemonLog: path.join(queueDir, 'daemon.log'),
    stateLock: path.join(queueDir, 'state.lock'),
    groupsDir: path.join(stateDir, 'groups'),
  };
}

export const runDir = (ws: WorkspacePaths, runId: string): string => path.join(ws.runsDir, runId);
export const groupDir = (ws: WorkspacePaths, groupId: string): string => path.join(ws.groupsDir, groupId);
export const groupFile = (ws: WorkspacePaths, groupId: string): string => path.join(ws.groupsDir, groupId, 'group.json');
export const groupPlanFile = (ws: WorkspacePaths, groupId: string): string => path.join(ws.groupsDir, groupId, 'plan.json');

/** A run's result.json as group records refer to it (`result_ref`): `.ml/runs/<id>/result.json`. */
export const resultRef = (runId: string): string => `.ml/runs/${runId}/result.json`;

/** A path shown to users: workspace-relative when inside the workspace. */
export function displayPath(ws: WorkspacePaths, absolute: string): string {
  const rel = path.relative(ws.root, absolute);
  return rel.startsWith('..') || path.isAbsolute(rel) ? absolute : rel;
}
