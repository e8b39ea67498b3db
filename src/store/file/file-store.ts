/**
 * The file store: the Store seam over a workspace's files — queue.json, groups/<id>/group.json,
 * history.jsonl (the archive), the state lock, and per run `.launch.json` and `.exit_status`. How each
 * guarantee of src/store/store.ts is met: docs/store.md.
 *
 * Instances on the same workspace in one process share the chains and the lock (flush.ts); what sets
 * them apart is `watch`: an instance is told of every change but its own.
 */
import { statSync } from 'node:fs';
import type { Group } from '../../contracts/group.js';
import type { LaunchRecord } from '../../contracts/launch.js';
import type { Job, Queue } from '../../contracts/queue.js';
import type { Clock } from '../../infra/clock.js';
import { readExitFile } from '../../process/exit-status.js';
import { exitStatusFileOf, launchRecordFile } from '../../run/files/names.js';
import { removeFileSync } from '../../workspace/json-file.js';
import { runDir, type WorkspacePaths } from '../../workspace/paths.js';
import { watchState } from '../../workspace/watch.js';
import type { ProcessEnd, StagedUpdate, Store, StoreWatch, UpdateFn } from '../store.js';
import { isOwnWrite } from './own-writes.js';
import { listGroups, readArchivedJobs, readArchivedJobsOfRun, readGroup, readQueue } from './readers.js';
import { stageUpdate, updateState } from './update.js';


export class FileStore implements Store {
  constructor(
    readonly ws: WorkspacePaths,
    private readonly clock: Clock,
  ) {}

  readQueue(): Promise<Queue> {
    return readQueue(this.ws);
  }

  readGroup(groupId: string): Promise<Group | undefined> {
    return readGroup(this.ws, groupId);
  }

  listGroups(): Promise<Group[]> {
    return listGroups(this.ws);
  }

  readArchived(queue: Queue, runId?: string): Promise<Job[]> {
    return runId === undefined ? readArchivedJobs(this.ws, queue) : readArchivedJobsOfRun(this.ws, queue, runId);
  }

  update<T>(fn: UpdateFn<T>): Promise<T> {
    return updateState(this.ws, this.clock, fn, this);
  }

  stage<T>(fn: UpdateFn<T>): Promise<StagedUpdate<T>> {
    return stageUpdate(this.ws, this.clock, fn, this);
  }

  watch(onChange: () => void, onError: (err: unknown) => void): StoreWatch {
    return watchState(
      this.ws,
      // This store's own writes (every flush of its updates) are no news: only someone else's change is.
      (file) => {
        if (file === undefined || !isOwnWrite(file, this)) onChange();
      },
      onError,
    );
  }

  async writeLaunch(runId: string, record: LaunchRecord): Promise<void> {
    // Loaded here: the launch record's schema is zod, which read-only commands never load.
    const { writeLaunchRecord } = await import('../../run/files/launch-record.js');
    writeLaunchRecord(runDir(this.ws, runId), record);
  }

  async readLaunch(runId: string): Promise<LaunchRecord | undefined> {
    const { readLaunchRecord } = await import('../../run/files/launch-record.js');
    return readLaunchRecord(runDir(this.ws, runId));
  }

  // async: a failure to read or remove is a rejection, as for any store.
  async readEnd(runId: string): Promise<ProcessEnd | undefined> {
    const file = exitStatusFileOf(runDir(this.ws, runId));
    const end = readExitFile(file);
    if (!end) return undefined;
    // The record is written as the process exits (its shell, or the warm worker): its mtime is that instant.
    const endedMs = Math.round(statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Number.NaN);
    return {
      exitCode: end.exitCode,
      signal: end.signal,
      ...(end.pid === undefined ? {} : { pid: end.pid }),
      ...(Number.isFinite(endedMs) ? { endedMs } : {}),
    };
  }

  async clearRecords(runId: string): Promise<void> {
    const dir = runDir(this.ws, runId);
    removeFileSync(exitStatusFileOf(dir));
    // After the end record: a crash in between leaves a launch record without an end, which recovery
    // treats as a run to look at again, never one whose end it forgets.
    removeFileSync(launchRecordFile(dir));
  }

  async clearEnd(runId: string): Promise<void> {
    removeFileSync(exitStatusFileOf(runDir(this.ws, runId)));
  }
}

/** The file store of a workspace: what the CLI opens once per command, the daemon and the dashboard once. */
export function openFileStore(ws: WorkspacePaths, clock: Clock): FileStore {
  return new FileStore(ws, clock);
}
