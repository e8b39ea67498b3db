/**
 * What this process last wrote to the state files, by file. Two uses:
 *
 * - `lastWritten`: the version a flush left on disk (json-file.ts `FileVersion`), its bytes, and the
 *   object they serialise. While the file is still that version, the next update takes the object as
 *   it is, without reading, parsing or validating the file again — for the daemon, which updates the
 *   state at every job start and end, that is most of an update's cost on a big sweep. Another
 *   process's write is a new version (every writer replaces the file by rename, a new inode; an edit
 *   in place moves the modification time). An update that fails forgets everything, since its objects
 *   may have been changed half-way.
 * - `isOwnWrite`: whether a change a watcher reports is this process's own (or one store's own).
 */
import { type FileVersion, sameVersion, versionOfSync } from '../../workspace/json-file.js';

export interface Known {
  version: FileVersion;
  bytes: Buffer;
  doc: unknown;
}

export const lastWritten = new Map<string, Known>();

/**
 * Per file: the version this process's last flush put in place (set just before the rename), and
 * the stores (`FileStore` instances; an update made through the free functions has none) whose
 * updates that flush wrote.
 */
const ownVersions = new Map<string, { version: FileVersion; owners: ReadonlySet<object> }>();

/** Records the version a flush is about to rename into place, and whose updates it holds. */
export function recordOwnVersion(file: string, version: FileVersion, owners: ReadonlySet<object>): void {
  ownVersions.set(file, { version, owners });
}

/**
 * Whether `file` is, right now, the version this process last wrote to it: a change of it that a
 * watcher reports is then this process's own (any other process's write is a new version). With
 * `owner`, only when that flush held an update of that store: another store of this process is
 * "someone else" to it.
 */
export function isOwnWrite(file: string, owner?: object): boolean {
  const own = ownVersions.get(file);
  if (!own || (owner !== undefined && !own.owners.has(owner))) return false;
  try {
    return sameVersion(own.version, versionOfSync(file));
  } catch {
    return false;
  }
}
