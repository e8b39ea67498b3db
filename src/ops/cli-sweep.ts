/**
 * Sweeps from the command line (issue 16): `enqueue-sweep --grid lr=0.1,0.01 -- python train.py --lr {lr}`
 * and `--random 50 --loguniform lr=1e-5:1e-1 …`. The flags become an ordinary plan document (version 1,
 * `sweep_plan`) that then goes the way of `enqueue-sweep --plan`: the same checks, the same
 * expansion, the plan written into the group folder (so `--plan` re-runs it). A swept NAME is the
 * path `model.hyperparameters.NAME`: a command run's hyperparameters are its own (queue/sweep-paths.ts),
 * and `{NAME}` in the command is its placeholder (queue/command-placeholders.ts).
 */
import path from 'node:path';
import { checkDocument } from '../contracts/document.js';
import type { SweepPlan } from '../contracts/plan.js';
import type { RunRequest } from '../contracts/request.js';
import { UsageError } from '../infra/errors.js';
import { quote } from '../infra/text.js';
import { CREATED_BY } from '../version.js';
import { sweepProblems, sweepRuns } from './plan-file.js';

/** The repeatable flags that name a swept parameter. */
export type SweepFlagKind = 'grid' | 'choice' | 'uniform' | 'loguniform' | 'int';

/** One such flag as typed: `--grid lr=0.1,0.01` is `{kind: 'grid', text: 'lr=0.1,0.01'}`. */
export interface SweepFlag {
  kind: SweepFlagKind;
  text: string;
}

export interface CliSweepOptions {
  /** The parameter flags in the order typed (a random sweep draws its parameters in that order). */
  flags: readonly SweepFlag[];
  /** `--random N`: the number of trials; undefined for a grid. */
  trials?: number | undefined;
  /** `--seed S` (random only). Default DEFAULT_SEED. */
  seed?: number | undefined;
  /** `--name G`, the group's name. Default: defaultGroupName. */
  name?: string | undefined;
  /** `--max-parallel N`, the plan's execution.max_parallel. Default DEFAULT_MAX_PARALLEL. */
  maxParallel?: number | undefined;
  /** Every run's request before its swept values: the one `runforge add` makes for the command. */
  baseRequest: RunRequest;
  /** Absolute workspace path, recorded as the plan's `workspace`. */
  workspace: string;
  /** The plan's `created_at`. */
  createdAt: string;
}

/** A plan document made from flags, and the flag each of its parameters came from (for messages). */
export interface CliSweepPlan {
  doc: Record<string, unknown>;
  /** `--grid 'lr=0.1,0.01'`, one per `strategy.parameters` entry. */
  labels: string[];
}

/** Where a swept NAME goes in each run's request. */
export const HYPERPARAMETERS_PATH = 'model.hyperparameters';
/** The max_parallel a CLI sweep's group gets without `--max-parallel`: what `init`'s example plan has. */
export const DEFAULT_MAX_PARALLEL = 2;
/** The seed of `--random` without `--seed`: the one the random strategy falls back to (random-strategy.ts). */
export const DEFAULT_SEED = 0;

/** A NAME is one identifier; a dotted path is for plan files (`--plan`), where every path can be written. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A bound as a number: `3`, `-0.5`, `1e-5`, `.5`. */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const SHAPE: Record<SweepFlagKind, string> = {
  grid: 'V1,V2,…',
  choice: 'A,B,…',
  uniform: 'LOW:HIGH',
  loguniform: 'LOW:HIGH',
  int: 'LOW:HIGH',
};

const label = (flag: SweepFlag): string => `--${flag.kind} ${quote(flag.text)}`;

/** `lr=…` split into the name and the rest; a missing `=` or a name that is not an identifier is a usage error. */
function nameAndRest(flag: SweepFlag): { name: string; rest: string } {
  const eq = flag.text.indexOf('=');
  const name = eq < 0 ? '' : flag.text.slice(0, eq);
  if (!NAME.test(name)) {
    throw new UsageError(`--${flag.kind} needs NAME=${SHAPE[flag.kind]}, NAME a name such as lr or batch_size (got ${quote(flag.text)})`);
  }
  return { name, rest: flag.text.slice(eq + 1) };
}

