/**
 * `runforge enqueue-sweep`: a plan file (`--plan P`), or a sweep from flags without writing a plan
 * (`--grid NAME=V1,V2…` or `--random N --uniform NAME=LO:HI…`, then `-- <command…>`; ops/cli-sweep.ts);
 * `--dry-run` lists the runs of either and writes nothing.
 */
import path from 'node:path';
import type { SweepPlan } from '../../contracts/plan.js';
import { systemClock } from '../../infra/clock.js';
import { UsageError } from '../../infra/errors.js';
import { quote } from '../../infra/text.js';
import { formatTimestamp } from '../../infra/time.js';
import { commandRequest } from '../../ops/add.js';
import { buildCliSweepPlan, checkCliSweep, plannedRuns, type SweepFlag, type SweepFlagKind } from '../../ops/cli-sweep.js';
import { enqueueSweep } from '../../ops/enqueue.js';
import { loadPlan } from '../../ops/plan-file.js';
import { placeholderText } from '../../queue/command-placeholders.js';
import { openFileStore } from '../../store/file/file-store.js';
import { groupDir } from '../../workspace/paths.js';
import { parseIntFlag, resolveWorkspace } from '../options.js';
import { out, outJson, terminalProgress } from '../output.js';
import { commandAfterDashes, environmentFromFlags, refuseEnvWithNoEnv } from './add.js';
import { enqueueSweepCommand, printEnqueuedSweep, sweepWorkspace } from './enqueue.js';

/** A repeatable flag's value with its place among all the flags typed (program.ts numbers them). */
export interface TypedValue {
  value: string;
  order: number;
}

export interface EnqueueSweepCliFlags {
  plan?: string;
  grid?: TypedValue[];
  choice?: TypedValue[];
  uniform?: TypedValue[];
  loguniform?: TypedValue[];
  int?: TypedValue[];
  random?: string;
  seed?: string;
  name?: string;
  maxParallel?: string;
  priority?: string;
  /** `--env K=V…` values; false with `--no-env`. */
  env?: string[] | false;
  workspace?: string;
  json?: boolean;
  dryRun?: boolean;
}

const USAGE = 'runforge enqueue-sweep (--grid NAME=V1,V2… | --random N --uniform NAME=LOW:HIGH…) [options] -- <command…>';
const KINDS: readonly SweepFlagKind[] = ['grid', 'choice', 'uniform', 'loguniform', 'int'];

/** The parameter flags in the order they were typed. */
function sweepFlags(opts: EnqueueSweepCliFlags): SweepFlag[] {
  const typed = KINDS.flatMap((kind) => (opts[kind] ?? []).map((t) => ({ kind, text: t.value, order: t.order })));
  return typed.sort((a, b) => a.order - b.order).map(({ kind, text }) => ({ kind, text }));
}

/** The flags that describe a sweep from the command line, which a plan file already says. */
function flagsBesidesPlan(opts: EnqueueSweepCliFlags): string[] {
  const given: [string, unknown][] = [
    ...KINDS.map((kind): [string, unknown] => [`--${kind}`, opts[kind]]),
    ['--random', opts.random],
    ['--seed', opts.seed],
    ['--name', opts.name],
    ['--max-parallel', opts.maxParallel],
    [opts.env === false ? '--no-env' : '--env', opts.env],
  ];
  return given.filter(([, value]) => value !== undefined).map(([flag]) => flag);
}

/**
 * `runforge enqueue-sweep …`: `operands` are commander's (the command, when typed after `--`),
 * `rawArgs` the process's arguments (commander cannot tell which operands came before `--`).
 */
