/**
 * Every signal RunForge sends goes through `sendSignal`: to one process, or to a whole process group
 * (a job leads its own group, so its grandchildren go with it). `terminateProcessGroup` is the one
 * way a job is stopped: SIGTERM, a grace period, SIGKILL.
 */
import { type Clock, sleep } from '../infra/clock.js';
import { isGroupAlive } from './identity.js';

/** Whom a signal goes to: one process, or every process of a group. */
export type SignalTarget = { pid: number } | { group: number };

/**
 * Sends `signal`; false when there was no one to send it to (already gone, or a PID that must never
 * be signalled: 0 and 1 would reach this process's own group or init).
 */
export function sendSignal(target: SignalTarget, signal: NodeJS.Signals): boolean {
  const id = 'pid' in target ? target.pid : target.group;
  if (!Number.isInteger(id) || id <= 1) return false;
  try {
    process.kill('pid' in target ? id : -id, signal);
    return true;
  } catch {
    return false; // already gone
  }
}

/** Sends `signal` to every process of the group (no-op when it is gone). */
export function signalGroup(pgid: number | null | undefined, signal: NodeJS.Signals): void {
  if (pgid) sendSignal({ group: pgid }, signal);
}

export interface TerminationOutcome {
  /** SIGKILL was needed after the grace period. */
  forced: boolean;
}

/** Terminations under way, by process group: a second request joins the first. */
const terminating = new Map<number, Promise<TerminationOutcome>>();

/**
 * Stops a whole process group: SIGTERM, wait up to `graceMs` for every member to exit, then SIGKILL.
 * Resolves once no process of the group remains (grandchildren included). While a termination of the
 * group is under way, another request gets that one: one SIGTERM, and the SIGKILL `graceMs` after it.
 * (The job's leader, a shell, dies of the SIGTERM at once; whoever then sees the job end and stops
 * what is left of its group must not send a second SIGTERM — programs take a second one as "quit now,
 * skip the clean-up" — nor start the grace again.)
 */
export function terminateProcessGroup(pgid: number, graceMs: number, clock: Clock, pollMs = 50): Promise<TerminationOutcome> {
  const under = terminating.get(pgid);
  if (under) return under;
  const termination = termGraceKill(pgid, graceMs, clock, pollMs).finally(() => terminating.delete(pgid));
  terminating.set(pgid, termination);
  return termination;
}

async function termGraceKill(pgid: number, graceMs: number, clock: Clock, pollMs: number): Promise<TerminationOutcome> {
  if (pgid <= 1) return { forced: false };
  signalGroup(pgid, 'SIGTERM');
  const deadline = clock.now() + graceMs;
  while (clock.now() < deadline) {
    if (!isGroupAlive(pgid)) return { forced: false };
    await sleep(clock, pollMs);
  }
  if (!isGroupAlive(pgid)) return { forced: false };
  signalGroup(pgid, 'SIGKILL');
  for (let i = 0; i < 100 && isGroupAlive(pgid); i++) await sleep(clock, pollMs);
  return { forced: true };
}
