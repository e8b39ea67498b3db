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
import { existsSync } from 'node:fs';
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
  type StagedWrite,
  stageAtomicWrite,
  writeJsonAtomic,
} from './json-file.js';
import { acquireStateLock, type HeldLock } from './lock.js';
import { serializeBytes } from './serialize-cache.js';
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
  /**
   * Declares that this update changed nothing (the caller knows; finding out means serialising every
   * file): nothing is written.
   */
  leaveUnchanged(): void;
}

const STATE_CODES: Record<Job['state'], number> = { queued: 0, running: 1, succeeded: 2, failed: 3, canceled: 4 };
/** What of a job its group record follows, as one number (taken for every job at every update). */
const jobFingerprint = (j: Job): number => STATE_CODES[j.state] + (j.cancel_requested ? 8 : 0) + j.attempt * 16;

/**
 * What this process last wrote with `updateState`, by file: the version it left on disk (json-file.ts
 * `FileVersion`), its bytes, and the object they serialise. While the file is still
 * that version, the next update takes the object as it is, without reading, parsing or validating the
 * file again — for the daemon, which updates the state at every job start and end, that is most of an
 * update's cost on a big sweep. Another process's write is a new version (every writer replaces the
 * file by rename, a new inode; an edit in place moves the modification time). An update that fails
 * forgets everything, since its objects may have been changed half-way.
 */
const lastWritten = new Map<string, Known>();

interface Known {
  version: FileVersion;
  bytes: Buffer;
  doc: unknown;
}

/**
 * Updates that follow each other in this process without letting go of the workspace lock: the next
 * one starts from the state the previous one computed while that one's files are still being written
 * and fsynced, and its files are renamed into place after the previous one's. The daemon, which
 * updates the state at every job start and end, so starts the next jobs while the disk is busy. The
 * lock is let go when the last update is written, and at the latest after `MAX_CHAIN` updates or
 * `MAX_HOLD_MS`, so that other processes get their turn.
 */
interface Chain {
  readonly lock: HeldLock;
  readonly startedMs: number;
  length: number;
  /** Each file as the chain computed it last (what it will be once the chain is written). */
  readonly current: Map<string, { bytes: Buffer; doc: unknown }>;
  /** Settles when every update of the chain so far is written; rejects when one failed. */
  written: Promise<void>;
  failed: boolean;
}

const MAX_CHAIN = 16;
const MAX_HOLD_MS = 100;
const chains = new Map<string, Chain>();
/** Per workspace: settles when every update staged by this process so far is written (or failed). */
const lastChainWritten = new Map<string, Promise<void>>();
/** Per workspace: updates of this process compute one at a time. */
const turns = new Map<string, Promise<unknown>>();

/** A state file read under the lock: bytes and validated document; both undefined when there is no file. */
interface ForUpdate<K extends 'queue' | 'group'> {
  bytes: Buffer | undefined;
  /** The version on disk; undefined when there is no file, or when the bytes are the chain's, not yet written. */
  version: FileVersion | undefined;
  doc: DocumentOf<K> | undefined;
}

async function readForUpdate<K extends 'queue' | 'group'>(ws: WorkspacePaths, chain: Chain, kind: K, file: string): Promise<ForUpdate<K>> {
  const current = chain.current.get(file);
  if (current) return { bytes: current.bytes, version: undefined, doc: current.doc as DocumentOf<K> };
  const known = lastWritten.get(file);
  if (known) {
    const now = await fileVersion(file);
    if (now && sameVersion(now, known.version)) return { bytes: known.bytes, version: known.version, doc: known.doc as DocumentOf<K> };
  }
  const read = await readVersioned(file);
  if (!read) return { bytes: undefined, version: undefined, doc: undefined };
  return { ...read, doc: await documentOf(kind, read.bytes.toString('utf8'), displayPath(ws, file)) };
}

/**
 * The one read-modify-write of queue.json and group.json. `fn` runs under the workspace lock with
 * the files as they are; if it throws, nothing is written. Resolves once the files are written.
 */
export async function updateState<T>(ws: WorkspacePaths, clock: Clock, fn: (tx: StateTx) => T | Promise<T>): Promise<T> {
  const { result, written, settled } = await stageInTurn(ws, clock, fn);
  await written;
  // The lock is let go (if no update followed) before the caller goes on, and may exit.
  await settled;
  return result;
}

/**
 * `updateState` that resolves as soon as `fn` has run and the files are on their way to the disk;
 * `written` settles when they are in place (and rejects if they could not be written: then neither
 * this update nor any later one of the same chain took effect). The next update of this process may
 * start meanwhile (see `Chain`).
 */