export async function enqueueSweepCliCommand(operands: string[], opts: EnqueueSweepCliFlags, rawArgs: readonly string[]): Promise<number> {
  if (opts.plan !== undefined) return planFileSweep(operands, { ...opts, plan: opts.plan }, rawArgs);
  const flags = sweepFlags(opts);
  if (flags.length === 0 && opts.random === undefined && !rawArgs.includes('--') && operands.length === 0) {
    throw new UsageError(`Give a plan (--plan P) or a command to sweep: ${USAGE}`);
  }
  const command = commandAfterDashes(rawArgs, operands, USAGE);
  refuseEnvWithNoEnv(rawArgs);
  const priority = opts.priority === undefined ? undefined : parseIntFlag('--priority', opts.priority);
  const trials = opts.random === undefined ? undefined : parseIntFlag('--random', opts.random, 1);
  const seed = opts.seed === undefined ? undefined : parseIntFlag('--seed', opts.seed, 0);
  const maxParallel = opts.maxParallel === undefined ? undefined : parseIntFlag('--max-parallel', opts.maxParallel, 1);
  if (opts.name !== undefined && opts.name.trim() === '') throw new UsageError('--name must not be empty');
  const createdAt = formatTimestamp(systemClock.now());
  const baseRequest = commandRequest({ command, cwd: process.cwd(), env: environmentFromFlags(opts.env) }, createdAt);
  const made = buildCliSweepPlan({
    flags,
    trials,
    seed,
    name: opts.name,
    maxParallel,
    baseRequest,
    workspace: path.resolve(opts.workspace ?? process.cwd()),
    createdAt,
  });
  const plan = await checkCliSweep(made);
  const ws = resolveWorkspace(opts.workspace);
  if (opts.dryRun) return printPlannedRuns(plan, opts.json);
  const sweep = await enqueueSweep(openFileStore(ws, systemClock), ws, systemClock, plan, made.doc, {
    priority,
    onProgress: terminalProgress('Writing run folders'),
  });
  const planFile = path.join(groupDir(ws, sweep.groupId), 'plan.json');
  printEnqueuedSweep(sweep, { ws, planFile, groupName: plan.group.name, json: opts.json });
  return 0;
}

/** `enqueue-sweep --plan P [--priority N] [--dry-run]`: the plan says the rest, so flags that would say it too are refused. */
async function planFileSweep(operands: string[], opts: EnqueueSweepCliFlags & { plan: string }, rawArgs: readonly string[]): Promise<number> {
  if (rawArgs.includes('--')) {
    throw new UsageError("--plan and a command after '--' cannot be used together: the plan's base_request has the command");
  }
  if (operands.length > 0) throw new UsageError(`Unexpected ${quote(operands[0]!)}: runforge enqueue-sweep --plan P [--priority N] [--dry-run]`);
  const besides = flagsBesidesPlan(opts);
  if (besides.length > 0) throw new UsageError(`--plan and ${besides[0]} cannot be used together: the plan says what to sweep`);
  if (!opts.dryRun) return enqueueSweepCommand(opts);
  if (opts.priority !== undefined) parseIntFlag('--priority', opts.priority);
  const { plan } = await loadPlan(path.resolve(opts.plan));
  sweepWorkspace(opts.workspace, plan.workspace);
  return printPlannedRuns(plan, opts.json);
}

/** An argument as a POSIX shell would need it typed: bare when safe, else in single quotes. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `lr=0.1 opt=adam`: each swept path by its last segment (as a placeholder names it) unless two share it. */
function paramsText(params: Record<string, unknown>): string {
  const paths = Object.keys(params);
  const last = (p: string): string => p.split('.').at(-1)!;
  return paths
    .map((p) => `${paths.filter((q) => last(q) === last(p)).length > 1 ? p : last(p)}=${placeholderText(params[p])}`)
    .join(' ');
}

/** `--dry-run`: one line per run (its number, swept values, command), or `--json` an array of them; nothing written. */
async function printPlannedRuns(plan: SweepPlan, json: boolean | undefined): Promise<number> {
  const runs = await plannedRuns(plan);
  if (json) {
    outJson(runs);
    return 0;
  }
  const width = String(runs.length).length;
  for (const run of runs) {
    const command = run.command === null ? '(built-in trainer)' : run.command.map(shellQuote).join(' ');
    out(`${String(run.index).padStart(width)}  ${paramsText(run.params)}  ${command}`);
  }
  return 0;
}
