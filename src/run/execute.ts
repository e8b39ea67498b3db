/**
 * One run: request.json → device → training process → logs.txt/tokens → result.json. This is the
 * one path for a run. It has three steps: `prepareRun` (read and check the request, decide the
 * device, write the first log lines, say what process to start), starting that process, and
 * `concludeRun` (from its exit: metrics, artifacts, result.json, last tokens). `runforge run` does
 * the three in a row with the process's output piped into logs.txt (`executeRun`); the daemon does
 * the first and last itself and starts the process detached with its output in a file, so a job
 * costs no Node process of its own and still survives the daemon. What was decided at the start is
 * kept in `<run>/.launch.json`, so a later daemon can conclude a run the previous one started.
 * Whatever happens (bad request, missing dataset, crash, cancel), the run ends with a result.json.
 */
import { rm } from 'node:fs/promises';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parseDocument, parseJsonText } from '../contracts/document.js';
import { type LaunchRecord, LaunchRecordSchema } from '../contracts/launch.js';
import { DEFAULT_SEED, FAMILY_DEFAULTS } from '../contracts/constants.js';
import type { RunRequest } from '../contracts/request.js';
import type { ResultStatus, RunResult } from '../contracts/result.js';
import type { Clock } from '../infra/clock.js';
import { MissingFilesError } from '../infra/errors.js';
import { formatUtcSeconds } from '../infra/time.js';
import { chosenMetricOf, decidePrimaryMetric } from '../queue/primary-metric.js';
import { ensureDirSync, readTextIfExists, readTextIfExistsSync, removeFileSync, replaceFileSync, serialize, writeJsonAtomic } from '../workspace/json-file.js';
import { displayPath, type WorkspacePaths } from '../workspace/paths.js';
import { type DeviceDecision, decideDevice, deviceEnv, ENV_GPU_ID, ENV_GPU_PRESENT } from './device.js';
import { pickDevice } from '../gpu/devices.js';
import { detectForForegroundRun } from '../gpu/detect.js';
import { lastMetricValues } from './metrics.js';
import { findTrainerPython, PYTHON_DIR } from './python.js';
import { RunLog } from './run-log.js';
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

export interface RunOptions extends PrepareOptions {
  /** Aborted on SIGINT/SIGTERM: the training process is stopped and the run ends `cancelled`. */
  signal: AbortSignal;
}

