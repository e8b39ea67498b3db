/**
 * Starting a run: read and check its request, decide the device, write the first log lines, and say
 * which process to start — or, when nothing is to be started (a bad request, a dry run, no Python),
 * end it with its result.json. The daemon and `runforge run` both start runs here (docs/daemon.md).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LaunchRecord } from '../contracts/launch.js';
import { DEFAULT_SEED, FAMILY_DEFAULTS } from '../contracts/constants.js';
import type { RunRequest } from '../contracts/request.js';
import type { Clock } from '../infra/clock.js';
import { MissingFilesError } from '../infra/errors.js';
import { displayPath, type WorkspacePaths } from '../workspace/paths.js';
import { pickDevice } from '../gpu/devices.js';
import { detectForForegroundRun } from '../gpu/detect.js';
import { findTrainerPython, PYTHON_DIR } from '../python-env/find-python.js';
import { csvHeader } from './csv-header.js';
import { type DeviceDecision, decideDevice, deviceEnv, ENV_GPU_ID, ENV_GPU_PRESENT } from './device.js';
import { logsFileOf, requestFileOf, trainerSummaryFileOf } from './files/names.js';
import { checkRequest, removeResult } from './files/documents.js';
import { ensureArtifactsDir, removeTrainerSummary } from './files/trainer-output.js';
import { errorResult, finish, type RunContext, type RunOutcome } from './outcome.js';
import { RunLog } from './run-log.js';
import { ENV_PARAMS, runParams } from './run-params.js';
import { deviceToken, stageToken } from './tokens.js';

export interface PrepareOptions {
  ws: WorkspacePaths;
  runDir: string;
  dryRun: boolean;
  maxRows?: number | undefined;
  /** The queue job this run executes, recorded in result.json so recovery can tell attempts apart. */
  jobId?: string | undefined;
  clock: Clock;
  env: NodeJS.ProcessEnv;
  /** Print each log line too (foreground). */
  echo?: ((line: string) => void) | undefined;
  /** Finds the trainer's interpreter; default `findTrainerPython` (the daemon remembers its answer). */
  findPython?: ((needTorch: boolean) => Promise<string>) | undefined;
}

/** The training process to start. */
export interface LaunchSpec {
  program: string;
  args: string[];
  /** The whole environment of the process. */
  env: Record<string, string>;
  cwd: string;
  /** For the trainer: its own arguments (after `python -m runforge_trainer`), for a warm worker. */
  trainerArgs?: string[];
}

export type PreparedRun = { outcome: RunOutcome } | { record: LaunchRecord; spec: LaunchSpec; log: RunLog };

function effectiveConfig(request: RunRequest, device: DeviceDecision): Record<string, unknown> {
  const family = request.model?.family;
  return {
    model: family
      ? { family, hyperparameters: { ...FAMILY_DEFAULTS[family], ...(request.model?.hyperparameters ?? {}) } }
      : null,
    device,
    preset: request.preset,
    dataset: request.dataset ? { path: request.dataset.path, label_column: request.dataset.label_column, test_size: 0.2 } : null,
    seed: request.seed ?? DEFAULT_SEED,
    ...(request.command ? { command: request.command } : {}),
    // Kept with the run (and its launch record), so its conclusion ranks by the metric it was told.
    ...(request.metric ? { metric: { name: request.metric.name, goal: request.metric.goal } } : {}),
  };
}

/**
 * Under the daemon the environment already carries its device decision. A foreground run detects
 * itself (nvidia-smi, or what RUNFORGE_GPU_DETECT says) and takes the device with the most free memory.
 */
async function withDeviceDecision(ws: WorkspacePaths, env: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  if (env[ENV_GPU_PRESENT] !== undefined) return env;
  const devices = await detectForForegroundRun(ws, env);
  const best = pickDevice(devices, { reservations: new Map(), jobsPerGpu: 1 });
  return { ...env, [ENV_GPU_PRESENT]: devices.length > 0 ? '1' : '0', ...(best ? { [ENV_GPU_ID]: String(best.index) } : {}) };
}

