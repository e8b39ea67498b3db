/** Runs the built `runforge` CLI as a separate process, the way a user does. */
import { execa } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'bin.cjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout split into lines, without the trailing empty one. */
  lines: string[];
}

export async function runCli(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const result = await execa(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { ...options.env, RUNFORGE_DEBUG: '' },
    reject: false,
    stdin: 'ignore',
  });
  const stdout = String(result.stdout ?? '');
  return {
    code: result.exitCode ?? -1,
    stdout,
    stderr: String(result.stderr ?? ''),
    lines: stdout === '' ? [] : stdout.replace(/\n$/, '').split('\n'),
  };
}

/** Parses `--json` output, asserting stdout holds nothing but JSON. */
export function parseJsonOut<T = Record<string, unknown>>(r: CliResult): T {
  return JSON.parse(r.stdout) as T;
}
