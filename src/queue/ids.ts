/**
 * Id formats, pure. The original formed job ids from the wall-clock second plus a per-process counter
 * and produced duplicates across processes; the port keeps the `job_YYYYmmdd_HHMMSS_` prefix and adds
 * a random part (48 bits), and the store also checks it against the ids already in the queue.
 */
import { formatIdStamp } from '../infra/time.js';

export const formatJobId = (nowMs: number, random: string): string => `job_${formatIdStamp(nowMs)}_${random}`;

export const formatGroupId = (nowMs: number, random: string): string => `grp_${formatIdStamp(nowMs)}_${random}`;

/** The id of a run made on its own (`runforge add`): `run_YYYYmmdd_HHMMSS_<random>`. */
export const formatRunId = (nowMs: number, random: string): string => `run_${formatIdStamp(nowMs)}_${random}`;

/**
 * Run ids of a sweep: `<group-id>-run-NNN` (1-based, zero-padded to the sweep's size, at least 3
 * digits). The group id is unique, so run ids never collide across sweeps.
 */
export function formatSweepRunId(groupId: string, index: number, total: number): string {
  const width = Math.max(3, String(total).length);
  return `${groupId}-run-${String(index + 1).padStart(width, '0')}`;
}

/** Draws ids from `make` until one is not in `taken`; records it as taken. */
export function uniqueId(make: () => string, taken: Set<string>): string {
  for (let i = 0; i < 100; i++) {
    const id = make();
    if (!taken.has(id)) {
      taken.add(id);
      return id;
    }
  }
  throw new Error('could not draw a unique id in 100 attempts');
}
