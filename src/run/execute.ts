/**
 * One run: request.json → device → training process → logs.txt/tokens → result.json. This is the
 * one path for a run, used by `runforge run` by hand and by the daemon for every job. Whatever
 * happens (bad request, missing dataset, crash, cancel), the run ends with a result.json.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parseDocument } from '../contracts/document.js';
import { DEFAULT_SEED, FAMILY_DEFAULTS } from '../contracts/constants.js';
import type { RunRequest } from '../contracts/request.js';
import type { ResultStatus, RunResult } from '../contracts/result.js';
import type { Clock } from '../infra/clock.js';
import { MissingFilesError } from '../infra/errors.js';
import { formatUtcSeconds } from '../infra/time.js';
import { primaryMetricOf } from '../queue/primary-metric.js';
import { readTextIfExists, writeJsonAtomic } from '../workspace/json-file.js';
import { displayPath, type WorkspacePaths } from '../workspace/paths.js';
import { type DeviceDecision, decideDevice, deviceEnv, ENV_GPU_ID, ENV_GPU_PRESENT } from './device.js';
import { detectWithNvidiaSmi, pickDevice } from '../gpu/devices.js';
import { lastMetricValues } from './metrics.js';
import { findTrainerPython, PYTHON_DIR } from './python.js';
import { RunLog } from './run-log.js';
import { deviceToken, stageToken } from './tokens.js';

export interface RunOptions {
  ws: WorkspacePaths;
  runDir: string;
  dryRun: boolean;
  maxRows?: number | undefined;
  /** The queue job this run executes, recorded in result.json so recovery can tell attempts apart. */
  jobId?: string | undefined;
  clock: Clock;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM: the training process is stopped and the run ends `cancelled`. */
  signal: AbortSignal;
  /** Print each log line too (foreground). */
  echo?: ((line: string) => void) | undefined;
}

export interface RunOutcome {
  status: ResultStatus;
  result: RunResult;
}

interface Attempt {
  /** The request's name, repeated in result.json for lists of runs. */
  name?: string | null;
  startedMs: number;
  log: RunLog;
  resultFile: string;
}

function errorResult(message: string, type: string): Pick<RunResult, 'error'> {
  return { error: { message, type } };
}

async function listArtifacts(runDir: string): Promise<NonNullable<RunResult['artifacts']>> {
  const dir = path.join(runDir, 'artifacts');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: NonNullable<RunResult['artifacts']> = [];
  for (const name of names.sort()) {
    const s = await stat(path.join(dir, name)).catch(() => undefined);
    if (!s?.isFile()) continue;
    const type = /\.(pkl|pt|pth|joblib|onnx|bin)$/.test(name)
      ? 'model'
      : name.startsWith('metrics')
        ? 'metrics'
        : /encoder/.test(name)
          ? 'encoder'
          : /\.(ckpt)$/.test(name)
            ? 'checkpoint'
            : /\.(log|txt)$/.test(name)
              ? 'log'
              : 'other';
    out.push({ path: `artifacts/${name}`, type, bytes: s.size });
  }
  return out;
}

/** The header of a CSV file (its first line), split on commas outside quotes. */
async function csvHeader(file: string): Promise<string[]> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 64 * 1024 });
  let text = '';
  for await (const chunk of stream) {
    text += chunk as string;
    if (text.includes('\n') || text.length > 1_000_000) break;
  }
  stream.destroy();
  const line = (text.split('\n')[0] ?? '').replace(/\r$/, '').replace(/^\uFEFF/, '');
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') {
      if (quoted && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === ',' && !quoted) {
      cells.push(cell.trim());
      cell = '';
    } else cell += c;
  }
  cells.push(cell.trim());
  return cells;
}

function effectiveConfig(request: RunRequest, device: DeviceDecision): Record<string, unknown> {
  const family = request.model?.family;
  return {
    model: family
      ? { family, hyperparameters: { ...FAMILY_DEFAULTS[family], ...(request.model?.hyperparameters ?? {}) } }
      : null,
    device,
    preset: request.preset,
    dataset: { path: request.dataset.path, label_column: request.dataset.label_column, test_size: 0.2 },
    seed: request.seed ?? DEFAULT_SEED,
    ...(request.command ? { command: request.command } : {}),
  };
}