/** What the training process (trainer or the user's program) finds in its environment. */
function trainingEnv(opts: PrepareOptions, base: NodeJS.ProcessEnv, request: RunRequest, device: DeviceDecision): Record<string, string> {
  return {
    ...deviceEnv(device),
    RUNFORGE_RUN_DIR: opts.runDir,
    RUNFORGE_WORKSPACE: opts.ws.root,
    RUNFORGE_SEED: String(request.seed ?? DEFAULT_SEED),
    [ENV_PARAMS]: runParams(request),
    // The trainer package and the helper (`import runforge_helper`) are importable.
    PYTHONPATH: [PYTHON_DIR, base.PYTHONPATH].filter(Boolean).join(path.delimiter),
  };
}

/**
 * Starts a run: checks its request, decides the device, writes the first log lines and says which
 * process to start — or, when nothing is to be started (a bad request, a dry run), ends it with its
 * result.json. Throws only when there is no run folder to write a result into. Its file operations
 * are on a few small files and synchronous: the daemon runs this for every job it starts, and a
 * round trip through the thread pool costs more than the operation.
 */
export async function prepareRun(opts: PrepareOptions): Promise<PreparedRun> {
  const { ws, runDir } = opts;
  if (!existsSync(runDir)) throw new MissingFilesError(`Run directory not found: ${displayPath(ws, runDir)}`);
  // A result.json left by an earlier attempt must not be mistaken for this attempt's.
  removeResult(runDir);
  const ctx: RunContext = {
    runDir,
    clock: opts.clock,
    log: new RunLog(logsFileOf(runDir), opts.clock, opts.echo),
    startedMs: opts.clock.now(),
    jobId: opts.jobId ?? null,
    name: null,
  };
  // The first lines of logs.txt are written together, with one append, when the run is prepared.
  ctx.log.hold();
  try {
    return await prepareHeld(opts, ctx);
  } finally {
    ctx.log.release();
  }
}

/** The request of the run, checked; or the outcome of a run whose request is missing or invalid. */
async function readCheckedRequest(opts: PrepareOptions, ctx: RunContext): Promise<{ request: RunRequest } | { outcome: RunOutcome }> {
  const requestPath = requestFileOf(opts.runDir);
  const parsed = await checkRequest(opts.runDir);
  if (parsed === undefined) {
    return { outcome: await finish(ctx, 'failed', errorResult(`Request not found: ${displayPath(opts.ws, requestPath)}`, 'MissingFiles')) };
  }
  if (!parsed.ok) {
    const message = `${displayPath(opts.ws, requestPath)} is not a valid request: ${parsed.problems.join('; ')}`;
    return { outcome: await finish(ctx, 'failed', errorResult(message, 'InvalidRequest')) };
  }
  return { request: parsed.value };
}

