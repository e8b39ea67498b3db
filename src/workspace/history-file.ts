/**
 * `.runforge/queue/history.jsonl`: finished jobs moved out of queue.json (see queue/archive.ts), one
 * job JSON object per line, append-only. Appended only under the state lock, by `updateState`, and
 * fsynced before queue.json is rewritten; a crash in between leaves a job in both files and every
 * reader de-duplicates by job id (queue.json wins, `mergeArchived`).
 *
 * - A torn last line (a crash mid-append) is ignored by readers and cut off by the next append, which
 *   therefore always starts on a fresh line. The jobs on it are still in queue.json.
 * - Any other line that does not parse or validate as a job makes the file corrupt: the reader fails
 *   naming the file and line (exit 4) and nothing is written.
 * - Lookups by run or job id (`findArchivedJobs`) scan the raw bytes for `"run_id":"<id>"` and parse
 *   only the lines that match, so asking about one run does not parse the whole history. This relies on
 *   the compact `JSON.stringify` form every line is written in.
 */
import { type FileHandle, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { compiledJob, INVALID } from '../contracts/compiled.js';
import { parseJsonText } from '../contracts/document.js';
import type { Job } from '../contracts/queue.js';
import { CorruptFileError } from '../infra/errors.js';
import { isNotFound } from './json-file.js';
import { displayPath, type WorkspacePaths } from './paths.js';

const NEWLINE = 0x0a;

/** A line's problem: the JSON error, or the parsed value that is not a valid job (worded by zod, lazily). */
type LineProblem = string | { invalidJob: unknown };
type LineOutcome = { ok: true; job: Job } | { ok: false; problem: LineProblem };

function parseLine(text: string): LineOutcome {
  const json = parseJsonText(text);
  if (!json.ok) return { ok: false, problem: json.problems[0]! };
  const job = compiledJob(json.value);
  return job === INVALID ? { ok: false, problem: { invalidJob: json.value } } : { ok: true, job: job as Job };
}

/** The words for a line's problem; zod is loaded only here, for a corrupt history. */
async function describeLineProblem(problem: LineProblem): Promise<string> {
  if (typeof problem === 'string') return problem;
  const [{ JobSchema }, { describeIssues }] = await Promise.all([import('../contracts/queue.js'), import('../contracts/issues.js')]);
  const parsed = JobSchema.safeParse(problem.invalidJob, { reportInput: true });
  return parsed.success ? 'not a valid job' : describeIssues(parsed.error).join('; ');
}

async function readHistoryBytes(ws: WorkspacePaths): Promise<Buffer | undefined> {
  try {
    return await readFile(ws.historyFile);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function corrupt(ws: WorkspacePaths, buf: Buffer, lineStart: number, problem: LineProblem): Promise<CorruptFileError> {
  let line = 1;
  for (let i = buf.indexOf(NEWLINE); i !== -1 && i < lineStart; i = buf.indexOf(NEWLINE, i + 1)) line++;
  return new CorruptFileError(displayPath(ws, ws.historyFile), `line ${line}: ${await describeLineProblem(problem)}`);
}

/**
 * The job on the line starting at `start`; undefined for a blank line or a torn last line (no
 * newline after it and not a valid job); `problem` for any other bad line.
 */
function jobAt(buf: Buffer, start: number): { job: Job | undefined; end: number; problem?: LineProblem } {
  const newline = buf.indexOf(NEWLINE, start);
  const end = newline === -1 ? buf.length : newline;
  const text = buf.toString('utf8', start, end);
  if (text.trim() === '') return { job: undefined, end };
  const outcome = parseLine(text);
  if (outcome.ok) return { job: outcome.job, end };
  if (newline === -1) return { job: undefined, end }; // torn by a crash mid-append
  return { job: undefined, end, problem: outcome.problem };
}

/** Every archived job, in file order (may repeat a job id after a crash; see `mergeArchived`). */
export async function readHistory(ws: WorkspacePaths): Promise<Job[]> {
  const buf = await readHistoryBytes(ws);
  if (!buf) return [];
  const jobs: Job[] = [];
  for (let start = 0; start < buf.length; ) {
    const { job, end, problem } = jobAt(buf, start);
    if (problem !== undefined) throw await corrupt(ws, buf, start, problem);
    if (job) jobs.push(job);
    start = end + 1;
  }
  return jobs;
}

/** Past this many ids one pass over every line beats one byte search per id. */
const MAX_NEEDLES = 8;
/** Bytes read at a time when searching the history (grown for a longer line). */
const SCAN_CHUNK = 1 << 20;

/** Offsets (within `view`) of the lines that mention one of `ids` as `key`. */
function matchingLineStarts(view: Buffer, key: 'run_id' | 'job_id', ids: ReadonlySet<string>): number[] {
  const starts = new Set<number>();
  const lineOf = (at: number): number => view.lastIndexOf(NEWLINE, at) + 1;
  if (ids.size <= MAX_NEEDLES) {
    for (const id of ids) {
      const needle = Buffer.from(JSON.stringify({ [key]: id }).slice(1, -1));
      for (let at = view.indexOf(needle); at !== -1; at = view.indexOf(needle, at + needle.length)) starts.add(lineOf(at));
    }
  } else {
    const prefix = Buffer.from(`"${key}":"`);
    for (let at = view.indexOf(prefix); at !== -1; at = view.indexOf(prefix, at + prefix.length)) {
      const from = at + prefix.length;
      const to = view.indexOf(0x22, from);
      if (to !== -1 && ids.has(view.toString('utf8', from, to))) starts.add(lineOf(at));
    }
  }
  return [...starts].sort((a, b) => a - b);
}

/**
 * Archived jobs whose `key` (run id or job id) is one of `ids`, in file order, parsing only the lines
 * that mention them. Reads the file in whole-line chunks (no buffer the size of the history). A
 * matching line that is corrupt throws `CorruptFileError`.
 */
export async function findArchivedJobs(ws: WorkspacePaths, key: 'run_id' | 'job_id', ids: ReadonlySet<string>): Promise<Job[]> {
  if (ids.size === 0) return [];
  let handle: FileHandle;
  try {
    handle = await open(ws.historyFile, 'r');
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  const jobs: Job[] = [];
  try {
    const { size } = await handle.stat();
    let buf = Buffer.allocUnsafe(Math.min(SCAN_CHUNK, size));
    for (let pos = 0; pos < size; ) {
      const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, size - pos), pos);
      if (bytesRead === 0) break;
      const atEnd = pos + bytesRead >= size;
      // Only whole lines; the rest is read again with the next chunk.
      const usable = atEnd ? bytesRead : buf.lastIndexOf(NEWLINE, bytesRead - 1) + 1;
      if (usable === 0) {
        buf = Buffer.allocUnsafe(buf.length * 2); // one line longer than the buffer
        continue;
      }
      const view = buf.subarray(0, usable);
      for (const start of matchingLineStarts(view, key, ids)) {
        const { job, problem } = jobAt(view, start);
        if (problem !== undefined) throw await corrupt(ws, await readFile(ws.historyFile), pos + start, problem);
        // The needle may sit inside another field; only the job's own id counts.
        if (job && ids.has(job[key])) jobs.push(job);
      }
      pos += usable;
    }
  } finally {
    await handle.close();
  }
  return jobs;
}

/** How far back (bytes) one read looks for the last newline when checking the file's tail. */
const TAIL_CHUNK = 64 * 1024;

/**
 * Appends `jobs`, one line each, and fsyncs. A torn last line left by a crash is cut off first (its
 * jobs were never removed from queue.json); a last line that is a complete job without its newline is
 * kept and ended.
 */
export async function appendHistory(ws: WorkspacePaths, jobs: readonly Job[]): Promise<void> {
  if (jobs.length === 0) return;
  const handle = await open(ws.historyFile, 'a+');
  try {
    const { size } = await handle.stat();
    let prefix = '';
    if (size > 0) {
      const tailStart = await lastLineStart(handle, size);
      if (tailStart < size) {
        const tail = Buffer.alloc(size - tailStart);
        await handle.read(tail, 0, tail.length, tailStart);
        if (parseLine(tail.toString('utf8')).ok) prefix = '\n';
        else await handle.truncate(tailStart);
      }
    }
    await handle.write(prefix + jobs.map((j) => `${JSON.stringify(j)}\n`).join(''));
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (isFirstAppend(ws)) await syncDirectory(path.dirname(ws.historyFile));
}

/** The byte offset where the file's last line starts (`size` when it ends with a newline). */
async function lastLineStart(handle: FileHandle, size: number): Promise<number> {
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - TAIL_CHUNK);
    const chunk = Buffer.alloc(end - start);
    await handle.read(chunk, 0, chunk.length, start);
    const at = chunk.lastIndexOf(NEWLINE);
    if (at !== -1) return start + at + 1;
    end = start;
  }
  return 0;
}

const appendedTo = new Set<string>();
/** True the first time this process appends to the file: then its folder entry is fsynced too. */
function isFirstAppend(ws: WorkspacePaths): boolean {
  if (appendedTo.has(ws.historyFile)) return false;
  appendedTo.add(ws.historyFile);
  return true;
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the file's own fsync is what matters most.
  } finally {
    await handle.close();
  }
}
