/**
 * One update of the file store: the state files read under the lock (or taken as this process last
 * wrote them), `fn` run on them, the groups reconciled (queue/reconcile.ts), and what changed marked
 * for the next flush (flush.ts), group records before the queue. Also the free functions the daemon
 * still calls (`updateState`, `stageUpdate`); `FileStore` is the same through the Store seam.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { DocumentOf } from '../../contracts/index.js';
import type { Group } from '../../contracts/group.js';
import { emptyQueue } from '../../contracts/empty-queue.js';
import type { Clock } from '../../infra/clock.js';
import { randomHex } from '../../infra/random.js';
import { formatTimestamp } from '../../infra/time.js';
import { mergeArchived } from '../../queue/archive.js';
import { formatJobId, uniqueId } from '../../queue/ids.js';
import type { PrimaryMetric } from '../../queue/primary-metric.js';
import { fingerprintJobs, groupsToReconcile, reconcile } from '../../queue/reconcile.js';
import { CREATED_BY } from '../../version.js';
import { findArchivedJobs } from '../../workspace/history-file.js';
import { documentOf, fileVersion, readVersioned, sameVersion } from '../../workspace/json-file.js';
import { displayPath, groupDir, groupFile, resultRef, type WorkspacePaths } from '../../workspace/paths.js';
import { serializeBytes } from '../../workspace/serialize-cache.js';
import type { StagedUpdate, StateTx, UpdateFn } from '../store.js';
import { type Chain, stageInTurn } from './flush.js';
import { lastWritten } from './own-writes.js';

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
 * `owner`: the store making it (`isOwnWrite`).
 */
export async function updateState<T>(ws: WorkspacePaths, clock: Clock, fn: UpdateFn<T>, owner?: object): Promise<T> {
  const { result, written, settled } = await stageInTurn(ws, clock, owner, (chain) => computeUpdate(ws, clock, fn, chain));
  await written;
  // The lock is let go (if no update followed) before the caller goes on, and may exit.
  await settled;
  return result;
}

/**
 * `updateState` that resolves as soon as `fn` has run and the files are on their way to the disk;
 * `written` settles when they are in place (and rejects if they could not be written: then neither
 * this update nor any later one of the same chain took effect). The next update of this process may
 * start meanwhile (flush.ts, `Chain`).
 */
export async function stageUpdate<T>(ws: WorkspacePaths, clock: Clock, fn: UpdateFn<T>, owner?: object): Promise<StagedUpdate<T>> {
  const { result, written } = await stageInTurn(ws, clock, owner, (chain) => computeUpdate(ws, clock, fn, chain));
  return { result, written };
}

/** What `fn` did besides changing the queue: the groups it read or put, touched, and the metrics. */
interface TxRecord {
  groups: Map<string, Group | undefined>;
  touched: Set<string>;
  metrics: Map<string, PrimaryMetric | null>;
  unchanged: boolean;
}

/** Runs `fn`, brings the groups its jobs' changes touch up to date, and marks what changed for the next flush. */
async function computeUpdate<T>(ws: WorkspacePaths, clock: Clock, fn: UpdateFn<T>, chain: Chain): Promise<T> {
  const read = await readForUpdate(ws, chain, 'queue', ws.queueFile);
  const queue = read ?? emptyQueue();
  // No queue.json yet: an update that leaves the empty queue as it is does not create one.
  const absent = read ? undefined : serializeBytes(queue);
  const before = fingerprintJobs(queue.jobs);
  let takenIds: Set<string> | undefined;
  const nowMs = clock.now();
  const rec: TxRecord = { groups: new Map(), touched: new Set(), metrics: new Map(), unchanged: false };
  const getGroup = async (groupId: string): Promise<Group | undefined> => {
    if (!rec.groups.has(groupId)) rec.groups.set(groupId, await readForUpdate(ws, chain, 'group', groupFile(ws, groupId)));
    return rec.groups.get(groupId);
  };
  const tx: StateTx = {
    queue,
    now: formatTimestamp(nowMs),
    nowMs,
    newJobId: () => uniqueId(() => formatJobId(clock.now(), randomHex()), (takenIds ??= new Set(queue.jobs.map((j) => j.job_id)))),
    getGroup,
    putGroup: (group) => {
      rec.groups.set(group.group_id, group);
      rec.touched.add(group.group_id);
    },
    touchGroup: (groupId) => rec.touched.add(groupId),
    recordMetric: (runId, metric) => rec.metrics.set(runId, metric),
    findArchivedJobs: async (runIds) => mergeArchived(queue.jobs, await findArchivedJobs(ws, 'run_id', runIds)),
    findArchivedJob: async (jobId) => mergeArchived(queue.jobs, await findArchivedJobs(ws, 'job_id', new Set([jobId]))).at(-1),
    leaveUnchanged: () => (rec.unchanged = true),
    waitFor: (written) => chain.after.push(written),
  };
  const result = await fn(tx);
  chain.current.set(ws.queueFile, queue);
  if (rec.unchanged) return result;

  const ids = groupsToReconcile(queue.jobs, before, rec.touched);
  const records = new Map<string, Group | undefined>();
  for (const groupId of ids) records.set(groupId, await getGroup(groupId));
  const done = reconcile({ queue, groups: records, metrics: rec.metrics, now: tx.now, createdBy: CREATED_BY, resultRef });
  for (const group of done.groups) {
    // (The folder of a group that exists is there: no call to make sure, at every job start and end.)
    const file = groupFile(ws, group.group_id);
    if (!chain.onDisk.has(file) && !existsSync(groupDir(ws, group.group_id))) await mkdir(groupDir(ws, group.group_id), { recursive: true });
    chain.current.set(file, group);
    chain.dirty.add(file);
  }
  if (done.archive.length > 0) {
    queue.jobs = done.jobs;
    queue.archived = done.archived;
    chain.archive.push(...done.archive);
  }
  if (!absent || ids.size > 0 || !serializeBytes(queue).equals(absent)) chain.dirty.add(ws.queueFile);
  // A group read but not written is taken as it is by the next update of the chain (fn changes a group
  // only through putGroup); a later chain reads it again.
  for (const groupId of rec.groups.keys()) if (!ids.has(groupId)) lastWritten.delete(groupFile(ws, groupId));
  return result;
}
