/**
 * The workspace store: the only code that reads and writes RunForge's state files.
 *
 * - Reads validate every file; a corrupt file is an error naming it, never "empty".
 * - `updateState` is the one read-modify-write path for queue.json and group.json: it holds the
 *   workspace lock for the whole cycle, re-reads the files under it, lets the caller change the queue,
 *   brings every group whose jobs changed back into agreement with the queue, and writes atomically
 *   (group records first, then the queue, so a reader polling queue.json never finds a group behind it).
 * - The same update moves finished jobs past the retention (queue/archive.ts) to history.jsonl:
 *   appended and fsynced before queue.json is rewritten, so a crash can duplicate a job (readers
 *   de-duplicate) but never lose one.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { DaemonStatus } from '../contracts/daemon.js';
import type { Group } from '../contracts/group.js';
import { SAFE_ID_PATTERN } from '../contracts/constants.js';
import { emptyQueue } from '../contracts/empty-queue.js';
import type { Job, Queue } from '../contracts/queue.js';
import type { RunRequest } from '../contracts/request.js';
import type { RunResult } from '../contracts/result.js';
import type { DocumentOf } from '../contracts/index.js';
import type { Clock } from '../infra/clock.js';
import { randomHex } from '../infra/random.js';
import { formatTimestamp } from '../infra/time.js';
import { addArchivedCounts, mergeArchived, selectArchivable } from '../queue/archive.js';
import { newGroupRecord, syncGroupWithQueue } from '../queue/group-record.js';
import { formatJobId, uniqueId } from '../queue/ids.js';
import type { PrimaryMetric } from '../queue/primary-metric.js';
import { CREATED_BY } from '../version.js';
import { appendHistory, findArchivedJobs, readHistory } from './history-file.js';
import {
  documentOf,
  type FileVersion,
  fileVersion,
  readDocument,
  readVersioned,
  sameVersion,
  serialize,
  type StagedWrite,
  stageAtomicWrite,
  writeJsonAtomic,
} from './json-file.js';
import { withStateLock } from './lock.js';
import {
  displayPath,
  groupDir,
  groupFile,
  requestFile,
  resultFile,
  resultRef,
  runDir,
  type WorkspacePaths,
} from './paths.js';

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
  return groups.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.group_id.localeCompare(b.group_id));
}

export async function readDaemonStatus(ws: WorkspacePaths): Promise<DaemonStatus | undefined> {
  return readDocument('daemon', ws.daemonFile, displayPath(ws, ws.daemonFile));
}

export async function readRequest(ws: WorkspacePaths, runId: string): Promise<RunRequest | undefined> {
  const file = requestFile(ws, runId);
  return readDocument('request', file, displayPath(ws, file));
}

export async function readResult(ws: WorkspacePaths, runId: string): Promise<RunResult | undefined> {
  const file = resultFile(ws, runId);
  return readDocument('result', file, displayPath(ws, file));
}

/** How many run folders are written at once: fsyncs in flight together are far cheaper than in a row. */
const WRITE_CONCURRENCY = 32;

/** Creates run folders with their request.json (new runs of a sweep); `onProgress(done, total)` now and then. */
export async function writeRunRequests(
  ws: WorkspacePaths,
  runs: readonly { runId: string; request: RunRequest }[],
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  let done = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < runs.length) {
      const { runId, request } = runs[next++]!;
      await mkdir(runDir(ws, runId), { recursive: true });
      await writeJsonAtomic(requestFile(ws, runId), request);
      done++;
      if (onProgress && (done % 100 === 0 || done === runs.length)) onProgress(done, runs.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, runs.length) }, worker));
}

/** Writes a file into a group's folder (the plan copy), creating the folder. */
export async function writeGroupFile(ws: WorkspacePaths, groupId: string, name: string, doc: unknown): Promise<void> {
  await mkdir(groupDir(ws, groupId), { recursive: true });
  await writeJsonAtomic(path.join(groupDir(ws, groupId), name), doc);
}

/** What a state update may do; everything else about the files is the store's business. */
export interface StateTx {
  /** The queue as it is on disk now (under the lock); change it in place. */
  readonly queue: Queue;
  /** The time of this update, as written into timestamps. */
  readonly now: string;
  readonly nowMs: number;
  /** A job id that is in no job of the queue. */
  newJobId(): string;
  /** The group record on disk now (validated), or undefined. */
  getGroup(groupId: string): Promise<Group | undefined>;
  /** Stores a new or changed group record; it is synced with the queue before writing. */
  putGroup(group: Group): void;
  /** Marks a group for syncing and rewriting even if none of its jobs changed. */
  touchGroup(groupId: string): void;
  /** Records the primary metric of a finished run for its group's summary. */
  recordMetric(runId: string, metric: PrimaryMetric | null): void;
  /**
   * Archived jobs (history.jsonl) of these runs that are not in `queue.jobs`, without parsing the whole
   * history. A run with a job in queue.json has all its newer jobs there (whole runs are archived).
   */
  findArchivedJobs(runIds: ReadonlySet<string>): Promise<Job[]>;
  /** The archived job with this id, if it is in history.jsonl and not in `queue.jobs`. */
  findArchivedJob(jobId: string): Promise<Job | undefined>;
}

const jobFingerprint = (j: Job): string => `${j.state}|${j.cancel_requested ? 1 : 0}|${j.attempt}`;

/**
 * What this process last wrote with `updateState`, by file: the version it left on disk (json-file.ts
 * `FileVersion`), its text, and the object the text is the serialisation of. While the file is still
 * that version, the next update takes the object as it is, without reading, parsing or validating the
 * file again — for the daemon, which updates the state at every job start and end, that is most of an
 * update's cost on a big sweep. Another process's write is a new version (every writer replaces the
 * file by rename, a new inode; an edit in place moves the modification time). An update that fails
 * forgets everything, since its objects may have been changed half-way.
 */
