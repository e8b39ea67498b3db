/**
 * logs.txt of a run: `[YYYY-MM-DD HH:MM:SS] message` lines in UTC, errors as `… ERROR: message`, RF
 * tokens verbatim on their own line (SPEC §9). Each chunk of output is written with one append, so
 * what a killed run printed before it died is on disk.
 */
import { appendFileSync } from 'node:fs';
import type { Clock } from '../infra/clock.js';

const TOKEN = /^\[RF:[A-Z_]+=.*\]$/;

export function logTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export class RunLog {
  private partial = '';
  /** Lines kept back by `hold`, written by `release`. */
  private held: string[] | undefined;

  constructor(
    /** logs.txt of the run. */
    readonly file: string,
    private readonly clock: Clock,
    /** Also print each line (the foreground `runforge run`). */
    private readonly echo?: (line: string) => void,
  ) {}

  /** Formats one line: tokens verbatim, everything else timestamped. */
  format(message: string): string {
    const text = message.replace(/\r$/, '');
    return TOKEN.test(text.trim()) ? text.trim() : `[${logTimestamp(this.clock.now())}] ${text}`;
  }

  info(message: string): void {
    this.writeLines([message]);
  }

  error(message: string): void {
    this.writeLines([`ERROR: ${message}`]);
  }

  token(token: string): void {
    this.writeLines([token]);
  }

  /** Keeps the next lines back until `release` writes them with one append (a run's first lines). */
  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const lines = this.held;
    this.held = undefined;
    if (lines && lines.length > 0) appendFileSync(this.file, `${lines.join('\n')}\n`);
  }

  /** Output of the training process, in arbitrary chunks. */
  output(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    if (lines.length > 0) this.writeLines(lines);
  }

  /** Writes a last unterminated line, if any. */
  flush(): void {
    if (this.partial !== '') {
      const last = this.partial;
      this.partial = '';
      this.writeLines([last]);
    }
  }

  private writeLines(lines: string[]): void {
    const formatted = lines.map((l) => this.format(l));
    if (this.held) this.held.push(...formatted);
    else appendFileSync(this.file, `${formatted.join('\n')}\n`);
    if (this.echo) for (const l of formatted) this.echo(l);
  }
}