export async function stageUpdate<T>(ws: WorkspacePaths, clock: Clock, fn: (tx: StateTx) => T | Promise<T>): Promise<{ result: T; written: Promise<void> }> {
  const { result, written } = await stageInTurn(ws, clock, fn);
  return { result, written };
}

/** A staged update, and `settled`: its chain let go of the lock, or another update joined it. */
type Staged<T> = { result: T; written: Promise<void>; settled: Promise<void> };

async function stageInTurn<T>(ws: WorkspacePaths, clock: Clock, fn: (tx: StateTx) => T | Promise<T>): Promise<Staged<T>> {
  const key = ws.queueFile;
  const before = turns.get(key) ?? Promise.resolve();
  let done!: () => void;
  const turn = new Promise<void>((resolve) => (done = resolve));
  turns.set(key, turn);
  await before;
  try {
    return await stageInChain(ws, clock, fn);
  } finally {
    if (turns.get(key) === turn) turns.delete(key);
    done();
  }
}

async function stageInChain<T>(ws: WorkspacePaths, clock: Clock, fn: (tx: StateTx) => T | Promise<T>): Promise<Staged<T>> {
  const key = ws.queueFile;
  let chain = chains.get(key);
  if (chain && (chain.failed || chain.length >= MAX_CHAIN || clock.now() - chain.startedMs >= MAX_HOLD_MS)) {
    await endChain(key, chain);
    chain = undefined;
  }
  if (!chain) {
    const lock = await acquireStateLock(ws);
    // After everything an earlier chain staged (it has ended, so this waits for nothing; but the order
    // of the writes does not rest on when chains end).
    const before = lastChainWritten.get(key)?.catch(() => undefined) ?? Promise.resolve();
    chain = { lock, startedMs: clock.now(), length: 0, current: new Map(), written: before, failed: false };
    chains.set(key, chain);
  }
  const c = chain;
  c.length++;
  let update: ComputedUpdate<T>;
  try {
    update = await computeUpdate(ws, clock, fn, c);
  } catch (err) {
    fail(c);
    await endWhenWritten(key, c);
    throw err;
  }
  const previous = c.written;
  const written = (async () => {
    try {
      await previous;
    } catch (err) {
      await abortAll(update.staging);
      throw err;
    }
    await writeUpdate(ws, c, update);
  })();
  c.written = written.catch((err: unknown) => {
    fail(c);
    throw err;
  });
  void c.written.catch(() => undefined);
  lastChainWritten.set(key, c.written);
  const settled = endWhenWritten(key, c);
  return { result: update.result, written, settled };
}

function fail(chain: Chain): void {
  chain.failed = true;
  chain.current.clear();
  lastWritten.clear();
}

/**
 * Lets go of the lock once the chain is written, unless another update joined it meanwhile. It leaves
 * `chains` at the moment it is found complete (nothing may join it after that check), and only then.
 */
async function endWhenWritten(key: string, chain: Chain): Promise<void> {
  const length = chain.length;
  await chain.written.catch(() => undefined);
  if (chain.length !== length || chains.get(key) !== chain) return;
  chains.delete(key);
  await chain.lock.release();
}

/** Ends a chain no update may join any more (too long, or failed): written, then the lock let go. */
async function endChain(key: string, chain: Chain): Promise<void> {
  if (chains.get(key) === chain) chains.delete(key);
  await chain.written.catch(() => undefined);
  await chain.lock.release();
}

interface ComputedUpdate<T> {
  result: T;
  /** The files to write, in the order they are renamed into place, each being staged already. */
  files: { file: string; bytes: Buffer; doc: unknown; staging: Promise<PromiseSettledResult<StagedWrite>> }[];
  staging: Promise<PromiseSettledResult<StagedWrite>>[];
  archive: Job[];
  /** The queue as read, when it is not rewritten: its version is still what the queue is. */
  queueUnchanged: ForUpdate<'queue'> | undefined;
}

const settle = <T>(p: Promise<T>): Promise<PromiseSettledResult<T>> =>
  p.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );

async function abortAll(staging: Promise<PromiseSettledResult<StagedWrite>>[]): Promise<void> {
  for (const r of await Promise.all(staging)) if (r.status === 'fulfilled') await r.value.abort();
}

