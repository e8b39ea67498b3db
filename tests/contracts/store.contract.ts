/**
 * The Store contract (src/store/store.ts): what every implementation guarantees, checked through the
 * interface only. An implementation is done when `describeStoreContract` passes for it
 * (tests/contracts/file-store.test.ts for the file store; the PostgreSQL store runs the same).
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { LaunchRecord } from '../../src/contracts/launch.js';
import type { Job } from '../../src/contracts/queue.js';
import { RETAINED_FINISHED_JOBS, ARCHIVE_BATCH } from '../../src/queue/archive.js';
import { newGroupRecord } from '../../src/queue/group-record.js';
import type { Store } from '../../src/store/store.js';
import { appendJob } from './store-updates.js';

/** One implementation's state, fresh and empty, and the ways to reach it besides `store`. */
export interface StoreUnderTest {
  store: Store;
  /** Another instance on the same state, in this process. */
  open(): Store;
  /**
   * The command of a writer in another process on the same state: it makes `count` updates, each
   * `appendJob('<prefix>-<i>')` (store-updates.ts), and prints each run id on its own line once that
   * update has resolved.
   */
  writerCommand(prefix: string, count: number): { command: string; args: string[] };
  /** Whatever must exist before a run's launch record is written (a file store: the run folder). */
  prepareRun(runId: string): Promise<void>;
  /** Damages the stored queue: `names` is what an error about it must say; `raw` reads it back. */
  corruptQueue(): Promise<{ names: RegExp; raw(): Promise<string> }>;
}

export type StoreFactory = () => Promise<StoreUnderTest>;

/** Generous for a loaded 2-core machine: processes start, lock waits, fsyncs. */
const SLOW = 180_000;