/**
 * Under the daemon the environment already carries its device decision. A foreground run asks
 * nvidia-smi itself and takes the device with the most free memory.
 */
async function withDeviceDecision(env: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  if (env[ENV_GPU_PRESENT] !== undefined) return env;
  const devices = await detectWithNvidiaSmi(env);
  const best = pickDevice(devices, { reservations: new Map(), jobsPerGpu: 1 });
  return { ...env, [ENV_GPU_PRESENT]: devices.length > 0 ? '1' : '0', ...(best ? { [ENV_GPU_ID]: String(best.index) } : {}) };
}

async function finish(
  attempt: Attempt,
  opts: RunOptions,
  status: ResultStatus,
  extra: Partial<RunResult>,
): Promise<RunOutcome> {
  const finishedMs = opts.clock.now();
  const result: RunResult = {
    version: 1,
    status,
    duration_ms: Math.max(0, finishedMs - attempt.startedMs),
    started_at: formatUtcSeconds(attempt.startedMs),
    finished_at: formatUtcSeconds(finishedMs),
    ...(opts.jobId ? { job_id: opts.jobId } : {}),
    ...(attempt.name ? { name: attempt.name } : {}),
    ...extra,
  };
  if (result.summary?.metrics && !result.summary.primary_metric) {
    const primary = primaryMetricOf(result);
    result.summary = { ...result.summary, primary_metric: primary ? { ...primary } : null };
  }
  result.artifacts = extra.artifacts ?? (await listArtifacts(opts.runDir));
  if (status === 'succeeded') attempt.log.token(stageToken('COMPLETED'));
  else {
    if (result.error) attempt.log.error(result.error.message);
    attempt.log.token(stageToken('FAILED'));
  }
  await writeJsonAtomic(attempt.resultFile, result);
  return { status, result };
}

/** Executes the run in `opts.runDir`. Throws only when there is no run folder to write a result into. */
export async function executeRun(opts: RunOptions): Promise<RunOutcome> {
  const { ws, runDir } = opts;
  if (!existsSync(runDir)) throw new MissingFilesError(`Run directory not found: ${displayPath(ws, runDir)}`);
  const resultFile = path.join(runDir, 'result.json');
  // A result.json left by an earlier attempt must not be mistaken for this attempt's.
  await rm(resultFile, { force: true });
  const attempt: Attempt = {
    startedMs: opts.clock.now(),
    log: new RunLog(path.join(runDir, 'logs.txt'), opts.clock, opts.echo),
    resultFile,
  };
  const { log } = attempt;
  log.token(stageToken('STARTING'));
  log.info(`Run ${path.basename(runDir)}${opts.jobId ? ` (job ${opts.jobId})` : ''}${opts.dryRun ? ' (dry run)' : ''}`);

  const requestPath = path.join(runDir, 'request.json');
  const text = await readTextIfExists(requestPath);
  if (text === undefined) {
    return finish(attempt, opts, 'failed', errorResult(`Request not found: ${displayPath(ws, requestPath)}`, 'MissingFiles'));
  }
  const parsed = await parseDocument('request', text);
  if (!parsed.ok) {
    return finish(
      attempt,
      opts,
      'failed',
      errorResult(`${displayPath(ws, requestPath)} is not a valid request: ${parsed.problems.join('; ')}`, 'InvalidRequest'),
    );
  }
  const request = parsed.value;
  attempt.name = request.name ?? null;
  const device = decideDevice(request, await withDeviceDecision(opts.env));
  log.token(deviceToken(device));
  const config = effectiveConfig(request, device);

  if (opts.dryRun) return dryRun(attempt, opts, request, config);
  if (request.command) return runCommand(attempt, opts, request, device, config);
  return runTrainer(attempt, opts, request, device, config);
}

