/** Structured logs (pino) for the daemon, to `.runforge/queue/daemon.log`. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function fileLogger(file: string): Logger {
  const destination = pino.destination({ dest: file, append: true, mkdir: true, sync: false });
  // A full or read-only disk must not kill the daemon through its log: pino re-throws a failed write
  // of the log file as an unhandled 'error' event (found by the chaos suite's full-disk part). The
  // destination keeps the lines it could not write and writes them with the next line once the disk
  // takes them again; the daemon reports the failing state writes themselves on stderr.
  destination.on('error', () => undefined);
  return pino({ base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** A logger that drops everything (tests of pure parts). */
export const silentLogger = (): Logger => pino({ level: 'silent' });