/** One value read as JSON reads it (`0.01` a number, `true` a boolean, `"32"` the string 32), else as text (`adam`). */
export function readValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The values of `--grid` / `--choice`: split at commas, each read by readValue. A value holding a
 * comma cannot be written that way; a JSON array can hold any values: `dims=[[1,2],[3]]`.
 */
export function parseValues(flag: SweepFlag, rest: string): unknown[] {
  if (rest.startsWith('[')) {
    const list = readValue(rest);
    if (Array.isArray(list) && list.length > 0) return list;
    throw new UsageError(`${label(flag)}: a value list starting with '[' must be a JSON array of at least one value`);
  }
  const pieces = rest.split(',');
  if (pieces.includes('')) {
    throw new UsageError(`${label(flag)} has an empty value (values are split at commas; write a JSON array for values with commas)`);
  }
  return pieces.map(readValue);
}

/** `LOW:HIGH` of a distribution flag, two numbers; their order and range are the plan's rules to check. */
function parseBounds(flag: SweepFlag, rest: string): { low: number; high: number } {
  const parts = rest.split(':');
  if (parts.length !== 2 || !parts.every((p) => NUMBER.test(p))) {
    throw new UsageError(`--${flag.kind} needs NAME=LOW:HIGH, two numbers (got ${quote(flag.text)})`);
  }
  return { low: Number(parts[0]), high: Number(parts[1]) };
}

/** One `strategy.parameters` entry of a flag. */
function parameterOf(flag: SweepFlag): { name: string; parameter: Record<string, unknown> } {
  const { name, rest } = nameAndRest(flag);
  const p = `${HYPERPARAMETERS_PATH}.${name}`;
  if (flag.kind === 'grid') return { name, parameter: { path: p, values: parseValues(flag, rest) } };
  if (flag.kind === 'choice') return { name, parameter: { path: p, distribution: 'choice', values: parseValues(flag, rest) } };
  return { name, parameter: { path: p, distribution: flag.kind, ...parseBounds(flag, rest) } };
}

/** Which flags go together: a grid or a random sweep, never both, never neither. */
function checkFlagMix(options: CliSweepOptions): void {
  const grid = options.flags.filter((f) => f.kind === 'grid');
  const drawn = options.flags.filter((f) => f.kind !== 'grid');
  const random = options.trials !== undefined;
  if (grid.length > 0 && (random || drawn.length > 0)) {
    throw new UsageError(`--grid and ${random ? '--random' : `--${drawn[0]!.kind}`} cannot be used together: a grid runs every combination, --random draws N runs`);
  }
  if (drawn.length > 0 && !random) throw new UsageError(`--${drawn[0]!.kind} needs --random N (how many runs to draw)`);
  if (options.seed !== undefined && !random) throw new UsageError('--seed needs --random N');
  if (random && drawn.length === 0) throw new UsageError('--random needs what to draw: --choice, --uniform, --loguniform or --int NAME=…');
  if (grid.length === 0 && !random) {
    throw new UsageError('Nothing to sweep: give --grid NAME=V1,V2… (repeatable) or --random N with --choice/--uniform/--loguniform/--int');
  }
}

/**
 * The group name when `--name` is not given: the script the command runs (`train.py`, or the module
 * of `python -m`), else its program, then the swept names: `train.py lr×bs`.
 */
export function defaultGroupName(command: readonly string[], names: readonly string[]): string {
  const args = command.slice(1);
  const script = args.find((a) => !a.startsWith('-') && /\.(py|sh|js|mjs|ts|r|jl|rb|pl)$/i.test(a));
  const module = args[args.indexOf('-m') + 1];
  const shown = script !== undefined ? path.basename(script) : args.includes('-m') && module !== undefined ? module : path.basename(command[0] ?? '');
  return `${shown || 'command'} ${names.join('×')}`;
}