async function dryRun(attempt: Attempt, opts: RunOptions, request: RunRequest, config: Record<string, unknown>): Promise<RunOutcome> {
  const { log } = attempt;
  log.token(stageToken('LOADING_DATASET'));
  if (!request.command) {
    const dataset = path.resolve(opts.ws.root, request.dataset.path);
    if (!existsSync(dataset)) {
      return finish(attempt, opts, 'failed', { ...errorResult(`Dataset not found: ${request.dataset.path}`, 'MissingFiles'), effective_config: config });
    }
    const header = await csvHeader(dataset);
    if (!header.includes(request.dataset.label_column)) {
      return finish(attempt, opts, 'failed', {
        ...errorResult(`Label column '${request.dataset.label_column}' not found in ${request.dataset.path} (columns: ${header.join(', ')})`, 'InvalidDataset'),
        effective_config: config,
      });
    }
    log.info(`Dataset ${request.dataset.path}: ${header.length} columns, label '${request.dataset.label_column}'`);
  }
  log.info('Dry run: request, dataset and hyperparameters are valid; nothing was trained');
  return finish(attempt, opts, 'succeeded', {
    summary: { metrics: { dry_run: 1.0 }, primary_metric: { name: 'dry_run', value: 1.0 } },
    effective_config: { ...config, dry_run: true },
  });
}

interface ChildExit {
  exitCode: number | null;
  signal: string | null;
  cancelled: boolean;
  /** Set when the program could not be started at all. */
  spawnError?: string;
}

/**
 * Runs the training process (built-in trainer or the user's command) in the workspace folder, its
 * output line by line into logs.txt. It stays in this run's process group, so the daemon stops both
 * with one signal; on our own SIGINT/SIGTERM it gets SIGTERM, and SIGKILL 10 s later.
 */
