/**
 * Reading the file store's state without the lock: queue.json, the group records and the archive
 * (history.jsonl). Every file is validated; a corrupt one is an error naming it, never "empty". A
 * reader sees whole files (every writer renames a complete file into place).
 */
import { readdir } from 'node:fs/promises';
import { SAFE_ID_PATTERN } from '../../contracts/constants.js';
import { emptyQueue } from '../../contracts/empty-queue.js';
import type { Group } from '../../contracts/group.js';
import type { Job, Queue } from '../../contracts/queue.js';
import { parseTimestamp } from '../../infra/time.js';
import { mergeArchived } from '../../queue/archive.js';
import { findArchivedJobs, readHistory } from '../../workspace/history-file.js';
import { readDocument } from '../../workspace/json-file.js';
import { displayPath, groupFile, type WorkspacePaths } from '../../workspace/paths.js';

export async function readQueue(ws: WorkspacePaths): Promise<Queue> {
  return (await readDocument('queue', ws.queueFile, displayPath(ws, ws.queueFile))) ?? emptyQueue();
}

/**
 * Every job moved from `queue` to history.jsonl (not also in queue.json). Reads the whole history:
 * for `runforge history` and the dashboard's runs table, not for anything on a hot path.
 */
export async function readArchivedJobs(ws: WorkspacePaths, queue: Queue): Promise<Job[]> {
  return mergeArchived(queue.jobs, await readHistory(ws));
}

/** The archived jobs of one run (not also in queue.json), parsing only the history lines that name it. */
export async function readArchivedJobsOfRun(ws: WorkspacePaths, queue: Queue, runId: string): Promise<Job[]> {
  return mergeArchived(queue.jobs, await findArchivedJobs(ws, 'run_id', new Set([runId])));
}

export async function readGroup(ws: WorkspacePaths, groupId: string): Promise<Group | undefined> {
  const file = groupFile(ws, groupId);
  return readDocument('group', file, displayPath(ws, file));
}

/** Every group of the workspace, oldest first. */
export async function listGroups(ws: WorkspacePaths): Promise<Group[]> {
  let names: string[];
  try {
    names = await readdir(ws.groupsDir);
  } catch {
    return [];
  }
  const groups: Group[] = [];
  for (const name of names.filter((n) => SAFE_ID_PATTERN.test(n))) {
    const group = await readGroup(ws, name);
    if (group) groups.push(group);
  }
  // By instant: the original's naive local times and offset ones do not sort as strings (SPEC §4).
  const created = new Map(groups.map((g) => [g, parseTimestamp(g.created_at) ?? 0]));
  return groups.sort((a, b) => created.get(a)! - created.get(b)! || a.group_id.localeCompare(b.group_id));
}