/** The plan document the flags describe (not yet checked against the plan's contract: checkCliSweep). */
export function buildCliSweepPlan(options: CliSweepOptions): CliSweepPlan {
  checkFlagMix(options);
  const made = options.flags.map(parameterOf);
  made.forEach(({ name }, i) => {
    const first = made.findIndex((m) => m.name === name);
    if (first !== i) throw new UsageError(`${name} is swept twice: ${label(options.flags[first]!)} and ${label(options.flags[i]!)}`);
  });
  const random = options.trials !== undefined;
  const command = options.baseRequest.command ?? [];
  const doc = {
    version: 1,
    kind: 'sweep_plan',
    created_at: options.createdAt,
    created_by: CREATED_BY,
    workspace: options.workspace,
    group: { name: options.name ?? defaultGroupName(command, made.map((m) => m.name)) },
    base_request: options.baseRequest,
    strategy: {
      type: random ? 'random' : 'grid',
      ...(random ? { n_trials: options.trials, seed: options.seed ?? DEFAULT_SEED } : {}),
      parameters: made.map((m) => m.parameter),
    },
    execution: { max_parallel: options.maxParallel ?? DEFAULT_MAX_PARALLEL, fail_fast: false, stop_on_cancel: true },
  };
  return { doc, labels: options.flags.map(label) };
}

/**
 * A plan's problem worded for the flags that made it: `strategy.parameters[0].low must be > 0…` →
 * `--loguniform 'lr=0:1': low must be > 0…`; `base_request.command[3] has…` → `the command's '{lrr}' has…`.
 */
export function flagProblem(problem: string, made: CliSweepPlan): string {
  const param = /^strategy\.parameters\[(\d+)\]\.?/.exec(problem);
  const flag = param === null ? undefined : made.labels[Number(param[1])];
  if (flag !== undefined) return `${flag}: ${problem.slice(param![0].length)}`;
  const arg = /^base_request\.command\[(\d+)\]/.exec(problem);
  const command = (made.doc.base_request as RunRequest).command ?? [];
  if (arg !== null && command[Number(arg[1])] !== undefined) return `the command's ${quote(command[Number(arg[1])]!)}${problem.slice(arg[0].length)}`;
  return problem.replace(/^strategy\.n_trials/, '--random').replace(/^strategy\.parameters expand to/, '--grid expands to');
}

/**
 * Checks a plan made from flags as `enqueue-sweep --plan` checks a file (loadPlan: the plan's contract,
 * then sweepProblems), so it expands the same way; a problem is a usage error naming the flag.
 */
export async function checkCliSweep(made: CliSweepPlan): Promise<SweepPlan> {
  const checked = await checkDocument('plan', made.doc);
  const problems = checked.ok ? await sweepProblems(checked.value) : checked.problems;
  if (!checked.ok || problems.length > 0) {
    const worded = problems.map((p) => flagProblem(p, made));
    throw new UsageError(worded[0]!, worded.slice(1));
  }
  return checked.value;
}

/** One run of a sweep as `--dry-run` lists it. */
export interface PlannedRun {
  /** 1-based, as in the run id (`…-run-001`) and in a plan's problems ("run 3 of the sweep"). */
  index: number;
  /** The run's swept values by path, as its request's `sweep_params`. */
  params: Record<string, unknown>;
  /** The command with its placeholders filled in; null for a run of the built-in trainer. */
  command: string[] | null;
}

/** The runs a checked plan would enqueue, nothing written (`--dry-run`). */
export async function plannedRuns(plan: SweepPlan): Promise<PlannedRun[]> {
  const runs = await sweepRuns(plan, { groupId: 'grp_dry_run', createdAt: plan.created_at, createdBy: CREATED_BY });
  return runs.map((run, i) => ({ index: i + 1, params: run.overrides, command: run.request.command ?? null }));
}
