/**
 * Runs that ran outside the queue — a foreground `runforge run`, or a run of a direct `runforge sweep`
 * (without `--enqueue`) — found for `runforge history` and the dashboard's runs table.
 *
 * Such a run has no job: what it leaves is its folder with request.json and result.json. The list is
 * the run folders that no queue job (in queue.json or history.jsonl) names and that have a result.json;
 * so nothing records these runs anywhere else, no command on the queue's hot path (`enqueue-run`,
 * `queue-status`) does any more work, and runs made before this existed are found too. The cost is one
 * listing of `.ml/runs` per `history` (0.5–0.9 s for 100,000 run folders here, against the seconds of
 * reading their result.json files), plus the two files of each outside run. A foreground run shows
 * once it has ended (its result.json is written at the end).
 */
import { readdir } from 'node:fs/promises';
import { SAFE_ID_PATTERN } from '../contracts/constants.js';
import type { JobState } from '../contracts/queue.js';
import type { RunResult } from '../contracts/result.js';
import { jobStateOfResult } from '../queue/recovery.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import { readRunDocuments } from '../workspace/run-files-batch.js';

/**
 * Who ran a run: the daemon (a queue job), a foreground `runforge run`, or a direct `runforge sweep`.
 * Runs of a sweep are told apart by their request's `sweep_group_id`.
 */
export type RunOrigin = 'daemon' | 'foreground' | 'direct-sweep';

export interface OutsideRun {
  run_id: string;
  /** The job id its result.json names (a daemon's run whose job is no longer in the queue), else null. */
  job_id: string | null;
  group_id: string | null;
  state: JobState;
  requires_gpu: boolean;
  created_at: string;
  origin: RunOrigin;
  result: RunResult;
}

export async function findOutsideRuns(ws: WorkspacePaths, known: ReadonlySet<string>): Promise<OutsideRun[]> {
  const folders = await readdir(ws.runsDir).catch(() => [] as string[]);
  const candidates = folders.filter((name) => !known.has(name) && SAFE_ID_PATTERN.test(name));
  const results = await readRunDocuments(ws, candidates, 'result.json', 'result');
  const requests = await readRunDocuments(ws, results.keys(), 'request.json', 'request');
  const runs: OutsideRun[] = [];
  for (const [runId, result] of results) {
    const request = requests.get(runId);
    const groupId = request?.sweep_group_id ?? null;
    runs.push({
      run_id: runId,
      job_id: typeof result.job_id === 'string' ? result.job_id : null,
      group_id: groupId,
      state: jobStateOfResult(result.status),
      requires_gpu: request?.device.type === 'gpu',
      created_at: request?.created_at ?? result.started_at ?? result.finished_at ?? '',
      origin: typeof result.job_id === 'string' ? 'daemon' : groupId ? 'direct-sweep' : 'foreground',
      result,
    });
  }
  return runs;
}
