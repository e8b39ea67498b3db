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

/** Reads its standard input to the end, then runs it; an empty input (the daemon's "no") runs nothing. */
export const POOLED_SHELL =
  '__rf_script=; while IFS= read -r __rf_line; do __rf_script="$__rf_script$__rf_line\n"; done; ' +
  '[ -n "$__rf_script" ] || exit 0; unset __rf_line; eval "$__rf_script"';

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
    [job.program, ...job.args].map(shQuote).join(' '),
  ].join(' && ');
  return [
    `exec </dev/null >>${shQuote(job.outputFile)} 2>&1`,
    run,
    recordExitStatus(shQuote(job.exitFile)),
    '',
  ].join('\n');
}