/** Runs `fn` and starts writing what it changed; the chain's `current` is the new state from then on. */
async function computeUpdate<T>(ws: WorkspacePaths, clock: Clock, fn: (tx: StateTx) => T | Promise<T>, chain: Chain): Promise<ComputedUpdate<T>> {
  const read = await readForUpdate(ws, chain, 'queue', ws.queueFile);
  const queue = read.doc ?? emptyQueue();
  const beforeBytes = read.bytes ?? serializeBytes(queue);
  const before = new Map<Job, number>(queue.jobs.map((j) => [j, jobFingerprint(j)]));
  let takenIds: Set<string> | undefined;
  const nowMs = clock.now();
  const groups = new Map<string, Group | undefined>();
  const touched = new Set<string>();
  const metrics = new Map<string, PrimaryMetric | null>();
  let unchanged = false;

  const tx: StateTx = {
    queue,
    now: formatTimestamp(nowMs),
    nowMs,
    newJobId: () => uniqueId(() => formatJobId(clock.now(), randomHex()), (takenIds ??= new Set(queue.jobs.map((j) => j.job_id)))),
    getGroup: async (groupId) => {
      if (!groups.has(groupId)) groups.set(groupId, (await readForUpdate(ws, chain, 'group', groupFile(ws, groupId))).doc);
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
    leaveUnchanged: () => (unchanged = true),
  };
  const result = await fn(tx);
  if (unchanged) {
    if (read.doc && !chain.current.has(ws.queueFile)) chain.current.set(ws.queueFile, { bytes: beforeBytes, doc: queue });
    return { result, files: [], staging: [], archive: [], queueUnchanged: read };
  }

  for (const job of queue.jobs) {
    if (job.group_id && before.get(job) !== jobFingerprint(job)) touched.add(job.group_id);
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
    syncGroupWithQueue(group, queue.jobs, { now: tx.now, metrics, resultRef });
    toWrite.push(group);
  }
  // Every file is written and fsynced to a temp name at once — each group record as soon as it is
  // serialised, while the queue is — and renamed into place later, in order (`writeUpdate`).
  // (The folder of a group that exists is there: no call to make sure, at every job start and end.)
  for (const group of toWrite) if (!existsSync(groupDir(ws, group.group_id))) await mkdir(groupDir(ws, group.group_id), { recursive: true });
  const files: ComputedUpdate<T>['files'] = toWrite.map((group) => {
    const file = groupFile(ws, group.group_id);
    const bytes = serializeBytes(group);
    return { file, bytes, doc: group, staging: settle(stageAtomicWrite(file, bytes)) };
  });
  const { keep, archive } = selectArchivable(queue.jobs);
  if (archive.length > 0) {
    queue.jobs = keep;
    queue.archived = addArchivedCounts(queue.archived, archive);
  }
  const afterBytes = serializeBytes(queue);
  const queueChanged = !afterBytes.equals(beforeBytes);
  if (queueChanged) files.push({ file: ws.queueFile, bytes: afterBytes, doc: queue, staging: settle(stageAtomicWrite(ws.queueFile, afterBytes)) });
  for (const f of files) chain.current.set(f.file, { bytes: f.bytes, doc: f.doc });
  if (!chain.current.has(ws.queueFile) && read.doc) chain.current.set(ws.queueFile, { bytes: beforeBytes, doc: queue });
  // A group read but not written is taken as it is by the next update of the chain (fn changes a group
  // only through putGroup); a later chain reads it again.
  for (const groupId of groups.keys()) if (!touched.has(groupId)) lastWritten.delete(groupFile(ws, groupId));
  return {
    result,
    files,
    staging: files.map((f) => f.staging),
    archive,
    queueUnchanged: queueChanged ? undefined : read,
  };
}

/**
 * Puts an update's files in place: the archived jobs appended to history.jsonl and fsynced first (a
 * job leaves queue.json only once it is safely there), then every file renamed over its target —
 * groups before the queue: whoever sees a job's new state in queue.json finds its group already updated.
 */
async function writeUpdate(ws: WorkspacePaths, chain: Chain, update: ComputedUpdate<unknown>): Promise<void> {
  try {
    chain.lock.assertHeld();
    await appendHistory(ws, update.archive);
  } catch (err) {
    await abortAll(update.staging);
    throw err;
  }
  const staged = await Promise.all(update.staging);
  const written = staged.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = staged.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(written.map((w) => w.abort()));
    throw failed.reason;
  }
  for (const w of written) await w.commit();
  // After a failure in the chain, the objects may have been changed by the update that failed.
  if (chain.failed) return;
  update.files.forEach((f, i) => lastWritten.set(f.file, { version: written[i]!.version, bytes: f.bytes, doc: f.doc }));
  const unchanged = update.queueUnchanged;
  if (unchanged?.bytes !== undefined && unchanged.version) lastWritten.set(ws.queueFile, { version: unchanged.version, bytes: unchanged.bytes, doc: unchanged.doc });
}
