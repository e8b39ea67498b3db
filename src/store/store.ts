/**
 * The Store seam: where the queue's state lives. The file store (queue.json, group.json, a lock and
 * paced atomic writes; store/file/) is the first implementation; a PostgreSQL store is the next. Every
 * implementation runs the same suite, tests/contracts/store.contract.ts.
 *
 * Guarantees every implementation gives (the contract suite checks each):
 * - `update` is one transaction: `fn` sees the state as it is now, alone (no other writer of any
 *   process changes it meanwhile); if `fn` throws, nothing of it is kept; when the promise resolves,
 *   the change is durable (a crash, a kill -9 of the writer, does not lose it). No update is lost under
 *   concurrent writers, in this process or others.
 * - Groups are kept in agreement with their jobs by the store (queue/reconcile.ts), and finished jobs
 *   past the retention are archived: moved, never lost (a crash may leave one in both places).
 * - Reads are validated: a corrupt record is an error naming it, never "empty".
 * - `watch` tells of changes made by others (other processes, other boxes), soon after they are made;
 *   a missed notification is covered by the daemon's safety poll, so it is a hint, not a guarantee.
 * - Recovery records outlive the process that wrote them: a launch record written before a job's
 *   process runs is there for the daemon that takes over after a crash (a job is started once).
 */
import type { Group } from '../contracts/group.js';
import type { LaunchRecord } from '../contracts/launch.js';
import type { Job, Queue } from '../contracts/queue.js';
import type { PrimaryMetric } from '../queue/primary-metric.js';

/** What a state update may do; everything else about storing the state is the store's business. */
export interface StateTx {
  /** The queue as it is now (under the store's lock); change it in place. */
  readonly queue: Queue;
  /** The time of this update, as written into timestamps. */
  readonly now: string;
  readonly nowMs: number;
  /** A job id that is in no job of the queue. */
  newJobId(): string;
  /** The group record now (validated), or undefined. */
  getGroup(groupId: string): Promise<Group | undefined>;
  /** Stores a new or changed group record; it is reconciled with the queue before it is written. */
  putGroup(group: Group): void;
  /** Marks a group for reconciling and rewriting even if none of its jobs changed. */
  touchGroup(groupId: string): void;
  /** Records the primary metric of a finished run for its group's summary. */
  recordMetric(runId: string, metric: PrimaryMetric | null): void;
  /**
   * Archived jobs of these runs that are not in `queue.jobs`, without reading the whole archive. A run
   * with a job in the queue has all its newer jobs there (whole runs are archived).
   */
  findArchivedJobs(runIds: ReadonlySet<string>): Promise<Job[]>;
  /** The archived job with this id, if it is archived and not in `queue.jobs`. */
  findArchivedJob(jobId: string): Promise<Job | undefined>;
  /** Declares that this update changed nothing (the caller knows): nothing is written. */
  leaveUnchanged(): void;
  /**
   * This update is not to be made durable before `written` settles (another file it speaks of, on its
   * way to the disk); if that rejects, neither is the update.
   */
  waitFor(written: Promise<unknown>): void;
}

export type UpdateFn<T> = (tx: StateTx) => T | Promise<T>;

/** An update whose `fn` has run; `written` settles when it is durable, and rejects if it never will be. */
export interface StagedUpdate<T> {
  result: T;
  written: Promise<void>;
}

/** How a process ended, as recorded where it ran (the end record). */
export interface ProcessEnd {
  exitCode: number | null;
  signal: string | null;
  /** The process that wrote it, when the record says (a warm worker's fork). */
  pid?: number;
  /** When the process ended, epoch ms, when the record tells (the file store: the record's mtime). */
  endedMs?: number;
}

export interface StoreWatch {
  close(): void;
}

export interface Store {
  /** The queue now; an empty queue when nothing was ever enqueued. */
  readQueue(): Promise<Queue>;
  readGroup(groupId: string): Promise<Group | undefined>;
  /** Every group, oldest first. */
  listGroups(): Promise<Group[]>;
  /**
   * Jobs moved out of the queue by archiving and not in `queue` (a snapshot read before): every one,
   * or with `runId` those of that run (without reading the whole archive). Not for a hot path.
   */
  readArchived(queue: Queue, runId?: string): Promise<Job[]>;
  /** The one read-modify-write of the state: resolves with `fn`'s result once the change is durable. */
  update<T>(fn: UpdateFn<T>): Promise<T>;
  /**
   * `update` that resolves as soon as `fn` has run; the next update may start while this one is made
   * durable (the daemon starts the next jobs while the disk is busy). Updates become durable in order:
   * if one fails, no later one of this store takes effect either.
   */
  stage<T>(fn: UpdateFn<T>): Promise<StagedUpdate<T>>;
  /** Calls `onChange` soon after someone else changes the state (a hint: see the guarantees above). */
  watch(onChange: () => void, onError: (err: unknown) => void): StoreWatch;

  /** Records how a job's run was launched, before its process may run (see the guarantees). */
  writeLaunch(runId: string, record: LaunchRecord): Promise<void>;
  /** The launch record of a run; undefined when there is none or it is unusable. */
  readLaunch(runId: string): Promise<LaunchRecord | undefined>;
  /** The end record of a run's process, when it ended and said so; undefined otherwise. */
  readEnd(runId: string): Promise<ProcessEnd | undefined>;
  /** Forgets a run's end record and then its launch record (its result is durable). */
  clearRecords(runId: string): Promise<void>;
  /** Forgets a run's end record alone (before it is launched again). */
  clearEnd(runId: string): Promise<void>;
}
