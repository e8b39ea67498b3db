/**
 * Reading how a process ended from what it left: an exit-status file holds a shell's `$?` or the warm
 * worker's `{"pid","exit_code","signal"}`; a shell's 128+N means the program died of signal N.
 */
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { ChildOutcome } from './spawn.js';

/**
 * The exit status a job's process left in its exit file: a number (the sh wrapper's `$?`) or the warm
 * worker's `{"pid","exit_code","signal"}` (with `pid`, to tell it from another run's). Undefined when
 * there is none, or it is unreadable (cut short: as if there were none).
 */
export function readExitFile(file: string): (ChildOutcome & { pid?: number }) | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (/^\d+$/.test(text)) return fromShellStatus(Number(text));
  try {
    const status: unknown = JSON.parse(text);
    return isWarmExitStatus(status) ? { pid: status.pid, exitCode: status.exit_code, signal: status.signal } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * WarmExitStatusSchema's check (contracts/warm-worker.ts) written out: status commands read exit files
 * (a job that ended while no daemon ran), and loading zod for it cost queue-status ~60 ms.
 */
export function isWarmExitStatus(v: unknown): v is { pid: number; exit_code: number | null; signal: string | null } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return (
    Number.isSafeInteger(o.pid) && (o.pid as number) > 0 &&
    (o.exit_code === null || Number.isSafeInteger(o.exit_code)) &&
    (o.signal === null || typeof o.signal === 'string')
  );
}

/** How the program under `withExitFile` ended, from how its shell ended. */
export const shellExit = (e: ChildOutcome): ChildOutcome => (e.signal || e.exitCode === null ? e : fromShellStatus(e.exitCode));

/** A shell's `$?`: 128+N means the program was killed by signal N. */
export function fromShellStatus(status: number): ChildOutcome {
  if (status > 128 && status < 128 + 65) {
    const name = Object.entries(osConstants.signals).find(([, n]) => n === status - 128)?.[0];
    if (name) return { exitCode: null, signal: name };
  }
  return { exitCode: status, signal: null };
}