const lastWritten = new Map<string, Known>();

interface Known {
  version: FileVersion;
  text: string;
  doc: unknown;
}

/** A state file read under the lock: text, version and validated document; all undefined when there is no file. */
interface ForUpdate<K extends 'queue' | 'group'> {
  text: string | undefined;
  version: FileVersion | undefined;
  doc: DocumentOf<K> | undefined;
}

async function readForUpdate<K extends 'queue' | 'group'>(ws: WorkspacePaths, kind: K, file: string): Promise<ForUpdate<K>> {
  const known = lastWritten.get(file);
  if (known) {
    const now = await fileVersion(file);
    if (now && sameVersion(now, known.version)) return { text: known.text, version: known.version, doc: known.doc as DocumentOf<K> };
  }
  const read = await readVersioned(file);
  if (!read) return { text: undefined, version: undefined, doc: undefined };
  return { ...read, doc: await documentOf(kind, read.text, displayPath(ws, file)) };
}

/**
 * The one read-modify-write of queue.json and group.json. `fn` runs under the workspace lock with
 * freshly read files; if it throws, nothing is written.
 */
export async function updateState<T>(ws: WorkspacePaths, clock: Clock, fn: (tx: StateTx) => T | Promise<T>): Promise<T> {
  return withStateLock(ws, async (assertHeld) => {
    try {
      return await updateLocked(ws, clock, fn, assertHeld);
    } catch (err) {
      lastWritten.clear();
      throw err;
    }
  });
}

async function updateLocked<T>(ws: WorkspacePaths, clock: Clock, fn: (tx: StateTx) => T | Promise<T>, assertHeld: () => void): Promise<T> {
  const read = await readForUpdate(ws, 'queue', ws.queueFile);
  const queue = read.doc ?? emptyQueue();
  const beforeText = read.text ?? serialize(queue);
  const before = new Map(queue.jobs.map((j) => [j.job_id, jobFingerprint(j)]));
  const takenIds = new Set(before.keys());
  const nowMs = clock.now();
  const groups = new Map<string, Group | undefined>();
  const touched = new Set<string>();
  const metrics = new Map<string, PrimaryMetric | null>();

  const tx: StateTx = {
    queue,
    now: formatTimestamp(nowMs),
    nowMs,
    newJobId: () => uniqueId(() => formatJobId(clock.now(), randomHex()), takenIds),
    getGroup: async (groupId) => {
      if (!groups.has(groupId)) groups.set(groupId, (await readForUpdate(ws, 'group', groupFile(ws, groupId))).doc);
      return groups.get(groupId);
    },
    putGroup: (group) => {
      groups.set(group.group_id, group);
      touched.add(group.group_id);
    },
    touchGroup: (groupId) => touched.add(groupId),
    recordMetric: (runId, metric) => metrics.set(runId, metric),
    findArchivedJobs: async (runIds) => mergeArchived(queue.jobs, await findArchivedJobs(ws, 'run_id', runIds)),
    findArchivedJob: async (jobId) => mergeArchived(queue.jobs, await findArchivedJobs(ws, 'job_id', new Set([jobId]))).at(-1),
  };
  const result = await fn(tx);

  for (const job of queue.jobs) {
    if (job.group_id && before.get(job.job_id) !== jobFingerprint(job)) touched.add(job.group_id);
  }
  const toWrite: Group[] = [];
  for (const groupId of touched) {
    const group =
      (await tx.getGroup(groupId)) ??
      newGroupRecord({
        groupId,
        name: groupId,
        notes: null,
        createdAt: tx.now,
        createdBy: CREATED_BY,
        maxParallel: queue.max_parallel,
        planRef: null,
        runs: [],
      });
    // Synced with every job, including those archived below: a run entry follows its newest job.
    syncGroupWithQueue(group, queue.jobs, {
      now: tx.now,
      metrics,
      resultRef,
    });
    toWrite.push(group);
  }
  const { keep, archive } = selectArchivable(queue.jobs);
  if (archive.length > 0) {
    queue.jobs = keep;
    queue.archived = addArchivedCounts(queue.archived, archive);
  }
  const afterText = serialize(queue);

  assertHeld();
  // History first: a job leaves queue.json only once it is safely in history.jsonl.
  await appendHistory(ws, archive);
  // Every file written and fsynced at once, then renamed in order — groups before the queue: whoever
  // sees a job's new state in queue.json finds its group already updated.
  const files = toWrite.map((group) => ({ file: groupFile(ws, group.group_id), doc: group as unknown, text: serialize(group) }));
  if (afterText !== beforeText) files.push({ file: ws.queueFile, doc: queue, text: afterText });
  for (const group of toWrite) await mkdir(groupDir(ws, group.group_id), { recursive: true });
  const staged = await Promise.allSettled(files.map((f) => stageAtomicWrite(f.file, f.text)));
  const failed = staged.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(staged.map((r) => (r.status === 'fulfilled' ? r.value.abort() : undefined)));
    throw failed.reason;
  }
  const written = staged.map((r) => (r as PromiseFulfilledResult<StagedWrite>).value);
  for (const w of written) await w.commit();
  // A group read but not written may have been changed in memory without being saved: not kept.
  for (const groupId of groups.keys()) lastWritten.delete(groupFile(ws, groupId));
  files.forEach((f, i) => lastWritten.set(f.file, { version: written[i]!.version, text: f.text, doc: f.doc }));
  // Not rewritten (no change): the version read is still the text of the queue as it is in memory.
  if (afterText === beforeText && read.version) lastWritten.set(ws.queueFile, { version: read.version, text: afterText, doc: queue });
  return result;
}