interface Writer {
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Resolves once the writer printed `n` lines (rejects if it exits before). */
  printed(n: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

function startWriter(s: StoreUnderTest, prefix: string, count: number): Writer {
  const { command, args } = s.writerCommand(prefix, count);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  let partial = '';
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts.filter((l) => l !== ''));
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => {
      resolve({ code, signal, stderr });
      for (const w of waiters.splice(0)) w();
    }),
  );
  let done = false;
  void exited.then(() => (done = true));
  const printed = async (n: number): Promise<void> => {
    while (lines.length < n) {
      if (done) throw new Error(`writer ${prefix} exited after ${lines.length} of ${n} lines: ${stderr}`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { lines, exited, printed, kill: (signal) => child.kill(signal) };
}

/** Waits until `check()` holds, polling; fails after `ms`. */
async function eventually(check: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const runIdsOf = (jobs: readonly Job[]): string[] => jobs.map((j) => j.run_id);
const range = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

const launchRecord: LaunchRecord = {
  job_id: 'job-1',
  started_ms: 1_767_225_600_000,
  name: 'contract',
  mode: 'command',
  program: 'python3',
  effective_config: { seed: 7 },
  pid: 4242,
  process_start_time: '12345',
};

/** The Store contract suite for one implementation; `factory` makes a fresh, empty state per test. */
export function describeStoreContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    describe('updates', () => {
      it('loses no update under 8 concurrent writers in other processes', { timeout: SLOW }, async () => {
        const s = await factory();
        const K = 25;
        const writers = Array.from({ length: 8 }, (_, w) => startWriter(s, `p${w}`, K));
        const ends = await Promise.all(writers.map((w) => w.exited));
        for (const end of ends) expect(end, end.stderr).toMatchObject({ code: 0 });
        const jobs = (await s.store.readQueue()).jobs;
        expect(runIdsOf(jobs).sort()).toEqual(writers.flatMap((_, w) => range(`p${w}`, K)).sort());
        expect(new Set(jobs.map((j) => j.job_id)).size).toBe(8 * K);
      });

      it('loses no update under 8 concurrent instances in this process', { timeout: SLOW }, async () => {
        const s = await factory();
        const K = 25;
        const stores = [s.store, ...Array.from({ length: 7 }, () => s.open())];
        await Promise.all(
          stores.map(async (store, w) => {
            for (const runId of range(`i${w}`, K)) await store.update(appendJob(runId));
          }),
        );
        const jobs = (await s.open().readQueue()).jobs;
        expect(runIdsOf(jobs).sort()).toEqual(stores.flatMap((_, w) => range(`i${w}`, K)).sort());
        expect(new Set(jobs.map((j) => j.job_id)).size).toBe(8 * K);
      });

      it('an update whose fn throws changes nothing, and the next one works', async () => {
        const { store } = await factory();
        await store.update(appendJob('a'));
        const before = await store.readQueue();
        await expect(
          store.update((tx) => {
            appendJob('lost')(tx);
            tx.queue.jobs[0]!.state = 'failed';
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect(await store.readQueue()).toEqual(before);
        await store.update(appendJob('b'));
        expect(runIdsOf((await store.readQueue()).jobs)).toEqual(['a', 'b']);
        expect((await store.readQueue()).jobs[0]!.state).toBe('queued');
      });

      it('resolves only once durable: another instance reads the change right after', async () => {
        const s = await factory();
        const other = s.open();
        for (const runId of range('d', 10)) {
          const job = await s.store.update(appendJob(runId));
          expect((await other.readQueue()).jobs.map((j) => j.job_id)).toContain(job.job_id);
        }
      });

      it('staged updates become durable in order, each written resolves, and the last shows all', async () => {
        const s = await factory();
        const other = s.open();
        const seen: Promise<string[]>[] = [];
        for (const runId of range('s', 30)) {
          const { written } = await s.store.stage(appendJob(runId));
          // What another instance reads once this one is durable: at least everything staged up to it.
          seen.push(written.then(async () => runIdsOf((await other.readQueue()).jobs)));
        }
        const views = await Promise.all(seen);
        views.forEach((view, i) => expect(view.slice(0, i + 1), `read once update ${i} was durable`).toEqual(range('s', i + 1)));
        expect(runIdsOf((await other.readQueue()).jobs)).toEqual(range('s', 30));
      });
    });

    describe('reconciling', () => {
      it("keeps a group record in agreement with its jobs: a job's state change shows in its run entry", async () => {
        const s = await factory();
        const { store } = s;
        await store.update((tx) => {
          tx.putGroup(
            newGroupRecord({ groupId: 'g1', name: 'g1', notes: null, createdAt: tx.now, createdBy: 'contract', maxParallel: 2, planRef: null, runs: [{ runId: 'r1', overrides: {} }] }),
          );
          appendJob('r1', 'g1')(tx);
        });
        expect((await s.open().readGroup('g1'))!.runs.map((r) => [r.run_id, r.status])).toEqual([['r1', 'queued']]);
        await store.update((tx) => {
          const job = tx.queue.jobs[0]!;
          Object.assign(job, { state: 'running', started_at: tx.now });
        });
        const group = await s.open().readGroup('g1');
        expect(group!.runs.map((r) => [r.run_id, r.status])).toEqual([['r1', 'running']]);
        expect((await s.open().listGroups()).map((g) => g.group_id)).toEqual(['g1']);
      });

      it('archives finished jobs past the retention: moved, none lost', { timeout: SLOW }, async () => {
        const { store } = await factory();
        const total = RETAINED_FINISHED_JOBS + ARCHIVE_BATCH + 20;
        await store.update((tx) => {
          for (const runId of range('f', total)) {
            const job = appendJob(runId)(tx);
            Object.assign(job, { state: 'succeeded', started_at: tx.now, finished_at: tx.now });
          }
        });
        const queue = await store.readQueue();
        const archived = await store.readArchived(queue);
        expect(queue.jobs.length).toBeLessThan(total);
        expect(archived.length).toBeGreaterThan(0);
        const all = [...queue.jobs, ...archived];
        expect(runIdsOf(all).sort()).toEqual(range('f', total).sort());
        expect(new Set(all.map((j) => j.job_id)).size).toBe(total);
        const one = archived[0]!.run_id;
        expect(runIdsOf(await store.readArchived(queue, one))).toEqual([one]);
      });
    });

    it('a corrupt queue record: reads and updates reject naming it, and nothing is overwritten', async () => {
      const s = await factory();
      await s.store.update(appendJob('a'));
      const { names, raw } = await s.corruptQueue();
      const damaged = await raw();
      await expect(s.open().readQueue()).rejects.toThrow(names);
      await expect(s.store.update(appendJob('b'))).rejects.toThrow(names);
      await expect(s.open().update(appendJob('c'))).rejects.toThrow(names);
      expect(await raw()).toBe(damaged);
    });

    describe('watch', () => {
      it("tells of another instance's and another process's changes, not of its own", { timeout: SLOW }, async () => {
        const s = await factory();
        await s.store.update(appendJob('first'));
        let changes = 0;
        const errors: unknown[] = [];
        const watch = s.store.watch(
          () => changes++,
          (err) => errors.push(err),
        );
        try {
          // Its own writes: no news. Bounded wait; the positive controls below show the watch was alive.
          for (const runId of range('own', 5)) await s.store.update(appendJob(runId));
          await new Promise((resolve) => setTimeout(resolve, 1500));
          expect(changes).toBe(0);

          await s.open().update(appendJob('other-instance'));
          await eventually(() => changes > 0, 20_000, 'a change by another instance');

          changes = 0;
          const writer = startWriter(s, 'other-process', 1);
          expect((await writer.exited).code).toBe(0);
          await eventually(() => changes > 0, 20_000, 'a change by another process');
          expect(errors).toEqual([]);
        } finally {
          watch.close();
        }
      });
    });

    describe('recovery records', () => {
      it('a launch record outlives the instance that wrote it; clearRecords forgets it; no end record when none', async () => {
        const s = await factory();
        await s.prepareRun('r1');
        expect(await s.store.readEnd('r1')).toBeUndefined();
        expect(await s.store.readLaunch('r1')).toBeUndefined();
        await s.store.writeLaunch('r1', launchRecord);
        expect(await s.open().readLaunch('r1')).toEqual(launchRecord);
        await s.store.clearEnd('r1');
        expect(await s.open().readLaunch('r1')).toEqual(launchRecord);
        await s.store.clearRecords('r1');
        expect(await s.open().readLaunch('r1')).toBeUndefined();
        expect(await s.open().readEnd('r1')).toBeUndefined();
      });

      it('a writer killed (SIGKILL) mid-updates leaves a readable state with every update it saw resolve', { timeout: SLOW }, async () => {
        const s = await factory();
        const writer = startWriter(s, 'k', 2000);
        await writer.printed(15);
        writer.kill('SIGKILL');
        const end = await writer.exited;
        expect(end.signal).toBe('SIGKILL');
        const resolved = [...writer.lines];
        const after = s.open();
        const present = new Set(runIdsOf((await after.readQueue()).jobs));
        expect(resolved.filter((id) => !present.has(id))).toEqual([]);
        // And the state takes updates again (a lock the writer held is taken over).
        await after.update(appendJob('after-kill'));
        expect(runIdsOf((await s.open().readQueue()).jobs)).toContain('after-kill');
      });
    });
  });
}
