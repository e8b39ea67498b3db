/**
 * Noticing state changes at once: inotify-style watches on the queue folder, the groups folder and
 * every group folder. (Node 20's recursive fs.watch on Linux loses files that are replaced by rename,
 * which is how every state file is written, so the folders are watched one by one.)
 */
import { existsSync, type FSWatcher, readdirSync, watch } from 'node:fs';
import path from 'node:path';
import type { WorkspacePaths } from './paths.js';

export interface StateWatcher {
  close(): void;
}

/**
 * Calls `onChange` soon after queue.json or any group.json is replaced, with the file's path (undefined
 * when the system did not say which file changed). Missing folders are fine.
 */
export function watchState(ws: WorkspacePaths, onChange: (file: string | undefined) => void, onError: (err: unknown) => void = () => undefined): StateWatcher {
  const watchers = new Map<string, FSWatcher>();
  const add = (dir: string, relevant: (name: string) => boolean, onEvent?: (name: string) => void): void => {
    if (watchers.has(dir) || !existsSync(dir)) return;
    try {
      const w = watch(dir, (_event, filename) => {
        const name = filename ? String(filename) : '';
        onEvent?.(name);
        if (name === '' || relevant(name)) onChange(name === '' ? undefined : path.join(dir, name));
      });
      w.on('error', (err) => {
        watchers.delete(dir);
        onError(err);
      });
      watchers.set(dir, w);
    } catch (err) {
      onError(err);
    }
  };
  const watchGroup = (gid: string): void => add(path.join(ws.groupsDir, gid), (n) => n === 'group.json');
  const watchGroups = (): void => {
    add(ws.groupsDir, () => true, (name) => name && watchGroup(name));
    try {
      for (const gid of readdirSync(ws.groupsDir)) watchGroup(gid);
    } catch {
      // no groups yet
    }
  };
  add(ws.queueDir, (n) => n === 'queue.json');
  watchGroups();
  // The groups folder appears with the first sweep: look for it whenever the queue changes.
  add(ws.stateDir, () => false, () => {
    add(ws.queueDir, (n) => n === 'queue.json');
    watchGroups();
  });
  return {
    close: () => {
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
