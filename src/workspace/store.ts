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
import { formatTimestamp, parseTimestamp } from '../infra/time.js';
import { addArchivedCounts, mergeArchived, selectArchivable } from '../queue/archive.js';
import { newGroupRecord, syncGroupWithQueue } from '../queue/group-record.js';
import { formatJobId, uniqueId } from '../queue/ids.js';
import type { PrimaryMetric } from '../queue/primary-metric.js';
import { CREATED_BY } from '../version.js';
import { appendHistory, findArchivedJobs, readHistory } from './history-file.js';
import {
  documentOf,
  type FileVersion,
  versionOfSync,
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
  // By instant: the original's naive local times and offset ones do not sort as strings (SPEC §4).
  const created = new Map(groups.map((g) => [g, parseTimestamp(g.created_at) ?? 0]));
  return groups.sort((a, b) => created.get(a)! - created.get(b)! || a.group_id.localeCompare(b.group_id));
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
  /**
   * This update is not to be written before `written` settles (another file it speaks of, on its way
   * to the disk); if that rejects, neither is the update.
   */
  waitFor(written: Promise<unknown>): void;
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
 * and fsynced. The daemon, which updates the state at every job start and end, so starts the next jobs
 * while the disk is busy.
 *
 * The files are written by flushes, one at a time: a flush serialises the files as the updates so far
 * left them, stages them (temp file, fsync) and renames them into place. Updates computed while a flush
 * is being written are written together by the next one (group commit): each file once, as the last
 * of them left it — a state no reader needs, passed on the way, is not written. An update's `written`
 * settles when the flush that holds it is in place. The lock is let go when the last update is written,
 * and at the latest after `MAX_CHAIN` updates or `MAX_HOLD_MS`, so that other processes get their turn.
 */
interface Chain {
  readonly lock: HeldLock;
  readonly startedMs: number;
  length: number;
  /** Each file's document as the chain computed it last (what it will be once the chain is written). */
  readonly current: Map<string, unknown>;
  /** Each file's bytes on disk as far as this chain knows (read, or written by its flushes), with their version. */
  readonly onDisk: Map<string, { bytes: Buffer; version: FileVersion }>;
  /** Files changed by updates no flush has serialised yet (group records and queue.json). */
  readonly dirty: Set<string>;
  /** Jobs those updates moved out of queue.json, to append to history.jsonl before it is written. */
  readonly archive: Job[];
  /** What those updates are to be written after (`StateTx.waitFor`). */
  readonly after: Promise<unknown>[];
  /** Updates computed and not yet in a flush: settled by the flush that takes them. */
  readonly waiting: Deferred[];
  /** An update's `fn` is running: the documents may be half-changed, no flush may serialise them now. */
  computing: boolean;
  /** The flush being written, if one is (settles, never rejects, when it is done). */
  inFlight: Promise<void> | undefined;
  /** Set while the next flush waits for its turn (`maybeFlush`). */
  timer: NodeJS.Timeout | undefined;
  /** No update joins any more: what is left is written at once. */
  ending: boolean;
  /** Settles when every update of the chain so far is written; rejects when one failed. */
  written: Promise<void>;
  /** The previous chain's writes, which this chain's follow. */
  readonly previousChain: Promise<unknown>;
  failure: { error: unknown } | undefined;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Whoever cares awaits it; an update nobody waits for must not be an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

const MAX_CHAIN = 64;
const MAX_HOLD_MS = 100;
const chains = new Map<string, Chain>();
/** Per workspace: settles when every update staged by this process so far is written (or failed). */
const lastChainWritten = new Map<string, Promise<void>>();
/** Per workspace: updates of this process compute one at a time. */
const turns = new Map<string, Promise<unknown>>();

/** A state file's document for an update: the chain's, or read (validated) under the lock; undefined when there is no file. */
async function readForUpdate<K extends 'queue' | 'group'>(ws: WorkspacePaths, chain: Chain, kind: K, file: string): Promise<DocumentOf<K> | undefined> {
  if (chain.current.has(file)) return chain.current.get(file) as DocumentOf<K>;
  const known = lastWritten.get(file);
  if (known) {
    const now = await fileVersion(file);
    if (now && sameVersion(now, known.version)) {
      chain.onDisk.set(file, { bytes: known.bytes, version: known.version });
      return known.doc as DocumentOf<K>;
    }
  }
  const read = await readVersioned(file);
  if (!read) return undefined;
  const doc = await documentOf(kind, read.bytes.toString('utf8'), displayPath(ws, file));
  chain.onDisk.set(file, read);
  return doc;
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
  if (chain && (chain.failure || chain.length >= MAX_CHAIN || clock.now() - chain.startedMs >= MAX_HOLD_MS)) {
    await endChain(ws, chain);
    chain = undefined;
  }
  if (!chain) {
    const lock = await acquireStateLock(ws);
    // After everything an earlier chain staged (it has ended, so this waits for nothing; but the order
    // of the writes does not rest on when chains end).
    const previousChain = lastChainWritten.get(key)?.catch(() => undefined) ?? Promise.resolve();
    chain = {
      lock,
      startedMs: clock.now(),
      length: 0,
      current: new Map(),
      onDisk: new Map(),
      dirty: new Set(),
      archive: [],
      waiting: [],
      computing: false,
      inFlight: undefined,
      timer: undefined,
      ending: false,
      written: Promise.resolve(),
      previousChain,
      after: [],
      failure: undefined,
    };
    chains.set(key, chain);
  }
  const c = chain;
  c.length++;
  const update = deferred();
  let result: T;
  c.computing = true;
  try {
    result = await computeUpdate(ws, clock, fn, c);
  } catch (err) {
    c.computing = false; // already now: the chain is waited for below
    // The documents may be half-changed: neither they nor the updates waiting to be written from them are.
    fail(c, err);
    update.reject(err);
    c.written = update.promise;
    await endWhenWritten(key, c);
    throw err;
  } finally {
    c.computing = false;
  }
  c.waiting.push(update);
  c.written = update.promise;
  lastChainWritten.set(key, c.written);
  maybeFlush(ws, c);
  const settled = endWhenWritten(key, c);
  return { result, written: update.promise, settled };
}

function fail(chain: Chain, error: unknown): void {
  chain.failure ??= { error };
  for (const d of chain.waiting.splice(0)) d.reject(chain.failure.error);
  chain.current.clear();
  chain.dirty.clear();
  chain.after.length = 0;
  lastWritten.clear();
}

/**
 * Per file: the version this process's last flush put in place (set just before the rename), so that
 * a watcher can tell its own writes from other processes' (`isOwnWrite`).
 */
const ownVersions = new Map<string, FileVersion>();

/**
 * Whether `file` is, right now, the version this process last wrote to it: a change of it that a
 * watcher reports is then this process's own (any other process's write is a new version).
 */
export function isOwnWrite(file: string): boolean {
  const own = ownVersions.get(file);
  if (!own) return false;
  try {
    return sameVersion(own, versionOfSync(file));
  } catch {
    return false;
  }
}

/**
 * Flushes are spaced so that serialising and staging the state takes at most about a tenth of this
 * process's time: a flush that took 1 ms (a queue and a group of a thousand entries each) is followed
 * by the next one 10 ms later at the earliest, one of a small queue (50 µs) after half a millisecond.
 * The updates computed meanwhile wait for it, and are written together. Never more than 50 ms.
 */
const FLUSH_COST_FACTOR = 10;
const MAX_FLUSH_INTERVAL_MS = 50;
/** Per workspace: when this process last started a flush, and what flushes cost (ms, moving average). */
const flushPace = new Map<string, { startedAt: number; costMs: number }>();

/**
 * Starts a flush if updates wait for one and none is being written or computed, and the last flush
 * is far enough behind (`FLUSH_COST_FACTOR`); otherwise it is started by whichever of these ends last.
 */
function maybeFlush(ws: WorkspacePaths, chain: Chain): void {
  if (chain.inFlight || chain.computing || chain.timer || chain.waiting.length === 0) return;
  const key = ws.queueFile;
  const pace = flushPace.get(key);
  const wait = pace ? pace.startedAt + Math.min(MAX_FLUSH_INTERVAL_MS, FLUSH_COST_FACTOR * pace.costMs) - performance.now() : 0;
  if (wait > 0 && !chain.failure && !chain.ending) {
    chain.timer = setTimeout(() => {
      chain.timer = undefined;
      maybeFlush(ws, chain);
    }, wait);
    return;
  }
  const startedAt = performance.now();
  flush(ws, chain);
  const costMs = performance.now() - startedAt;
  flushPace.set(key, { startedAt, costMs: pace ? 0.7 * pace.costMs + 0.3 * costMs : costMs });
}

/**
 * Writes what the updates waiting so far changed: each changed file serialised now (no update is
 * computing), staged at once — their fsyncs overlap — then, after the previous flush, the archived
 * jobs appended to history.jsonl and fsynced (a job leaves queue.json only once it is safely there)
 * and the files the updates wait for (`waitFor`) in place,
 * and every file renamed over its target: group records before the queue, so that whoever sees a
 * job's new state in queue.json finds its group already updated. When it is done, the updates that
 * waited meanwhile are written by the next flush (or, if one is computing, once it is computed).
 */
function flush(ws: WorkspacePaths, chain: Chain): void {
  const batch = chain.waiting.splice(0);
  if (chain.failure) {
    for (const d of batch) d.reject(chain.failure.error);
    return;
  }
  const archive = chain.archive.splice(0);
  const after = chain.after.splice(0);
  const names = [...chain.dirty].sort((a, b) => Number(a === ws.queueFile) - Number(b === ws.queueFile));
  chain.dirty.clear();
  const files: { file: string; bytes: Buffer; doc: unknown; staging: Promise<PromiseSettledResult<StagedWrite>> }[] = [];
  const kept: { file: string; bytes: Buffer; doc: unknown; version: FileVersion }[] = [];
  for (const file of names) {
    const doc = chain.current.get(file);
    const bytes = serializeBytes(doc);
    const onDisk = chain.onDisk.get(file);
    if (onDisk?.bytes.equals(bytes)) kept.push({ file, bytes, doc, version: onDisk.version });
    else files.push({ file, bytes, doc, staging: settle(stageAtomicWrite(file, bytes)) });
  }
  const staging = files.map((f) => f.staging);
  const inFlight = (async () => {
    try {
      await chain.previousChain;
      await Promise.all(after);
      chain.lock.assertHeld();
      await appendHistory(ws, archive);
    } catch (err) {
      await abortAll(staging);
      throw err;
    }
    const staged = await Promise.all(staging);
    const written = staged.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = staged.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(written.map((w) => w.abort()));
      throw failed.reason;
    }
    files.forEach((f, i) => ownVersions.set(f.file, written[i]!.version));
    for (const w of written) await w.commit();
    files.forEach((f, i) => chain.onDisk.set(f.file, { bytes: f.bytes, version: written[i]!.version }));
    // A later chain takes these files as they are, while they are still these versions (unless an
    // update of this chain failed since: then its objects may have been changed half-way).
    if (chain.failure) return;
    files.forEach((f, i) => lastWritten.set(f.file, { version: written[i]!.version, bytes: f.bytes, doc: f.doc }));
    for (const k of kept) lastWritten.set(k.file, { version: k.version, bytes: k.bytes, doc: k.doc });
  })().then(
    () => {
      for (const d of batch) d.resolve();
    },
    (err: unknown) => {
      for (const d of batch) d.reject(err);
      fail(chain, err);
    },
  ).finally(() => {
    if (chain.inFlight === inFlight) chain.inFlight = undefined;
    maybeFlush(ws, chain);
  });
  chain.inFlight = inFlight;
}

/** Waits until every update of the chain so far is written (or failed) and no flush is being written. */
async function quiesce(chain: Chain): Promise<void> {
  await chain.written.catch(() => undefined);
  while (chain.inFlight) await chain.inFlight;
}

/**
 * Lets go of the lock once the chain is written, unless another update joined it meanwhile. It leaves
 * `chains` at the moment it is found complete (nothing may join it after that check), and only then.
 */
async function endWhenWritten(key: string, chain: Chain): Promise<void> {
  const length = chain.length;
  await quiesce(chain);
  if (chain.length !== length || chains.get(key) !== chain) return;
  chains.delete(key);
  await chain.lock.release();
}

/** Ends a chain no update may join any more (too long, or failed): written, then the lock let go. */
async function endChain(ws: WorkspacePaths, chain: Chain): Promise<void> {
  const key = ws.queueFile;
  if (chains.get(key) === chain) chains.delete(key);
  // Written now, not after the pause between flushes: the next update waits for it.
  chain.ending = true;
  if (chain.timer) clearTimeout(chain.timer);
  chain.timer = undefined;
  maybeFlush(ws, chain);
  await quiesce(chain);
  await chain.lock.release();
}

const settle = <T>(p: Promise<T>): Promise<PromiseSettledResult<T>> =>
  p.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );

async function abortAll(staging: Promise<PromiseSettledResult<StagedWrite>>[]): Promise<void> {
  for (const r of await Promise.all(staging)) if (r.status === 'fulfilled') await r.value.abort();
}

/** Runs `fn`, brings the groups its jobs' changes touch up to date, and marks what changed for the next flush. */
async function computeUpdate<T>(ws: WorkspacePaths, clock: Clock, fn: (tx: StateTx) => T | Promise<T>, chain: Chain): Promise<T> {
  const read = await readForUpdate(ws, chain, 'queue', ws.queueFile);
  const queue = read ?? emptyQueue();
  // No queue.json yet: an update that leaves the empty queue as it is does not create one.
  const absent = read ? undefined : serializeBytes(queue);
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
      if (!groups.has(groupId)) groups.set(groupId, await readForUpdate(ws, chain, 'group', groupFile(ws, groupId)));
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
    waitFor: (written) => chain.after.push(written),
  };
  const result = await fn(tx);
  chain.current.set(ws.queueFile, queue);
  if (unchanged) return result;

  for (const job of queue.jobs) {
    if (job.group_id && before.get(job) !== jobFingerprint(job)) touched.add(job.group_id);
  }
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
    // (The folder of a group that exists is there: no call to make sure, at every job start and end.)
    const file = groupFile(ws, groupId);
    if (!chain.onDisk.has(file) && !existsSync(groupDir(ws, groupId))) await mkdir(groupDir(ws, groupId), { recursive: true });
    chain.current.set(file, group);
    chain.dirty.add(file);
  }
  const { keep, archive } = selectArchivable(queue.jobs);
  if (archive.length > 0) {
    queue.jobs = keep;
    queue.archived = addArchivedCounts(queue.archived, archive);
    chain.archive.push(...archive);
  }
  if (!absent || touched.size > 0 || !serializeBytes(queue).equals(absent)) chain.dirty.add(ws.queueFile);
  // A group read but not written is taken as it is by the next update of the chain (fn changes a group
  // only through putGroup); a later chain reads it again.
  for (const groupId of groups.keys()) if (!touched.has(groupId)) lastWritten.delete(groupFile(ws, groupId));
  return result;
}