export interface RunOutcome {
  status: ResultStatus;
  result: RunResult;
  /**
   * With `deferWrite`: settles once result.json is in place (and the launch record gone); rejects
   * when it could not be written. Otherwise the outcome is only returned once it is.
   */
  written?: Promise<void>;
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

/** How the training process ended. */
export interface ProcessExit {
  exitCode: number | null;
  signal: string | null;
  /** Stopped on request (Ctrl-C of a foreground run). */
  cancelled: boolean;
  /** Set when the program could not be started at all. */
  spawnError?: string | undefined;
}

/** An outcome decided outside the process: a timeout, a cancel, a daemon shutdown. */
export interface StopVerdict {
  status: ResultStatus;
  message: string;
  type: string;
}

interface RunContext {
  runDir: string;
  clock: Clock;
  log: RunLog;
  startedMs: number;
  jobId: string | null;
  /** The request's name, repeated in result.json for lists of runs. */
  name: string | null;
  /** Return the outcome before result.json is written (see `RunOutcome.written`). */
  deferWrite?: boolean;
  /** When the process ended, ms, if that was before now (a run concluded after a daemon restart). */
  endedMs?: number | undefined;
}

export const launchRecordFile = (runDir: string): string => path.join(runDir, '.launch.json');
const summaryFileOf = (runDir: string): string => path.join(runDir, '.trainer-summary.json');

/**
 * Reads `<run>/.launch.json`; undefined when there is none or it is unusable — then the run is treated
 * as one started by an older version (its job is resolved from result.json, or failed and re-queued).
 */
export function readLaunchRecord(runDir: string): LaunchRecord | undefined {
  const json = parseJsonText(readTextIfExistsSync(launchRecordFile(runDir)) ?? '');
  const record = json.ok ? LaunchRecordSchema.safeParse(json.value) : undefined;
  return record?.success ? record.data : undefined;
}

export function writeLaunchRecord(runDir: string, record: LaunchRecord): void {
  replaceFileSync(launchRecordFile(runDir), serialize(record));
}

function errorResult(message: string, type: string): Pick<RunResult, 'error'> {
  return { error: { message, type } };
}

async function listArtifacts(runDir: string): Promise<NonNullable<RunResult['artifacts']>> {
  const dir = path.join(runDir, 'artifacts');
  let names: string[];
  try {
    // Synchronous, as in prepareRun: a few entries, listed at the end of every run the daemon concludes.
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: NonNullable<RunResult['artifacts']> = [];
  for (const name of names.sort()) {
    const s = statSync(path.join(dir, name), { throwIfNoEntry: false });
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

async function finish(ctx: RunContext, status: ResultStatus, extra: Partial<RunResult>): Promise<RunOutcome> {
  const finishedMs = ctx.endedMs ?? ctx.clock.now();
  const result: RunResult = {
    version: 1,
    status,
    duration_ms: Math.max(0, finishedMs - ctx.startedMs),
    started_at: formatUtcSeconds(ctx.startedMs),
    finished_at: formatUtcSeconds(finishedMs),
    ...(ctx.jobId ? { job_id: ctx.jobId } : {}),
    ...(ctx.name ? { name: ctx.name } : {}),
    ...extra,
  };
  // The one place a run's primary metric is decided (whatever the trainer proposed): docs/training.md.
  if (result.summary?.metrics && result.summary.primary_metric?.name !== 'dry_run') {
    const primary = decidePrimaryMetric(result.summary.metrics, chosenMetricOf(result));
    result.summary = { ...result.summary, primary_metric: primary ? { ...primary } : null };
  }
  result.artifacts = extra.artifacts ?? (await listArtifacts(ctx.runDir));
  if (status === 'succeeded') ctx.log.token(stageToken('COMPLETED'));
  else {
    if (result.error) ctx.log.error(result.error.message);
    ctx.log.token(stageToken('FAILED'));
  }
  const written = (async () => {
    await writeJsonAtomic(path.join(ctx.runDir, 'result.json'), result);
    removeFileSync(launchRecordFile(ctx.runDir));
  })();
  if (ctx.deferWrite) return { status, result, written };
  await written;
  return { status, result };
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
  removeFileSync(path.join(runDir, 'result.json'));
  const ctx: RunContext = {
    runDir,
    clock: opts.clock,
    log: new RunLog(path.join(runDir, 'logs.txt'), opts.clock, opts.echo),
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

async function prepareHeld(opts: PrepareOptions, ctx: RunContext): Promise<PreparedRun> {
  const { ws, runDir } = opts;
  const { log } = ctx;
  log.token(stageToken('STARTING'));
  log.info(`Run ${path.basename(runDir)}${opts.jobId ? ` (job ${opts.jobId})` : ''}${opts.dryRun ? ' (dry run)' : ''}`);

  const requestPath = path.join(runDir, 'request.json');
  const text = readTextIfExistsSync(requestPath);
  if (text === undefined) {
    return { outcome: await finish(ctx, 'failed', errorResult(`Request not found: ${displayPath(ws, requestPath)}`, 'MissingFiles')) };
  }
  const parsed = await parseDocument('request', text);
  if (!parsed.ok) {
    const message = `${displayPath(ws, requestPath)} is not a valid request: ${parsed.problems.join('; ')}`;
    return { outcome: await finish(ctx, 'failed', errorResult(message, 'InvalidRequest')) };
  }
  const request = parsed.value;
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
  });
  const env = { ...(opts.env as Record<string, string>), ...trainingEnv(opts, request, device), PYTHONUNBUFFERED: '1' };

  if (opts.dryRun) return { outcome: await dryRun(ctx, opts, request, config) };
  if (request.command) {
    const [program, ...args] = request.command;
    ensureDirSync(path.join(runDir, 'artifacts'));
    log.info(`Command: ${JSON.stringify(request.command)}`);
    return { record: record('command', program!), spec: { program: program!, args, env, cwd: ws.root }, log };
  }

  const family = request.model!.family!;
  let python: string;
  try {
    python = await (opts.findPython ?? ((needTorch) => findTrainerPython(ws, opts.env, needTorch)))(family === 'mlp');
  } catch (err) {
    return { outcome: await finish(ctx, 'failed', { ...errorResult((err as Error).message, 'PythonNotFound'), effective_config: config }) };
  }
  removeFileSync(summaryFileOf(runDir));
  const model = config.model as { hyperparameters: Record<string, unknown> };
  if (family !== 'mlp' && device.type === 'gpu') log.info('scikit-learn trains on the CPU; the assigned GPU stays reserved for this run');
  const trainerConfig = {
    family,
    hyperparameters: model.hyperparameters,
    dataset_path: path.resolve(ws.root, request.dataset.path),
    label_column: request.dataset.label_column,
    seed: request.seed ?? DEFAULT_SEED,
    device: device.type,
    run_dir: runDir,
    max_rows: opts.maxRows ?? null,
    test_size: 0.2,
  };
  const trainerArgs = ['--config', JSON.stringify(trainerConfig), '--summary-out', summaryFileOf(runDir)];
  return {
    record: record('trainer', python),
    spec: { program: python, args: ['-m', 'runforge_trainer', ...trainerArgs], env, cwd: ws.root, trainerArgs },
    log,
  };
}

async function dryRun(ctx: RunContext, opts: PrepareOptions, request: RunRequest, config: Record<string, unknown>): Promise<RunOutcome> {
  const { log } = ctx;
  log.token(stageToken('LOADING_DATASET'));
  if (!request.command) {
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

/**
 * Runs the training process in the foreground, its output line by line into logs.txt. It stays in
 * this run's process group, so whoever stops the run stops both with one signal; on our own
 * SIGINT/SIGTERM it gets SIGTERM, and SIGKILL 10 s later.
 */
async function runChild(log: RunLog, spec: LaunchSpec, signal: AbortSignal): Promise<ProcessExit> {
  const child = execa(spec.program, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
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
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  const r = await child;
  if (r.signal && !cancelled) {
    // A signal to our whole process group reaches the program and us at once; the program's exit
    // may be seen before our own handler runs. Give it a moment before calling this a failure.
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (signal.aborted) cancelled = true;
  }
  signal.removeEventListener('abort', onAbort);
  log.flush();
  if (r.failed && r.exitCode === undefined && !r.signal && !cancelled) {
    return { exitCode: null, signal: null, cancelled, spawnError: (r as { originalMessage?: string }).originalMessage ?? r.shortMessage };
  }
  return { exitCode: r.exitCode ?? null, signal: r.signal ?? null, cancelled };
}

/** What the training process (trainer or the user's program) finds in its environment. */
function trainingEnv(opts: PrepareOptions, request: RunRequest, device: DeviceDecision): Record<string, string> {
  return {
    ...deviceEnv(device),
    RUNFORGE_RUN_DIR: opts.runDir,
    RUNFORGE_WORKSPACE: opts.ws.root,
    RUNFORGE_SEED: String(request.seed ?? DEFAULT_SEED),
    // The trainer package and the helper (`import runforge_helper`) are importable.
    PYTHONPATH: [PYTHON_DIR, opts.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
  };
}

const describeExit = (e: ProcessExit): string =>
  e.signal ? `was killed by ${e.signal}` : e.exitCode === null ? 'ended without an exit status (killed while no daemon watched it?)' : `exited with code ${e.exitCode}`;

interface TrainerSummary {
  metrics?: Record<string, number>;
  primary_metric?: { name: string; value: number };
  artifacts?: NonNullable<RunResult['artifacts']>;
  error?: { message: string; type: string; traceback?: string | null };
}

export interface ConcludeOptions {
  runDir: string;
  clock: Clock;
  log: RunLog;
  record: LaunchRecord;
  exit: ProcessExit;
  /** Set when the run was stopped from outside; it decides the status and the error. */
  stop?: StopVerdict | undefined;
  /**
   * Return the outcome as soon as it is known, with result.json on its way (`RunOutcome.written`):
   * the daemon frees the job's slot meanwhile, and writes queue.json only once it is in place.
   */
  deferWrite?: boolean;
  /**
   * When the process ended, ms (its exit-status file's mtime), for a run concluded later than that:
   * its duration and finished_at are the process's, not the time of the conclusion. Default: now.
   */
  endedMs?: number | undefined;
}

/** Ends a run from how its process ended: metrics, artifacts, result.json and the last tokens. */
export async function concludeRun(o: ConcludeOptions): Promise<RunOutcome> {
  const { record, exit } = o;
  const ctx: RunContext = { runDir: o.runDir, clock: o.clock, log: o.log, startedMs: record.started_ms, jobId: record.job_id, name: record.name, deferWrite: o.deferWrite, endedMs: o.endedMs };
  const common: Partial<RunResult> = { effective_config: record.effective_config, exit_code: exit.exitCode };
  let summary: TrainerSummary | undefined;
  if (record.mode === 'command') {
    const metrics = await lastMetricValues(path.join(o.runDir, 'metrics.jsonl'));
    if (Object.keys(metrics).length > 0) common.summary = { metrics };
  } else {
    const text = await readTextIfExists(summaryFileOf(o.runDir));
    await rm(summaryFileOf(o.runDir), { force: true });
    try {
      summary = text ? (JSON.parse(text) as TrainerSummary) : undefined;
    } catch {
      summary = undefined;
    }
  }
  if (o.stop) return finish(ctx, o.stop.status, { ...common, ...errorResult(o.stop.message, o.stop.type) });
  if (exit.cancelled) return finish(ctx, 'cancelled', { ...common, ...errorResult('Cancelled', 'Cancelled') });
  if (record.mode === 'command') {
    if (exit.spawnError) {
      return finish(ctx, 'failed', { ...common, ...errorResult(`Could not start ${record.program}: ${exit.spawnError}`, 'CommandNotFound') });
    }
    if (exit.exitCode === 0) return finish(ctx, 'succeeded', common);
    return finish(ctx, 'failed', { ...common, ...errorResult(`Command ${describeExit(exit)}`, 'CommandFailed') });
  }
  if (exit.spawnError) return finish(ctx, 'failed', { ...common, ...errorResult(`Could not start ${record.program}: ${exit.spawnError}`, 'PythonNotFound') });
  if (summary?.error) return finish(ctx, 'failed', { ...common, error: summary.error });
  if (exit.exitCode === 0 && summary?.metrics) {
    return finish(ctx, 'succeeded', {
      ...common,
      summary: { metrics: summary.metrics, primary_metric: summary.primary_metric ?? null },
      ...(summary.artifacts ? { artifacts: summary.artifacts } : {}),
    });
  }
  return finish(ctx, 'failed', { ...common, ...errorResult(`The trainer ${describeExit(exit)} without a summary`, 'TrainerCrashed') });
}

/** Executes the run in `opts.runDir` in the foreground (`runforge run`). */
export async function executeRun(opts: RunOptions): Promise<RunOutcome> {
  const prepared = await prepareRun(opts);
  if ('outcome' in prepared) return prepared.outcome;
  const exit = await runChild(prepared.log, prepared.spec, opts.signal);
  return concludeRun({ runDir: opts.runDir, clock: opts.clock, log: prepared.log, record: prepared.record, exit });
}
