/**
 * Client of the warm trainer worker (`python -m runforge_trainer.worker`, docs/training.md): a Python
 * that has imported numpy, pandas and scikit-learn once and forks one isolated child per run, so a
 * run starts in milliseconds instead of paying ~1 s of imports. The worker runs detached in its own
 * process group and survives the daemon; each run leads its own session, writes its output to a file
 * and gets an exit-status file, so a run outlives both and its outcome can still be read.
 *
 * Every failure to start the worker (a Python without the libraries, a crash, no `ready` in time)
 * makes `fork` reject with a one-line Error; the caller then starts the run cold
 * (`python -m runforge_trainer …`), which is the same trainer.
 */
import { parseWorkerLine, type WorkerMessage } from '../../contracts/warm-worker.js';
import { systemClock, type Clock, type TimerHandle } from '../../infra/clock.js';
import { OperationFailedError } from '../../infra/errors.js';
import { TypedEmitter } from '../../infra/events.js';
import { readExitFile } from '../../process/exit-status.js';
import { processStartTime, waitForExit } from '../../process/identity.js';
import { signalGroup } from '../../process/signal.js';
import type { ChildOutcome } from '../../process/spawn.js';
import { type Connection, lastLine, onWorkerLines, type RunRecord, spawnWorkerProcess, type WorkerExitReason } from './warm-connection.js';

export interface WarmWorkerOptions {
  /** The interpreter: one with numpy, pandas, scikit-learn and joblib (see findTrainerPython). */
  python: string;
  /** File that receives the worker's stderr (its diagnostics), appended. */
  logFile: string;
  /** Import torch too, for `mlp` runs (CUDA is never initialised in the worker). Default false. */
  preloadTorch?: boolean;
  /** The worker's own environment; PYTHON_DIR is put first on its PYTHONPATH. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Close the worker after this many ms without a running child (0: never). Default 300000. */
  idleMs?: number;
  /** How long the worker may take to import its libraries and say `ready`, in ms. Default 60000. */
  startTimeoutMs?: number;
  /** How long to wait for the worker to answer a run request, in ms. Default 10000. */
  forkTimeoutMs?: number;
  /** How long close() waits for the worker to exit, in ms. Default 5000. */
  closeTimeoutMs?: number;
  /** After a failed start, fork() rejects at once with the same error for this many ms. Default 30000. */
  retryAfterMs?: number;
  /** Poll interval (ms) for runs whose worker is gone. Default 250. */
  pollMs?: number;
  clock?: Clock;
}

export interface WarmRunSpec {
  /** Tells replies apart; unique among this client's running runs (e.g. the job id). */
  id: string;
  /** The trainer's arguments, as after `python -m runforge_trainer`. */
  argv: readonly string[];
  /** The run's whole environment (nothing is inherited from the worker). */
  env: Record<string, string | undefined>;
  cwd: string;
  /** Receives the run's stdout and stderr, appended. */
  outputFile: string;
  /** Absolute path; the worker writes `{"pid","exit_code","signal"}` there atomically when the run ends. */
  exitStatusFile: string;
}

export interface WarmRun {
  pid: number;
  /** The run leads its own session and process group: signal `-pgid` to stop it and its children. */
  pgid: number;
  /** Start time of `pid` (see processStartTime), to recognise the run after a daemon restart. */
  startTime: string | null;
  /** Settles when the run ends. Both fields null: it ended while no worker watched it and left no exit status. */
  exited: Promise<ChildOutcome>;
}

export interface WarmWorkerEvents {
  'worker:ready': [{ pid: number; preloaded: string[] }];
  /** `reason`: why it ended: idle, closed, crashed (exited on its own) or start-failed. */
  'worker:exit': [{ pid: number | null; exitCode: number | null; signal: string | null; reason: WorkerExitReason }];
}

export type { WorkerExitReason } from './warm-connection.js';

const DEFAULTS = {
  idleMs: 300_000,
  startTimeoutMs: 60_000,
  forkTimeoutMs: 10_000,
  closeTimeoutMs: 5_000,
  retryAfterMs: 30_000,
  pollMs: 250,
};

export class WarmWorker extends TypedEmitter<WarmWorkerEvents> {
  private readonly opts: Required<Omit<WarmWorkerOptions, 'env' | 'clock'>> & { env: NodeJS.ProcessEnv };
  private readonly clock: Clock;
  private conn: Connection | undefined;
  private idleTimer: TimerHandle | undefined;
  private failure: { error: Error; until: number } | undefined;
  private closed = false;

  constructor(options: WarmWorkerOptions) {
    super();
    this.opts = { preloadTorch: false, ...DEFAULTS, env: process.env, ...options };
    this.clock = options.clock ?? systemClock;
  }

  /** PID of the live worker, if one is running. */
  get workerPid(): number | undefined {
    return this.conn && !this.conn.isGone ? (this.conn.pid ?? undefined) : undefined;
  }

