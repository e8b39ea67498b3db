/** A workspace on a small tmpfs of its own (root mounts it), to fill up or make read-only. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { readJson, tempWorkspace } from '../lib.js';

export interface SmallDisk {
  ws: string;
  /** Writes zeros until the file system is full. */
  fill(): void;
  /** Removes what `fill` wrote. */
  free(): void;
  /**
   * Makes the workspace read-only for every file opened from now on (a read-only bind mount over it:
   * a plain `remount,ro` is refused while the daemon holds its log open for writing).
   */
  readOnly(): void;
  /** Makes it writable again. */
  writable(): void;
  unmount(): void;
}

/** Mounts a `size` tmpfs (e.g. `256k`) as a fresh workspace; throws when it cannot (not root). */
export function smallDisk(size: string): SmallDisk {
  const ws = path.join(tempWorkspace(), 'mnt');
  mkdirSync(ws);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', ws]);
  const filler = path.join(ws, 'filler');
  let bound = false;
  return {
    ws,
    fill: () => {
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'], { stdio: 'ignore' });
      } catch {
        // dd ends with ENOSPC: that is the point
      }
    },
    free: () => rmSync(filler, { force: true }),
    readOnly: () => {
      if (!bound) execFileSync('mount', ['--bind', ws, ws]);
      bound = true;
      execFileSync('mount', ['-o', 'remount,bind,ro', ws]);
    },
    writable: () => execFileSync('mount', ['-o', 'remount,bind,rw', ws]),
    unmount: () => {
      // Lazily: a process started while it was mounted may still have its folder there.
      for (let i = 0; i < (bound ? 2 : 1); i++) {
        try {
          execFileSync('umount', ['-l', ws]);
        } catch {
          // already gone
        }
      }
    },
  };
}

/**
 * What a sweep that could not be written may not leave behind: a run folder without a valid
 * request.json, a group folder without group.json, or a group whose runs have no folder.
 */
export function halfMade(ws: string): string[] {
  const problems: string[] = [];
  const list = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);
  for (const run of list(path.join(ws, '.ml', 'runs'))) {
    try {
      readJson(path.join(ws, '.ml', 'runs', run, 'request.json'));
    } catch {
      problems.push(`run folder ${run} without a readable request.json`);
    }
  }
  for (const gid of list(path.join(ws, '.runforge', 'groups'))) {
    const file = path.join(ws, '.runforge', 'groups', gid, 'group.json');
    if (!existsSync(file)) {
      problems.push(`group folder ${gid} without group.json`);
      continue;
    }
    const missing = readJson<{ runs: { run_id: string }[] }>(file).runs.filter((r) => !existsSync(path.join(ws, '.ml', 'runs', r.run_id, 'request.json')));
    if (missing.length > 0) problems.push(`group ${gid} names ${missing.length} runs without a folder`);
  }
  return problems;
}
