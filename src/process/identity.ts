/**
 * Knowing a process: whether it is alive, whether it is still the same process (PID + start time, so
 * a reused PID is not mistaken for a job), its command line, and waiting for a process that is not
 * our child to end. Probes only (kill with signal 0); signals are sent by signal.ts alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { type Clock, sleep } from '../infra/clock.js';

/** The start time of a process as an opaque string (`linux:<ticks since boot>`), or null if unknown. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = fields[19]; // field 22 of the whole line
    return ticks ? `linux:${ticks}` : null;
  } catch {
    return null;
  }
}

/** Process state letter from /proc (R, S, Z…), or null when unknown. */
function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

/** True if a process with this PID exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return processState(pid) !== 'Z';
}

/** True if `pid` is alive and is the same process that was started at `startTime` (when known). */
export function isSameProcess(pid: number, startTime: string | null | undefined): boolean {
  if (!isAlive(pid)) return false;
  if (!startTime) return true;
  const now = processStartTime(pid);
  return now === null || now === startTime;
}

/** The command line of a process (argv), or null when it cannot be read. */
export function processArgv(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s) => s !== '');
  } catch {
    return null;
  }
}

/**
 * The live process whose command line holds `word` (a job's exit file, which `withExitFile` puts in
 * the shell's argv), with its start time; undefined when there is none. For a job whose launch record
 * did not get to name its PID: the daemon that started it died between the start and that write.
 */
export function findProcessByArgv(word: string): { pid: number; startTime: string | null } | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (processArgv(pid)?.includes(word) && isAlive(pid)) return { pid, startTime: processStartTime(pid) };
  }
  return undefined;
}

/** True while any process of the group exists and is not a zombie. */
export function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true; // no /proc: trust kill(0)
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
    } catch {
      // the process ended while we looked
    }
  }
  return false;
}

/** Resolves when a process that is not our child (an adopted job) has exited. */
export async function waitForExit(pid: number, startTime: string | null | undefined, clock: Clock, pollMs = 250): Promise<void> {
  while (isSameProcess(pid, startTime)) await sleep(clock, pollMs);
}
