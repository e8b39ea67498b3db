/**
 * `<run>/.exit_status`: how a job's training process ended, written as it exits by its shell (the sh
 * wrapper's `$?`, src/process/pooled-shell.ts) or by the warm worker (`{"pid","exit_code","signal"}`).
 * The parse is process/'s `readExitFile` (zod-free: status commands read these files); its zod schema,
 * `ExitStatusFileSchema` in contracts/run-files.ts, is held to the same answers by a test.
 */
import { statSync } from 'node:fs';
import type { ChildOutcome } from '../../process/spawn.js';
import { readExitFile } from '../../process/exit-status.js';
import { removeFileSync } from '../../workspace/json-file.js';
import { exitStatusFileOf } from './names.js';

export { exitStatusFileOf };

/** How the process of the run in `runDir` ended; undefined when it has not (or the file is cut short). */
export function readExitStatus(runDir: string): (ChildOutcome & { pid?: number }) | undefined {
  return readExitFile(exitStatusFileOf(runDir));
}

/** Removes the exit status (before a start, and once the run's end is recorded). */
export function removeExitStatus(runDir: string): void {
  removeFileSync(exitStatusFileOf(runDir));
}

/**
 * The instant a job's process ended: its exit-status file is written as the program exits, so the
 * file's mtime is that instant. A daemon that concludes the run only after a restart records this,
 * not the time of the conclusion (a 5 s run concluded 10 s later lasted 5 s). Clamped to
 * [startedMs, nowMs] against a skewed clock; undefined when the file cannot be read.
 */
export function exitTimeOf(exitFile: string, startedMs: number, nowMs: number): number | undefined {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(exitFile).mtimeMs;
  } catch {
    return undefined;
  }
  return Math.min(nowMs, Math.max(startedMs, Math.round(mtimeMs)));
}
