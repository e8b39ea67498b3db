/**
 * Reading and writing JSON state files. Reads validate against a contract and fail with an error that
 * names the file; writes are atomic (temp file in the same folder, fsync, rename over).
 */
import { closeSync, fstatSync, fsync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { type FileHandle, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { DocumentKind } from '../contracts/constants.js';
import { parseDocument } from '../contracts/document.js';
import type { DocumentOf } from '../contracts/index.js';
import { CorruptFileError } from '../infra/errors.js';

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Removes a file if it is there. `rmSync(file, { force: true })` does the same with an lstat and
 * rimraf's bookkeeping around the unlink; a run's helper files are removed several times per job.
 */
export function removeFileSync(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Makes a folder whose parent exists, if it is not there yet (one call, where a recursive mkdir makes several). */
export function ensureDirSync(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** Reads a small file as UTF-8 text, synchronously; `undefined` when it does not exist. */
export function readTextIfExistsSync(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Reads a file as UTF-8 text; `undefined` when it does not exist. */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * One version of a file, told apart from every other without reading it: a file replaced by rename
 * (how every state file is written) is a new inode, and a write in place moves the modification time
 * (nanoseconds as the kernel keeps them) or the size.
 */
export interface FileVersion {
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
}

export const sameVersion = (a: FileVersion, b: FileVersion): boolean => a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;

const versionOf = (s: { ino: bigint; size: bigint; mtimeNs: bigint }): FileVersion => ({ ino: s.ino, size: s.size, mtimeNs: s.mtimeNs });

/** The version of a file now, synchronously (one stat); throws when it does not exist. */
export const versionOfSync = (file: string): FileVersion => versionOf(statSync(file, { bigint: true }));

/** The version of a file now; `undefined` when it does not exist. */
export async function fileVersion(file: string): Promise<FileVersion | undefined> {
  try {
    return versionOf(await stat(file, { bigint: true }));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Reads a file's bytes with the version they are of; `undefined` when it does not exist. */
export async function readVersioned(file: string): Promise<{ bytes: Buffer; version: FileVersion } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  try {
    const version = versionOf(await handle.stat({ bigint: true }));
    return { bytes: await handle.readFile(), version };
  } finally {
    await handle.close();
  }
}

/**
 * Reads and validates a document; `undefined` when the file does not exist. A file that exists but
 * does not parse or validate throws `CorruptFileError` naming `label` (e.g. `.runforge/queue/queue.json`).
 */
export async function readDocument<K extends DocumentKind>(
  kind: K,
  file: string,
  label: string,
): Promise<DocumentOf<K> | undefined> {
  const text = await readTextIfExists(file);
  return text === undefined ? undefined : documentOf(kind, text, label);
}

/** Validates the text of a state file; `CorruptFileError` naming `label` when it does not parse or validate. */
export async function documentOf<K extends DocumentKind>(kind: K, text: string, label: string): Promise<DocumentOf<K>> {
  const parsed = await parseDocument(kind, text);
  if (!parsed.ok) throw new CorruptFileError(label, parsed.problems.join('; '));
  return parsed.value;
}

/** Serialises like every RunForge file: two-space indent, trailing newline. */
export function serialize(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Writes `doc` atomically: temp file in the same folder, fsync, rename over the target. */
export async function writeJsonAtomic(file: string, doc: unknown): Promise<void> {
  await writeTextAtomic(file, serialize(doc));
}

let tempCounter = 0;
const fsyncAsync = promisify(fsync);

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed, or closing failed: nothing more to do with it
  }
}

/** A file written to its temp name and fsynced, waiting to be renamed over its target. */
export interface StagedWrite {
  /** The version the file will have once committed (a rename keeps the inode and the times). */
  readonly version: FileVersion;
  /** Renames the temp file over the target: from now on readers see the new text. */
  commit(): Promise<void>;
  /** Removes the temp file (the update is given up). */
  abort(): Promise<void>;
}

const nameTheFile = (err: unknown, file: string): unknown => {
  // A failed write() carries no path (or the temp file's); say which file could not be written.
  if (err && typeof err === 'object') (err as NodeJS.ErrnoException).path = file;
  return err;
};

/**
 * The first half of an atomic write: the text in a temp file beside the target (`<name>.<digits>`,
 * which the daemon clears away after a crash), written and fsynced. Several files of one update are
 * staged at once (their fsyncs overlap) and then committed in the order readers must see them.
 */
export async function stageAtomicWrite(file: string, text: string | Buffer): Promise<StagedWrite> {
  const temp = `${file}.${process.pid}${String(tempCounter++).padStart(6, '0')}`;
  let fd: number | undefined;
  let version: FileVersion;
  try {
    // Written synchronously (a copy into the page cache, faster than the same write in chunks through
    // the thread pool); the fsync, which waits for the disk, is not.
    fd = openSync(temp, 'wx');
    writeFileSync(fd, text);
    await fsyncAsync(fd);
    version = versionOf(fstatSync(fd, { bigint: true }));
    closeSync(fd);
    fd = undefined;
  } catch (err) {
    if (fd !== undefined) closeQuietly(fd);
    await rm(temp, { force: true }).catch(() => undefined);
    throw nameTheFile(err, file);
  }
  return {
    version,
    commit: async () => {
      try {
        await rename(temp, file);
      } catch (err) {
        await rm(temp, { force: true }).catch(() => undefined);
        throw nameTheFile(err, file);
      }
    },
    abort: () => rm(temp, { force: true }).catch(() => undefined),
  };
}

/**
 * Replaces a small file synchronously: temp file and rename, not fsynced. Atomic against a crash of
 * the process (a reader sees the old text or the new), for a run's helper files that matter only to
 * a daemon taking over after a crash (its launch record, how much of its output was copied).
 */
export function replaceFileSync(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, text);
    renameSync(temp, file);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // never made, or the disk refuses that too
    }
    throw nameTheFile(err, file);
  }
}

/**
 * Writes already serialised text atomically: staged (temp file, fsync) and renamed over the target,
 * so a reader sees the old file or the new one, and a crash leaves one or the other. (write-file-atomic
 * does the same with realpath, chown and exit-handler bookkeeping around it: 1.6 ms a write against
 * 0.7 here, and the daemon writes two files for every job it starts or ends.)
 */
export async function writeTextAtomic(file: string, text: string): Promise<void> {
  await (await stageAtomicWrite(file, text)).commit();
}