async function prepareHeld(opts: PrepareOptions, ctx: RunContext): Promise<PreparedRun> {
  const { ws, runDir } = opts;
  const { log } = ctx;
  log.token(stageToken('STARTING'));
  log.info(`Run ${path.basename(runDir)}${opts.jobId ? ` (job ${opts.jobId})` : ''}${opts.dryRun ? ' (dry run)' : ''}`);

  const checked = await readCheckedRequest(opts, ctx);
  if ('outcome' in checked) return checked;
  const { request } = checked;
  ctx.name = request.name ?? null;
  const device = decideDevice(request, await withDeviceDecision(ws, opts.env));
  log.token(deviceToken(device));
  const config = effectiveConfig(request, device);
  const record = (mode: LaunchRecord['mode'], program: string): LaunchRecord => ({
    job_id: ctx.jobId,
    started_ms: ctx.startedMs,
    name: ctx.name,
    mode,
    program,
    effective_config: config,
    ...(request.timeout_s !== undefined ? { timeout_ms: request.timeout_s * 1000 } : {}),
  });
  // A command recorded with its caller's environment (`runforge add`) runs with that one, not the
  // daemon's: `python` is then the caller's venv's. RunForge's own variables are set on top.
  const base = request.command && request.env ? request.env : opts.env;
  const env = { ...(base as Record<string, string>), ...trainingEnv(opts, base, request, device), PYTHONUNBUFFERED: '1' };

  if (opts.dryRun) return { outcome: await dryRun(ctx, opts, request, config) };
  if (request.command) {
    const [program, ...args] = request.command;
    ensureArtifactsDir(runDir);
    log.info(`Command: ${JSON.stringify(request.command)}`);
    const cwd = path.resolve(ws.root, request.cwd ?? '.');
    return { record: record('command', program!), spec: { program: program!, args, env, cwd }, log };
  }

  const family = request.model!.family!;
  let python: string;
  try {
    python = await (opts.findPython ?? ((needTorch) => findTrainerPython(ws, opts.env, needTorch)))(family === 'mlp');
  } catch (err) {
    return { outcome: await finish(ctx, 'failed', { ...errorResult((err as Error).message, 'PythonNotFound'), effective_config: config }) };
  }
  removeTrainerSummary(runDir);
  if (family !== 'mlp' && device.type === 'gpu') log.info('scikit-learn trains on the CPU; the assigned GPU stays reserved for this run');
  const trainerArgs = trainerArguments(opts, request, device, config);
  return {
    record: record('trainer', python),
    spec: { program: python, args: ['-m', 'runforge_trainer', ...trainerArgs], env, cwd: ws.root, trainerArgs },
    log,
  };
}

/** The built-in trainer's arguments (after `python -m runforge_trainer`): its config and where its summary goes. */
function trainerArguments(opts: PrepareOptions, request: RunRequest, device: DeviceDecision, config: Record<string, unknown>): string[] {
  const model = config.model as { hyperparameters: Record<string, unknown> };
  const trainerConfig = {
    family: request.model!.family!,
    hyperparameters: model.hyperparameters,
    dataset_path: path.resolve(opts.ws.root, request.dataset!.path),
    label_column: request.dataset!.label_column,
    seed: request.seed ?? DEFAULT_SEED,
    device: device.type,
    run_dir: opts.runDir,
    max_rows: opts.maxRows ?? null,
    test_size: 0.2,
  };
  return ['--config', JSON.stringify(trainerConfig), '--summary-out', trainerSummaryFileOf(opts.runDir)];
}

/** A dry run: the dataset and its label column checked, nothing trained; ends the run. */
async function dryRun(ctx: RunContext, opts: PrepareOptions, request: RunRequest, config: Record<string, unknown>): Promise<RunOutcome> {
  const { log } = ctx;
  log.token(stageToken('LOADING_DATASET'));
  // A request without a command has a dataset (rules.ts).
  if (!request.command && request.dataset) {
    const dataset = path.resolve(opts.ws.root, request.dataset.path);
    if (!existsSync(dataset)) {
      return finish(ctx, 'failed', { ...errorResult(`Dataset not found: ${request.dataset.path}`, 'MissingFiles'), effective_config: config });
    }
    const header = await csvHeader(dataset);
    if (!header.includes(request.dataset.label_column)) {
      return finish(ctx, 'failed', {
        ...errorResult(`Label column '${request.dataset.label_column}' not found in ${request.dataset.path} (columns: ${header.join(', ')})`, 'InvalidDataset'),
        effective_config: config,
      });
    }
    log.info(`Dataset ${request.dataset.path}: ${header.length} columns, label '${request.dataset.label_column}'`);
  }
  log.info('Dry run: request, dataset and hyperparameters are valid; nothing was trained');
  return finish(ctx, 'succeeded', {
    summary: { metrics: { dry_run: 1.0 }, primary_metric: { name: 'dry_run', value: 1.0, goal: 'maximize' } },
    effective_config: { ...config, dry_run: true },
  });
}
