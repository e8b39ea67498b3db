/**
 * Pooled shells: `sh` processes started ahead of their job (by the spawner, spawner-process.ts), each
 * waiting for the script of one job on its standard input. The daemon takes one, records the job as
 * running with the shell's PID, and only then sends the script (end-of-file without one: the shell
 * exits and nothing ran). What runs is what a spawn under `withExitFile` (process.ts) would run: the
 * same `sh`, the program started from the same folder with the same environment, output appended to
 * the same file, its exit status written to the same exit file.
 */

/**
 * The end of every job's shell script: the program's exit status (`$?`) written to the exit file
 * (`target`, a shell word) and returned. A daemon that re-adopts the job after a crash can only
 * read it there; a program killed by signal N is recorded as 128+N, the shell's convention.
 */
export const recordExitStatus = (target: string): string => `__rf_status=$?; printf '%s\\n' "$__rf_status" > ${target}; exit "$__rf_status"`;

/**
 * How a pooled shell is started: `sh` reading its commands from its standard input, which it reads in
 * blocks (dash; a shell that reads a byte at a time is only slower), and an empty input — the daemon's
 * "no" — runs nothing. The program's own standard input is /dev/null, never that pipe.
 */
export const POOLED_SHELL: readonly [string, ...string[]] = ['/bin/sh', '-s'];

/** A word for sh, quoted so that it stays exactly this string. */
const shQuote = (word: string): string => `'${word.replaceAll("'", `'\\''`)}'`;

/** A name sh can set and unset (anything else is left to a plain spawn). */
const SH_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface PooledJob {
  program: string;
  args: readonly string[];
  cwd: string;
  /** The job's whole environment. */
  env: Record<string, string | undefined>;
  /** The environment the pooled shells have: only the difference is set and unset. */
  baseEnv: Record<string, string | undefined>;
  outputFile: string;
  exitFile: string;
}

/**
 * The script a pooled shell runs for a job; undefined when the job's environment differs from the
 * shells' by a variable sh cannot name (the job is then spawned the plain way).
 */
export function pooledJobScript(job: PooledJob): string | undefined {
  const unset: string[] = [];
  const set: string[] = [];
  for (const [name, value] of Object.entries(job.baseEnv)) {
    if (value !== undefined && job.env[name] === undefined) unset.push(name);
  }
  for (const [name, value] of Object.entries(job.env)) {
    if (value !== undefined && job.baseEnv[name] !== value) set.push(`${name}=${value}`);
  }
  if ([...unset, ...set.map((s) => s.slice(0, s.indexOf('=')))].some((name) => !SH_NAME.test(name))) return undefined;
  const run = [
    `cd ${shQuote(job.cwd)}`,
    ...(unset.length > 0 ? [`unset ${unset.join(' ')}`] : []),
    ...(set.length > 0 ? [`export ${set.map(shQuote).join(' ')}`] : []),
    `${[job.program, ...job.args].map(shQuote).join(' ')} </dev/null`,
  ].join(' && ');
  return [
    `exec >>${shQuote(job.outputFile)} 2>&1`,
    run,
    recordExitStatus(shQuote(job.exitFile)),
    '',
  ].join('\n');
}