  /** True when a fork now would be served at once (the worker has imported its libraries). */
  get isReady(): boolean {
    return !!this.conn && this.conn.isReady && !this.conn.isGone && !this.conn.stopReason;
  }

  /**
   * Starts the worker in the background if it is not running (runs are about to come), without
   * waiting for it; a failure is kept for `fork` to report. The idle shutdown applies as usual.
   */
  warmUp(): void {
    if (this.closed || this.conn || (this.failure && this.clock.now() < this.failure.until)) return;
    void this.connect().then(
      (conn) => this.armIdle(conn),
      () => undefined,
    );
  }

  /**
   * Starts one run in a forked child of the worker (starting the worker first if needed). Rejects
   * with a one-line Error when the worker cannot start or refuses the run: start the run cold then.
   */
  async fork(spec: WarmRunSpec): Promise<WarmRun> {
    if (this.closed) throw new OperationFailedError('The warm worker is closed');
    if (this.failure && this.clock.now() < this.failure.until) throw this.failure.error;
    this.cancelIdle();
    const conn = await this.connect();
    if (conn.isGone || conn.stopReason) throw new OperationFailedError(`The warm worker stopped before it started run ${spec.id}`);
    if (conn.runs.has(spec.id) || conn.pending.has(spec.id)) {
      throw new OperationFailedError(`The warm worker already runs ${spec.id}`);
    }
    const request = {
      op: 'run',
      id: spec.id,
      argv: spec.argv,
      env: Object.fromEntries(Object.entries(spec.env).filter((e): e is [string, string] => e[1] !== undefined)),
      cwd: spec.cwd,
      output: spec.outputFile,
      exit_status: spec.exitStatusFile,
    };
    let started: { pid: number; startTime: string | null };
    try {
      started = await new Promise((resolve, reject) => {
        const timer = this.clock.setTimeout(() => {
          conn.pending.delete(spec.id);
          reject(new OperationFailedError(`The warm worker did not answer run ${spec.id} within ${this.opts.forkTimeoutMs} ms`));
          void this.retire(conn, 'crashed'); // wedged: the next fork starts a fresh one
        }, this.opts.forkTimeoutMs);
        conn.pending.set(spec.id, { resolve, reject, timer });
        conn.child.stdin?.write(`${JSON.stringify(request)}\n`);
      });
    } catch (err) {
      this.armIdle(conn);
      throw err;
    }
    let settle!: (outcome: ChildOutcome) => void;
    const exited = new Promise<ChildOutcome>((resolve) => (settle = resolve));
    const { pid, startTime } = started;
    const record: RunRecord = { id: spec.id, pid, startTime, exitStatusFile: spec.exitStatusFile, settle };
    conn.runs.set(spec.id, record);
    const early = conn.early.get(spec.id);
    if (early) this.finishRun(conn, record, early);
    else if (conn.isGone) void this.watchOrphan(conn, record);
    return { pid, pgid: pid, startTime, exited };
  }

  /** Ends the worker's stdin and waits (up to closeTimeoutMs) for it to exit; fork() rejects afterwards.
   * A worker still waiting for runs keeps running until they end, and their `exited` still settle. */
  async close(): Promise<void> {
    this.closed = true;
    this.cancelIdle();
    const conn = this.conn;
    if (conn) await this.retire(conn, 'closed');
  }

  private async connect(): Promise<Connection> {
    if (!this.conn || this.conn.isGone || this.conn.stopReason) this.conn = this.spawnWorker();
    const conn = this.conn;
    try {
      await conn.ready;
      return conn;
    } catch (err) {
      if (this.conn === conn) this.conn = undefined;
      this.failure = { error: err as Error, until: this.clock.now() + this.opts.retryAfterMs };
      throw err;
    }
  }

