/**
 * How the file store's updates reach the disk: chains of updates under one hold of the workspace lock,
 * written by paced flushes (group commit). The update itself (reading, `fn`, reconciling) is
 * update.ts's; this module owns the lock, the order of the writes and their pacing.
 *
 * Updates that follow each other in this process without letting go of the workspace lock form a
 * chain: the next one starts from the state the previous one computed while that one's files are still
 * being written and fsynced. The daemon, which updates the state at every job start and end, so starts
 * the next jobs while the disk is busy.
 *
 * The files are written by flushes, one at a time: a flush serialises the files as the updates so far
 * left them, stages them (temp file, fsync) and renames them into place. Updates computed while a flush
 * is being written are written together by the next one: each file once, as the last of them left it —
 * a state no reader needs, passed on the way, is not written. An update's `written` settles when the
 * flush that holds it is in place. The lock is let go when the last update is written, and at the
 * latest after `MAX_CHAIN` updates or `MAX_HOLD_MS`, so that other processes get their turn.
 */
import type { Job } from '../../contracts/queue.js';
import { type Clock, monotonicMs, type TimerHandle } from '../../infra/clock.js';
import { appendHistory } from '../../workspace/history-file.js';
import { type FileVersion, type StagedWrite, stageAtomicWrite } from '../../workspace/json-file.js';
import { acquireStateLock, type HeldLock } from '../../workspace/lock.js';
import type { WorkspacePaths } from '../../workspace/paths.js';
import { serializeBytes } from '../../workspace/serialize-cache.js';
import { lastWritten, recordOwnVersion } from './own-writes.js';

/** One hold of the workspace lock and the updates made under it (see the module comment). */
export interface Chain {
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
  timer: TimerHandle | undefined;
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
  /** The store whose update this is (for `isOwnWrite`); undefined for the free functions. */
  owner: object | undefined;
}

function deferred(owner: object | undefined): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Whoever cares awaits it; an update nobody waits for must not be an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject, owner };
}

const MAX_CHAIN = 64;
const MAX_HOLD_MS = 100;
const chains = new Map<string, Chain>();
/** Per workspace: settles when every update staged by this process so far is written (or failed). */
const lastChainWritten = new Map<string, Promise<void>>();
/** Per workspace: updates of this process compute one at a time. */
const turns = new Map<string, Promise<unknown>>();

/** A staged update, and `settled`: its chain let go of the lock, or another update joined it. */
export type Staged<T> = { result: T; written: Promise<void>; settled: Promise<void> };

/** How an update is computed in its chain (update.ts): changes the chain's documents, marks them dirty. */
export type Compute<T> = (chain: Chain) => Promise<T>;

/** Stages one update of this process, after the ones before it (one computes at a time, per workspace). */
export async function stageInTurn<T>(ws: WorkspacePaths, clock: Clock, owner: object | undefined, compute: Compute<T>): Promise<Staged<T>> {
  const key = ws.queueFile;
  const before = turns.get(key) ?? Promise.resolve();
  let done!: () => void;
  const turn = new Promise<void>((resolve) => (done = resolve));
  turns.set(key, turn);
  await before;
  try {
    return await stageInChain(ws, clock, owner, compute);
  } finally {
    if (turns.get(key) === turn) turns.delete(key);
    done();
  }
}

