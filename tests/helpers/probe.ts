/**
 * Reading what tests/fixtures/term-probe.py left in its run folder: the PIDs of its process tree, when
 * each process got SIGTERM, and its heartbeats (the last one tells when it was killed).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES, waitFor } from './daemon.js';
import { baseRequest } from './workspace.js';

export const TERM_PROBE = path.join(FIXTURES, 'term-probe.py');

export type ProbeRole = 'parent' | 'child';
export const ROLES: readonly ProbeRole[] = ['parent', 'child'];

/** A request whose custom command is the probe (`trap` or `ignore`; `exitAfter` s after SIGTERM). */
export function probeRequest(mode: 'trap' | 'ignore', exitAfter?: number): Record<string, unknown> {
  const request = baseRequest({ command: [TERM_PROBE, mode, ...(exitAfter === undefined ? [] : [String(exitAfter)])] });
  delete request.model;
  return request;
}

/** A live process: its PID and its start time, to tell it from a later process reusing the PID. */
export interface ProcessId {
  pid: number;
  startTime: string;
}

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/** True when the process is gone: no such PID, a zombie (dead, not yet reaped), or another process. */
export function isGone(p: ProcessId): boolean {
  return startTimeOf(p.pid) !== p.startTime;
}

const probeFile = (runDir: string, name: string): string => path.join(runDir, 'probe', name);

/** Complete lines of a probe file as numbers (a last line cut by SIGKILL is left out). */
export function probeNumbers(runDir: string, name: string): number[] {
  let text: string;
  try {
    text = readFileSync(probeFile(runDir, name), 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').slice(0, -1).map(Number);
}

/** Every probe process seen, so that a test that failed leaves none running (`killSurvivingProbes`). */
const seen: ProcessId[] = [];

/** SIGKILLs every probe process seen so far that is still alive. */
export function killSurvivingProbes(): void {
  for (const p of seen.splice(0)) {
    try {
      if (!isGone(p)) process.kill(p.pid, 'SIGKILL');
    } catch {
      // ended meanwhile
    }
  }
}

/** Waits until both processes of the probe are set up and alive; their PIDs and start times. */
export async function waitForProbe(runDir: string, timeoutMs = 30_000): Promise<Record<ProbeRole, ProcessId>> {
  const ids = {} as Record<ProbeRole, ProcessId>;
  await waitFor(
    `the probe's processes in ${runDir}`,
    () =>
      ROLES.every((role) => {
        const pid = Number(readFileSync(probeFile(runDir, `${role}.pid`), 'utf8'));
        const startTime = startTimeOf(pid);
        if (startTime === undefined) return false;
        ids[role] = { pid, startTime };
        return true;
      }),
    timeoutMs,
  );
  seen.push(ids.parent, ids.child);
  return ids;
}

/** When `role` got each SIGTERM (ms) and its last heartbeat (ms). */
export function probeRecord(runDir: string, role: ProbeRole): { terms: number[]; lastBeat: number } {
  return { terms: probeNumbers(runDir, `${role}.term`), lastBeat: probeNumbers(runDir, `${role}.beat`).at(-1) ?? NaN };
}
