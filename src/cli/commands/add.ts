/** `runforge add [options] -- <command…>`: queue the user's own command as one run (ops/add.ts). */
import { systemClock } from '../../infra/clock.js';
import { UsageError } from '../../infra/errors.js';
import { quote } from '../../infra/text.js';
import { addRun, UNRECORDED_PREFIX, UNRECORDED_VARIABLES } from '../../ops/add.js';
import { openFileStore } from '../../store/file/file-store.js';
import { runDir } from '../../workspace/paths.js';
import { parseIntFlag, resolveWorkspace } from '../options.js';
import { out, outJson } from '../output.js';

export interface AddFlags {
  name?: string;
  group?: string;
  priority?: string;
  timeout?: string;
  /** `--env K=V…` values; false with `--no-env`. */
  env?: string[] | false;
  workspace?: string;
  json?: boolean;
}

const USAGE = 'runforge add [options] -- <command…>';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The command: everything after the first `--` of the arguments. Commander cannot tell operands
 * typed before `--` from those after it, so the raw arguments decide: anything else left over before
 * `--` (a mistyped option, a command without `--`) is refused rather than guessed at. `usage` ends
 * each message (enqueue-sweep words its own).
 */
export function commandAfterDashes(rawArgs: readonly string[], operands: readonly string[], usage = USAGE): string[] {
  const dashes = rawArgs.indexOf('--');
  if (dashes < 0) {
    if (operands.length > 0) throw new UsageError(`Put the command after '--' (got ${quote(operands[0]!)} before it): ${usage}`);
    throw new UsageError(`No command: ${usage}`);
  }
  const command = rawArgs.slice(dashes + 1);
  if (operands.length > command.length) {
    throw new UsageError(`Unexpected ${quote(operands[0]!)} before '--': ${usage}`);
  }
  if (command.length === 0) throw new UsageError(`No command after '--': ${usage}`);
  if (command[0] === '') throw new UsageError(`The command's program name is empty: ${usage}`);
  return command;
}

/** `--env K=V` values as variables; a malformed one, or one RunForge sets itself, is a usage error. */
export function parseEnvFlags(values: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const name = eq < 0 ? '' : value.slice(0, eq);
    if (!ENV_NAME.test(name)) throw new UsageError(`--env needs NAME=VALUE (got ${quote(value)})`);
    if (name.startsWith(UNRECORDED_PREFIX) || UNRECORDED_VARIABLES.includes(name)) {
      throw new UsageError(`--env cannot set ${name}: RunForge sets it for every run`);
    }
    env[name] = value.slice(eq + 1);
  }
  return env;
}

/** `--env` and `--no-env` together are refused, read from the raw arguments before `--` (commander keeps only the last). */
export function refuseEnvWithNoEnv(rawArgs: readonly string[]): void {
  const dashes = rawArgs.indexOf('--');
  const beforeDashes = dashes < 0 ? rawArgs : rawArgs.slice(0, dashes);
  if (beforeDashes.includes('--no-env') && beforeDashes.some((a) => a === '--env' || a.startsWith('--env='))) {
    throw new UsageError('--env and --no-env cannot be used together');
  }
}

/** The environment to record: the caller's with the `--env` values on top, or null with `--no-env` (commander's false). */
export function environmentFromFlags(env: string[] | false | undefined): NodeJS.ProcessEnv | null {
  return env === false ? null : { ...process.env, ...parseEnvFlags(env ?? []) };
}

/** `--timeout 90` or `--timeout 0.5`: seconds, more than 0. */
export function parseTimeoutFlag(value: string): number {
  const s = Number(value.trim());
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(s > 0)) {
    throw new UsageError(`--timeout must be a number of seconds above 0 (got ${quote(value)})`);
  }
  return s;
}

export async function addCommand(operands: string[], opts: AddFlags, rawArgs: readonly string[]): Promise<number> {
  const command = commandAfterDashes(rawArgs, operands);
  refuseEnvWithNoEnv(rawArgs);
  const priority = opts.priority === undefined ? undefined : parseIntFlag('--priority', opts.priority);
  const timeoutS = opts.timeout === undefined ? undefined : parseTimeoutFlag(opts.timeout);
  const env = environmentFromFlags(opts.env);
  const ws = resolveWorkspace(opts.workspace);
  const added = await addRun(openFileStore(ws, systemClock), ws, systemClock, {
    command,
    cwd: process.cwd(),
    env,
    name: opts.name,
    groupId: opts.group,
    priority,
    timeoutS,
  });
  const { job } = added;
  if (opts.json) {
    outJson({ run_id: added.runId, run_dir: runDir(ws, added.runId), job });
  } else {
    // enqueue-run's line, word for word.
    out(`Enqueued run ${job.run_id} as job ${job.job_id}${job.requires_gpu ? ' [GPU]' : ''}`);
  }
  return 0;
}
