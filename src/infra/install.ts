/**
 * Where RunForge is installed: the folder holding package.json, python/ and dist/. Found from this
 * module's own location by walking up, so it is the same answer for the tsc output (dist/infra/),
 * the bundle (dist/runforge.cjs) and the sources run by tsx (src/infra/).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function installRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'python', 'runforge_trainer'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`RunForge's python/ folder was not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  root = dir;
  return dir;
}

/** The repository's python/ folder (trainer package and helper). */
export const pythonDir = (): string => path.join(installRoot(), 'python');

/** The `runforge` binary (the launcher), for starting RunForge again as a child process. */
export const cliEntry = (): string => path.join(installRoot(), 'dist', 'cli', 'bin.cjs');
