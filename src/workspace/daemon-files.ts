/**
 * The daemon's own files: `daemon.lock` (a plain file holding the PID; SPEC §1) and `daemon.json`
 * (the heartbeat). Only the daemon writes them; `withStateLock` serialises competing daemons.
 */
import { readFile, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DaemonStatus } from '../contracts/daemon.js';
import { readDocument, readTextIfExists, writeJsonAtomic, writeTextAtomic } from './json-file.js';
import { displayPath, type WorkspacePaths } from './paths.js';

/** The PID in daemon.lock, or undefined when there is no lock (or it holds no PID). */
export async function readDaemonLockPid(ws: WorkspacePaths): Promise<number | undefined> {
  const text = await readTextIfExists(ws.daemonLock);
  if (text === undefined) return undefined;
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export async function writeDaemonLock(ws: WorkspacePaths, pid: number): Promise<void> {
  await writeTextAtomic(ws.daemonLock, `${pid}\n`);
}

/** Removes daemon.lock if it still holds `pid`. */
export async function releaseDaemonLock(ws: WorkspacePaths, pid: number): Promise<void> {
  if ((await readDaemonLockPid(ws)) === pid) await rm(ws.daemonLock, { force: true });
}

/** daemon.json, validated; undefined when no daemon ever ran here. */
export async function readDaemonStatus(ws: WorkspacePaths): Promise<DaemonStatus | undefined> {
  return readDocument('daemon', ws.daemonFile, displayPath(ws, ws.daemonFile));
}

export async function writeDaemonStatus(ws: WorkspacePaths, status: DaemonStatus): Promise<void> {
  await writeJsonAtomic(ws.daemonFile, status);
}

/** The tail of a file, for error messages (e.g. what a run process printed before it died). */
export async function readTail(file: string, bytes = 2000): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '';
  }
}

/** Temp files of atomic writes (writeTextAtomic): `<name>.json.<digits>`. */
const TEMP_FILE = /\.json\.\d+$|\.lock\.\d+$/;

/**
 * Removes temp files left by writes that a crash interrupted, in the queue folder and every group
 * folder. Only files older than `minAgeMs`, so a write in progress is never touched.
 */
export async function cleanLeftoverTempFiles(ws: WorkspacePaths, nowMs: number, minAgeMs = 60_000): Promise<string[]> {
  const dirs = [ws.queueDir];
  try {
    for (const g of await readdir(ws.groupsDir)) dirs.push(path.join(ws.groupsDir, g));
  } catch {
    // no groups yet
  }
  const removed: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names.filter((n) => TEMP_FILE.test(n))) {
      const file = path.join(dir, name);
      const s = await stat(file).catch(() => undefined);
      if (s?.isFile() && nowMs - s.mtimeMs >= minAgeMs) {
        await rm(file, { force: true });
        removed.push(file);
      }
    }
  }
  return removed;
}
