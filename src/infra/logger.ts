/** Structured logs (pino) for the daemon, to `.runforge/queue/daemon.log`. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function fileLogger(file: string): Logger {
  return pino({ base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: file, append: true, mkdir: true, sync: false }));
}

/** A logger that drops everything (tests of pure parts). */
export const silentLogger = (): Logger => pino({ level: 'silent' });
