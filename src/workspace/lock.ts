/**
 * The workspace state lock: one inter-process lock held across every read-modify-write of
 * queue.json and group.json, by the CLI and the daemon alike (proper-lockfile: an atomic mkdir,
 * refreshed while held, taken over when its holder stopped refreshing it for `STALE_MS`).
 */
import { mkdir } from 'node:fs/promises';
import { OperationFailedError } from '../infra/errors.js';
import type { WorkspacePaths } from './paths.js';

/** A lock not refreshed for this long (ms) is considered abandoned by a dead process. */
const STALE_MS = 5_000;
/** How often (ms) a holder refreshes the lock. */
const UPDATE_MS = 1_000;

/** The state lock as held: `assertHeld` throws once it was lost; `release` may be called more than once. */
export interface HeldLock {
  assertHeld(): void;
  release(): Promise<void>;
}

export async function withStateLock<T>(ws: WorkspacePaths, fn: (assertHeld: () => void) => Promise<T>): Promise<T> {
  const lock = await acquireStateLock(ws);
  try {
    return await fn(lock.assertHeld);
  } finally {
    await lock.release();
  }
}

/** Takes the state lock (waiting up to ~30 s for another holder), for a holder that releases it itself. */
export async function acquireStateLock(ws: WorkspacePaths): Promise<HeldLock> {
  await mkdir(ws.queueDir, { recursive: true });
  // Loaded on first use: read-only commands never take the lock.
  const { default: lockfile } = await import('proper-lockfile');
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(ws.queueDir, {
      lockfilePath: ws.stateLock,
      realpath: false,
      stale: STALE_MS,
      update: UPDATE_MS,
      // Up to ~30 s of waiting: enough for many writers queueing behind each other.
      retries: { retries: 400, factor: 1.3, minTimeout: 2, maxTimeout: 100, randomize: true },
      onCompromised: (err) => {
        compromised = err;
      },
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new OperationFailedError(
        'Timed out waiting for the workspace lock .runforge/queue/state.lock (another RunForge process holds it)',
      );
    }
    throw err;
  }
  let released: Promise<void> | undefined;
  return {
    assertHeld: () => {
      if (compromised) {
        throw new OperationFailedError(`Lost the workspace lock before writing (${compromised.message}); nothing was written`);
      }
    },
    release: () => (released ??= release().catch(() => undefined)),
  };
}
