/** Parsing of flag values that commander leaves as strings. Bad values are usage errors (exit 2). */
import { statSync } from 'node:fs';
import path from 'node:path';
import { MissingFilesError, UsageError } from '../infra/errors.js';
import { quote } from '../infra/text.js';
import { type WorkspacePaths, workspacePaths } from '../workspace/paths.js';

/** An integer flag: `--priority 5`, `--max-parallel 2`. */
export function parseIntFlag(flag: string, value: string, min = Number.MIN_SAFE_INTEGER): number {
  if (!/^[+-]?\d+$/.test(value.trim())) throw new UsageError(`${flag} must be an integer (got ${quote(value)})`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${flag} is out of range (got ${quote(value)})`);
  if (n < min) throw new UsageError(`${flag} must be >= ${min} (got ${n})`);
  return n;
}

/** The workspace folder: must exist and be a directory. */
export function resolveWorkspace(dir: string | undefined): WorkspacePaths {
  const abs = path.resolve(dir ?? process.cwd());
  let isDir: boolean;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new MissingFilesError(`Workspace not found: ${abs}`);
  return workspacePaths(abs);
}

/** A duration flag in seconds (decimals allowed: `--kill-grace 0.5`), returned in ms. */
export function parseSecondsFlag(flag: string, value: string, minSeconds = 0): number {
  if (!/^\d+(\.\d+)?$/.test(value.trim())) throw new UsageError(`${flag} must be a number of seconds (got ${quote(value)})`);
  const s = Number(value);
  if (s < minSeconds) throw new UsageError(`${flag} must be at least ${minSeconds} s (got ${s})`);
  return Math.round(s * 1000);
}
