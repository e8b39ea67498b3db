/**
 * `<run>/output.log` (the detached training process's raw output) and `<run>/.output-offset` (how far
 * OutputTail has copied it into logs.txt). The process appends to output.log; OutputTail
 * (src/run/output-tail.ts) creates, reads and removes both.
 */
import { statSync, writeFileSync } from 'node:fs';
import { type OutputOffset, OutputOffsetSchema } from '../../contracts/run-files.js';
import { readTextIfExistsSync, removeFileSync, replaceFileSync } from '../../workspace/json-file.js';
import { outputFile, outputOffsetFileOf } from './names.js';

export { outputFile };

/** Creates an empty output.log for a new run's process, and forgets any earlier copy offset. */
export function startOutputFiles(runDir: string): void {
  writeFileSync(outputFile(runDir), '');
  removeFileSync(outputOffsetFileOf(runDir));
}

/** Removes output.log and its offset once logs.txt has all of it. */
export function removeOutputFiles(runDir: string): void {
  removeFileSync(outputFile(runDir));
  removeFileSync(outputOffsetFileOf(runDir));
}

/** Reads `.output-offset`; undefined when it is missing or unreadable (then copying starts over at 0). */
export function readOutputOffset(runDir: string): OutputOffset | undefined {
  let text: string | undefined;
  try {
    text = readTextIfExistsSync(outputOffsetFileOf(runDir));
  } catch {
    return undefined;
  }
  if (text === undefined) return undefined;
  const parsed = OutputOffsetSchema.safeParse(text);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Where copying resumes: `to` when logs.txt (`logFile`) has grown past `logSize` — the piece was
 * appended — else `from`; 0 without a usable offset. No line twice, none lost.
 */
export function resumeOffset(runDir: string, logFile: string): number {
  try {
    const offset = readOutputOffset(runDir);
    if (!offset) return 0;
    const appended = offset.logSize !== undefined && (statSync(logFile, { throwIfNoEntry: false })?.size ?? 0) > offset.logSize;
    return appended ? offset.to : offset.from;
  } catch {
    return 0; // logs.txt cannot be looked at: start over, as with no offset
  }
}

/** Records, before a piece is appended to logs.txt, that output.log's bytes from..to are being copied. */
export function writeOutputOffset(runDir: string, offset: { from: number; to: number; logSize: number }): void {
  replaceFileSync(outputOffsetFileOf(runDir), `${offset.from} ${offset.to} ${offset.logSize}`);
}