  private spawnWorker(): Connection {
    const { python, logFile } = this.opts;
    const { child, logOffset } = spawnWorkerProcess(this.opts);
    let readyResolve!: () => void;
    let readyReject!: (err: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    ready.catch(() => undefined); // observed through connect(); never an unhandled rejection
    let goneResolve!: () => void;
    const conn: Connection = {
      child,
      pid: child.pid ?? null,
      ready,
      isReady: false,
      pending: new Map(),
      runs: new Map(),
      gone: new Promise<void>((resolve) => (goneResolve = resolve)),
      isGone: false,
      early: new Map(),
    };
    let startSettled = false;
    const fail = (reason: string): void => {
      if (startSettled) return;
      startSettled = true;
      conn.stopReason ??= 'start-failed';
      readyReject(new OperationFailedError(`The warm worker (${python}) could not start: ${reason.replace(/\s*\n\s*/g, ' ')}`));
    };
    const startTimer = this.clock.setTimeout(() => {
      fail(`no "ready" within ${this.opts.startTimeoutMs} ms; see ${logFile}`);
      signalGroup(conn.pid, 'SIGKILL');
    }, this.opts.startTimeoutMs);

    let noise: string | undefined;
    onWorkerLines(child, (line) => {
      const message = parseWorkerLine(line);
      if (!message) noise ??= line.slice(0, 200);
      else if (message.kind === 'ready') {
        this.clock.clearTimeout(startTimer);
        if (startSettled) return;
        startSettled = conn.isReady = true;
        readyResolve();
        this.emit('worker:ready', { pid: message.pid, preloaded: message.preloaded });
        this.armIdle(conn);
      } else if (message.kind === 'start-error') fail(message.error);
      else this.onMessage(conn, message);
    });
    child.stdin?.on('error', () => undefined); // EPIPE when the worker is gone; 'close' says so
    const onGone = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (conn.isGone) return;
      this.clock.clearTimeout(startTimer);
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const last = lastLine(logFile, logOffset);
      fail(`it ${how} before it was ready${noise ? ` (it printed: ${noise})` : ''}${last ? ` (last log line: ${last})` : ''}`);
      conn.isGone = true;
      if (this.conn === conn) this.conn = undefined;
      for (const [id, p] of conn.pending) {
        this.clock.clearTimeout(p.timer);
        p.reject(new OperationFailedError(`The warm worker ${how} before it started run ${id}`));
      }
      conn.pending.clear();
      for (const record of conn.runs.values()) void this.watchOrphan(conn, record);
      goneResolve();
      this.emit('worker:exit', { pid: conn.pid, exitCode: code, signal, reason: conn.stopReason ?? 'crashed' });
    };
    child.on('error', (err) => {
      fail(err.message);
      if (child.pid === undefined) onGone(null, null); // never started: no 'close' is certain
    });
    child.on('close', onGone);
    return conn;
  }

  private onMessage(conn: Connection, message: WorkerMessage): void {
    if (message.kind === 'started') {
      const pending = conn.pending.get(message.id);
      if (!pending) {
        // Answered after we gave up on it (fork timeout): nobody will watch that run, so stop it.
        signalGroup(message.pid, 'SIGKILL');
        return;
      }
      conn.pending.delete(message.id);
      this.clock.clearTimeout(pending.timer);
      // Read at once: the run may end within milliseconds, and its pid be reused later.
      pending.resolve({ pid: message.pid, startTime: processStartTime(message.pid) });
    } else if (message.kind === 'refused') {
      const pending = typeof message.id === 'string' ? conn.pending.get(message.id) : undefined;
      if (!pending || typeof message.id !== 'string') return;
      conn.pending.delete(message.id);
      this.clock.clearTimeout(pending.timer);
      pending.reject(new OperationFailedError(`The warm worker refused run ${message.id}: ${message.error}`));
    } else if (message.kind === 'exit') {
      const outcome = { exitCode: message.exit_code, signal: message.signal };
      const record = conn.runs.get(message.id);
      if (record && record.pid === message.pid) this.finishRun(conn, record, outcome);
      else conn.early.set(message.id, outcome); // its `started` reply is still being handled by fork()
    }
  }

  private finishRun(conn: Connection, record: RunRecord, outcome: ChildOutcome): void {
    if (conn.runs.get(record.id) !== record) return;
    conn.runs.delete(record.id);
    conn.early.delete(record.id);
    record.settle(outcome);
    this.armIdle(conn);
  }

  /** The worker is gone but the run may not be: wait for its pid to go, then read its exit status. */
  private async watchOrphan(conn: Connection, record: RunRecord): Promise<void> {
    await waitForExit(record.pid, record.startTime, this.clock, this.opts.pollMs);
    // No exit status (or another run's): the worker died before the run ended.
    const status = readExitFile(record.exitStatusFile);
    const outcome = status && status.pid === record.pid ? { exitCode: status.exitCode, signal: status.signal } : { exitCode: null, signal: null };
    this.finishRun(conn, record, outcome);
  }

  private armIdle(conn: Connection): void {
    if (this.opts.idleMs <= 0 || this.conn !== conn || !conn.isReady || conn.isGone) return;
    if (conn.runs.size > 0 || conn.pending.size > 0) return;
    this.cancelIdle();
    this.idleTimer = this.clock.setTimeout(() => {
      this.idleTimer = undefined;
      if (this.conn === conn && conn.runs.size === 0 && conn.pending.size === 0) void this.retire(conn, 'idle');
    }, this.opts.idleMs);
  }

  private cancelIdle(): void {
    if (this.idleTimer) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /** Asks the worker to stop (stdin EOF: it waits for its runs) and waits up to closeTimeoutMs. */
  private async retire(conn: Connection, reason: WorkerExitReason): Promise<void> {
    if (this.conn === conn) this.conn = undefined;
    conn.stopReason ??= reason;
    conn.child.stdin?.end();
    let timer: TimerHandle | undefined;
    await Promise.race([conn.gone, new Promise<void>((resolve) => (timer = this.clock.setTimeout(resolve, this.opts.closeTimeoutMs)))]);
    if (timer) this.clock.clearTimeout(timer);
  }
}
