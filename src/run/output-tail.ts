/**
 * The raw output of a detached training process — `<run>/output.log`, where its stdout and stderr
 * go (a file, so the process keeps writing if the daemon dies) — copied into logs.txt line by line
 * with timestamps (RunLog) while it runs and once more when it ends, after which output.log is
 * removed. Only whole lines are copied until the end. Before each piece is appended to logs.txt,
 * `<run>/.output-offset` records it: `<from> <to> <size of logs.txt before>`. A later daemon that
 * re-adopts or concludes the run (the first one killed at any point) goes on from `to` if logs.txt has
 * grown past that size — the piece was appended — and from `from` if not: no line twice, none lost.
 * (A record of one number, as earlier builds wrote it, is the offset itself.)
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { Clock, TimerHandle } from '../infra/clock.js';
import { outputFile, removeOutputFiles, resumeOffset, startOutputFiles, writeOutputOffset } from './files/output.js';
import type { RunLog } from './run-log.js';

/** How often (ms) a running job's output is looked at. */
const POLL_MS = 250;
const CHUNK = 1 << 20;

export class OutputTail {
  private timer: TimerHandle | undefined;
  private closed = false;

  private constructor(
    private readonly runDir: string,
    private readonly log: RunLog,
    private readonly clock: Clock,
    private offset: number,
  ) {}

  /** Starts following a new run's output (`output.log` is created empty). */
  static start(runDir: string, log: RunLog, clock: Clock): OutputTail {
    startOutputFiles(runDir);
    return new OutputTail(runDir, log, clock, 0).schedule();
  }

  /** Goes on following a run another daemon started, from where that one stopped copying. */
  static resume(runDir: string, log: RunLog, clock: Clock): OutputTail {
    return new OutputTail(runDir, log, clock, resumeOffset(runDir, log.file)).schedule();
  }

  private schedule(): this {
    if (!this.closed) this.timer = this.clock.setTimeout(() => (this.copyNow(), this.schedule()), POLL_MS);
    return this;
  }

  /**
   * A look from the timer: what logs.txt cannot take now (a full or read-only disk) is copied by a later
   * look, from the same offset; thrown from a timer, it would end the daemon.
   */
  private copyNow(): void {
    try {
      this.copy(false);
    } catch {
      // copied by the next look, or at the end (close), which reports it
    }
  }

  /** Copies what is new: whole lines only, unless `all` (the process has ended). */
  private copy(all: boolean): void {
    let fd: number;
    try {
      fd = openSync(outputFile(this.runDir), 'r');
    } catch {
      return; // the run folder went away
    }
    try {
      const size = fstatSync(fd).size;
      while (this.offset < size) {
        const buffer = Buffer.alloc(Math.min(CHUNK, size - this.offset));
        const n = readSync(fd, buffer, 0, buffer.length, this.offset);
        if (n <= 0) break;
        const last = all ? n : buffer.lastIndexOf(0x0a, n - 1) + 1;
        if (last === 0) break; // no whole line yet
        this.recordCopy(this.offset + last);
        // At the end an unterminated last line is ended here, so that the piece is one append.
        const text = buffer.subarray(0, last).toString('utf8');
        this.log.output(all && !text.endsWith('\n') ? `${text}\n` : text);
        this.offset += last;
        if (last < n && !all) break;
      }
    } finally {
      closeSync(fd);
    }
    if (all) this.log.flush();
  }

  /** Records, before it is appended to logs.txt, that the output up to `to` is being copied. */
  private recordCopy(to: number): void {
    const logSize = statSync(this.log.file, { throwIfNoEntry: false })?.size ?? 0;
    try {
      writeOutputOffset(this.runDir, { from: this.offset, to, logSize });
    } catch {
      // the run folder went away
    }
  }

  /** The process has ended: copies the rest, the last unterminated line included; logs.txt now has it all. */
  close(): void {
    this.closed = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.copy(true);
    removeOutputFiles(this.runDir);
  }

  /** Stops following without copying (the daemon is leaving the run to its successor). */
  detach(): void {
    this.closed = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
  }
}