async function openChain(ws: WorkspacePaths, clock: Clock): Promise<Chain> {
  const key = ws.queueFile;
  const lock = await acquireStateLock(ws);
  // After everything an earlier chain staged (it has ended, so this waits for nothing; but the order
  // of the writes does not rest on when chains end).
  const previousChain = lastChainWritten.get(key)?.catch(() => undefined) ?? Promise.resolve();
  const chain: Chain = {
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
  return chain;
}

async function stageInChain<T>(ws: WorkspacePaths, clock: Clock, owner: object | undefined, compute: Compute<T>): Promise<Staged<T>> {
  const key = ws.queueFile;
  let chain = chains.get(key);
  if (chain && (chain.failure || chain.length >= MAX_CHAIN || clock.now() - chain.startedMs >= MAX_HOLD_MS)) {
    await endChain(ws, clock, chain);
    chain = undefined;
  }
  const c = chain ?? (await openChain(ws, clock));
  c.length++;
  const update = deferred(owner);
  let result: T;
  c.computing = true;
  try {
    result = await compute(c);
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
  maybeFlush(ws, clock, c);
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
 * Flushes are spaced so that serialising and staging the state takes at most about a tenth of this
 * process's time: a flush that took 1 ms (a queue and a group of a thousand entries each) is followed
 * by the next one 10 ms later at the earliest, one of a small queue (50 µs) after half a millisecond.
 * The updates computed meanwhile wait for it, and are written together. Never more than 50 ms.
 * (Measured on the clock's monotonic reading: a test clock's flushes take no time and are never paced.)
 */
const FLUSH_COST_FACTOR = 10;
const MAX_FLUSH_INTERVAL_MS = 50;
/** Per workspace: when this process last started a flush, and what flushes cost (ms, moving average). */
const flushPace = new Map<string, { startedAt: number; costMs: number }>();

/**
 * Starts a flush if updates wait for one and none is being written or computed, and the last flush
 * is far enough behind (`FLUSH_COST_FACTOR`); otherwise it is started by whichever of these ends last.
 */
function maybeFlush(ws: WorkspacePaths, clock: Clock, chain: Chain): void {
  if (chain.inFlight || chain.computing || chain.timer || chain.waiting.length === 0) return;
  const key = ws.queueFile;
  const pace = flushPace.get(key);
  // (Capped again: a reading from a clock of another origin must not hold a flush back for long.)
  const wait = pace ? Math.min(MAX_FLUSH_INTERVAL_MS, pace.startedAt + Math.min(MAX_FLUSH_INTERVAL_MS, FLUSH_COST_FACTOR * pace.costMs) - monotonicMs(clock)) : 0;
  if (wait > 0 && !chain.failure && !chain.ending) {
    chain.timer = clock.setTimeout(() => {
      chain.timer = undefined;
      maybeFlush(ws, clock, chain);
    }, wait);
    return;
  }
  const startedAt = monotonicMs(clock);
  flush(ws, clock, chain);
  const costMs = monotonicMs(clock) - startedAt;
  flushPace.set(key, { startedAt, costMs: pace ? 0.7 * pace.costMs + 0.3 * costMs : costMs });
}

interface StagedFile {
  file: string;
  bytes: Buffer;
  doc: unknown;
  staging: Promise<PromiseSettledResult<StagedWrite>>;
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
function flush(ws: WorkspacePaths, clock: Clock, chain: Chain): void {
  const batch = chain.waiting.splice(0);
  if (chain.failure) {
    for (const d of batch) d.reject(chain.failure.error);
    return;
  }
  const archive = chain.archive.splice(0);
  const after = chain.after.splice(0);
  const names = [...chain.dirty].sort((a, b) => Number(a === ws.queueFile) - Number(b === ws.queueFile));
  chain.dirty.clear();
  const files: StagedFile[] = [];
  const kept: { file: string; bytes: Buffer; doc: unknown; version: FileVersion }[] = [];
  for (const file of names) {
    const doc = chain.current.get(file);
    const bytes = serializeBytes(doc);
    const onDisk = chain.onDisk.get(file);
    if (onDisk?.bytes.equals(bytes)) kept.push({ file, bytes, doc, version: onDisk.version });
    else files.push({ file, bytes, doc, staging: settle(stageAtomicWrite(file, bytes)) });
  }
  const owners = new Set(batch.flatMap((d) => (d.owner ? [d.owner] : [])));
  const inFlight = writeFlush(ws, chain, { archive, after, files, kept, owners }).then(
    () => {
      for (const d of batch) d.resolve();
    },
    (err: unknown) => {
      for (const d of batch) d.reject(err);
      fail(chain, err);
    },
  ).finally(() => {
    if (chain.inFlight === inFlight) chain.inFlight = undefined;
    maybeFlush(ws, clock, chain);
  });
  chain.inFlight = inFlight;
}

interface FlushWork {
  archive: Job[];
  after: Promise<unknown>[];
  files: StagedFile[];
  kept: { file: string; bytes: Buffer; doc: unknown; version: FileVersion }[];
  owners: ReadonlySet<object>;
}

/** The asynchronous part of a flush: history, then the staged files renamed into place (see `flush`). */
async function writeFlush(ws: WorkspacePaths, chain: Chain, work: FlushWork): Promise<void> {
  const { files, kept } = work;
  const staging = files.map((f) => f.staging);
  try {
    await chain.previousChain;
    await Promise.all(work.after);
    chain.lock.assertHeld();
    await appendHistory(ws, work.archive);
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
  files.forEach((f, i) => recordOwnVersion(f.file, written[i]!.version, work.owners));
  for (const w of written) await w.commit();
  files.forEach((f, i) => chain.onDisk.set(f.file, { bytes: f.bytes, version: written[i]!.version }));
  // A later chain takes these files as they are, while they are still these versions (unless an
  // update of this chain failed since: then its objects may have been changed half-way).
  if (chain.failure) return;
  files.forEach((f, i) => lastWritten.set(f.file, { version: written[i]!.version, bytes: f.bytes, doc: f.doc }));
  for (const k of kept) lastWritten.set(k.file, { version: k.version, bytes: k.bytes, doc: k.doc });
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
async function endChain(ws: WorkspacePaths, clock: Clock, chain: Chain): Promise<void> {
  const key = ws.queueFile;
  if (chains.get(key) === chain) chains.delete(key);
  // Written now, not after the pause between flushes: the next update waits for it.
  chain.ending = true;
  if (chain.timer) clock.clearTimeout(chain.timer);
  chain.timer = undefined;
  maybeFlush(ws, clock, chain);
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