async function runChild(attempt: Attempt, opts: RunOptions, program: string, args: readonly string[], env: Record<string, string>): Promise<ChildExit> {
  const { log } = attempt;
  const child = execa(program, args, {
    cwd: opts.ws.root,
    env: { ...opts.env, ...env, PYTHONUNBUFFERED: '1' },
    extendEnv: false,
    reject: false,
    buffer: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    cleanup: false,
    forceKillAfterDelay: 10_000,
  });
  child.stdout?.setEncoding('utf8').on('data', (c: string) => log.output(c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => log.output(c));
  let cancelled = false;
  const onAbort = (): void => {
    cancelled = true;
    child.kill('SIGTERM');
  };
  opts.signal.addEventListener('abort', onAbort, { once: true });
  if (opts.signal.aborted) onAbort();
  const r = await child;
  if (r.signal && !cancelled) {
    // A signal to our whole process group reaches the program and us at once; the program's exit
    // may be seen before our own handler runs. Give it a moment before calling this a failure.
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (opts.signal.aborted) cancelled = true;
  }
  opts.signal.removeEventListener('abort', onAbort);
  log.flush();
  if (r.failed && r.exitCode === undefined && !r.signal && !cancelled) {
    return { exitCode: null, signal: null, cancelled, spawnError: (r as { originalMessage?: string }).originalMessage ?? r.shortMessage };
  }
  return { exitCode: r.exitCode ?? null, signal: r.signal ?? null, cancelled };
}

/** What the training process (trainer or the user's program) finds in its environment. */
function trainingEnv(opts: RunOptions, request: RunRequest, device: DeviceDecision): Record<string, string> {
  return {
    ...deviceEnv(device),
    RUNFORGE_RUN_DIR: opts.runDir,
    RUNFORGE_WORKSPACE: opts.ws.root,
    RUNFORGE_SEED: String(request.seed ?? DEFAULT_SEED),
    // The trainer package and the helper (`import runforge_helper`) are importable.
    PYTHONPATH: [PYTHON_DIR, opts.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
  };
}

const describeExit = (e: ChildExit): string => (e.signal ? `was killed by ${e.signal}` : `exited with code ${e.exitCode}`);

async function runCommand(
  attempt: Attempt,
  opts: RunOptions,
  request: RunRequest,
  device: DeviceDecision,
  config: Record<string, unknown>,
): Promise<RunOutcome> {
  const [program, ...args] = request.command!;
  await mkdir(path.join(opts.runDir, 'artifacts'), { recursive: true });
  attempt.log.info(`Command: ${JSON.stringify(request.command)}`);
  const exit = await runChild(attempt, opts, program!, args, trainingEnv(opts, request, device));
  const metrics = await lastMetricValues(path.join(opts.runDir, 'metrics.jsonl'));
  const summary = Object.keys(metrics).length > 0 ? { metrics } : undefined;
  const common = { effective_config: config, exit_code: exit.exitCode, ...(summary ? { summary } : {}) };
  if (exit.cancelled) return finish(attempt, opts, 'cancelled', { ...common, ...errorResult('Cancelled', 'Cancelled') });
  if (exit.spawnError) {
    return finish(attempt, opts, 'failed', { ...common, ...errorResult(`Could not start ${program}: ${exit.spawnError}`, 'CommandNotFound') });
  }
  if (exit.exitCode === 0) return finish(attempt, opts, 'succeeded', common);
  return finish(attempt, opts, 'failed', { ...common, ...errorResult(`Command ${describeExit(exit)}`, 'CommandFailed') });
}

interface TrainerSummary {
  metrics?: Record<string, number>;
  primary_metric?: { name: string; value: number };
  artifacts?: NonNullable<RunResult['artifacts']>;
  error?: { message: string; type: string; traceback?: string | null };
}

async function runTrainer(
  attempt: Attempt,
  opts: RunOptions,
  request: RunRequest,
  device: DeviceDecision,
  config: Record<string, unknown>,
): Promise<RunOutcome> {
  const family = request.model!.family!;
  let python: string;
  try {
    python = await findTrainerPython(opts.ws, opts.env, family === 'mlp');
  } catch (err) {
    return finish(attempt, opts, 'failed', { ...errorResult((err as Error).message, 'PythonNotFound'), effective_config: config });
  }
  const summaryFile = path.join(opts.runDir, '.trainer-summary.json');
  await rm(summaryFile, { force: true });
  const model = config.model as { hyperparameters: Record<string, unknown> };
  if (family !== 'mlp' && device.type === 'gpu') attempt.log.info('scikit-learn trains on the CPU; the assigned GPU stays reserved for this run');
  const trainerConfig = {
    family,
    hyperparameters: model.hyperparameters,
    dataset_path: path.resolve(opts.ws.root, request.dataset.path),
    label_column: request.dataset.label_column,
    seed: request.seed ?? DEFAULT_SEED,
    device: device.type,
    run_dir: opts.runDir,
    max_rows: opts.maxRows ?? null,
    test_size: 0.2,
  };
  const trainerArgs = ['-m', 'runforge_trainer', '--config', JSON.stringify(trainerConfig), '--summary-out', summaryFile];
  const exit = await runChild(attempt, opts, python, trainerArgs, trainingEnv(opts, request, device));
  const text = await readTextIfExists(summaryFile);
  await rm(summaryFile, { force: true });
  let summary: TrainerSummary | undefined;
  try {
    summary = text ? (JSON.parse(text) as TrainerSummary) : undefined;
  } catch {
    summary = undefined;
  }
  const common = { effective_config: config, exit_code: exit.exitCode };
  if (exit.cancelled) return finish(attempt, opts, 'cancelled', { ...common, ...errorResult('Cancelled', 'Cancelled') });
  if (exit.spawnError) return finish(attempt, opts, 'failed', { ...common, ...errorResult(`Could not start ${python}: ${exit.spawnError}`, 'PythonNotFound') });
  if (summary?.error) return finish(attempt, opts, 'failed', { ...common, error: summary.error });
  if (exit.exitCode === 0 && summary?.metrics) {
    return finish(attempt, opts, 'succeeded', {
      ...common,
      summary: { metrics: summary.metrics, primary_metric: summary.primary_metric ?? null },
      ...(summary.artifacts ? { artifacts: summary.artifacts } : {}),
    });
  }
  return finish(attempt, opts, 'failed', { ...common, ...errorResult(`The trainer ${describeExit(exit)} without a summary`, 'TrainerCrashed') });
}
