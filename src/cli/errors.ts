/**
 * The one place where errors become exit codes and one line on stderr. Below the CLI layer nothing
 * prints or exits; user errors never show a stack trace (set RUNFORGE_DEBUG=1 to see one).
 */
import { CommanderError } from 'commander';
import { ExitCode, RunForgeError } from '../infra/errors.js';
import { oneLine } from '../infra/text.js';

const ERRNO_TEXT: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EMFILE: 'too many open files',
};

/** Prints `err` as one line on stderr and returns the exit code for it. */
export function reportError(err: unknown, writeErr: (line: string) => void): number {
  if (err instanceof CommanderError) {
    // Commander already printed its message (usage errors); help and version are not errors.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
      return ExitCode.ok;
    }
    return ExitCode.usage;
  }
  if (err instanceof RunForgeError) {
    const more = err.details.length > 0 ? ` (and ${err.details.length} more problem${err.details.length > 1 ? 's' : ''})` : '';
    writeErr(`Error: ${oneLine(err.message)}${more}`);
    return err.exitCode;
  }
  const errno = err as NodeJS.ErrnoException;
  if (errno && typeof errno.code === 'string' && ERRNO_TEXT[errno.code]) {
    const where = errno.path ? ` ${errno.path}` : '';
    writeErr(`Error: cannot ${errno.syscall ?? 'access'}${where}: ${ERRNO_TEXT[errno.code]} (${errno.code}); files already there were left intact`);
    return ExitCode.failed;
  }
  const message = err instanceof Error ? err.message : String(err);
  writeErr(`Error: internal error: ${oneLine(message.split('\n')[0] ?? '')}`);
  if (process.env.RUNFORGE_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return ExitCode.internal;
}
