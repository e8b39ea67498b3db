/**
 * The few error types RunForge raises. Each carries the exit code the CLI maps it to (SPEC §10);
 * the mapping to `process.exit` happens in exactly one place, `src/cli/main.ts` (reportError in src/cli/errors.ts).
 *
 * Exit codes: 0 ok, 1 failed, 2 invalid request / usage, 3 missing files, 4 internal error,
 * 5 cancelled, 6 invalid plan.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  missingFiles: 3,
  internal: 4,
  cancelled: 5,
  invalidPlan: 6,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Base class: a user-facing error whose message is one line that names the thing that is wrong. */
export class RunForgeError extends Error {
  readonly exitCode: ExitCode;
  /** Extra lines (e.g. every validation problem), printed after the message. */
  readonly details: readonly string[];
  constructor(message: string, exitCode: ExitCode, details: readonly string[] = []) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.details = details;
  }
}

/** Bad flags, bad ids, an invalid request or result: exit 2. */
export class UsageError extends RunForgeError {
  constructor(message: string, details: readonly string[] = []) {
    super(message, ExitCode.usage, details);
  }
}

/** A file or folder the command needs does not exist: exit 3. */
export class MissingFilesError extends RunForgeError {
  constructor(message: string) {
    super(message, ExitCode.missingFiles);
  }
}

/** A sweep plan that cannot be expanded: exit 6. */
export class InvalidPlanError extends RunForgeError {
  constructor(message: string, details: readonly string[] = []) {
    super(message, ExitCode.invalidPlan, details);
  }
}

/**
 * A state file RunForge owns (queue.json, group.json, daemon.json) exists but cannot be parsed or
 * validated. Exit 4: the workspace's own state is broken, the file is left exactly as it is.
 * Port difference: the original silently replaced a corrupt queue with an empty one.
 */
export class CorruptFileError extends RunForgeError {
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file} is corrupt: ${problem} (left unchanged; repair or move it aside)`, ExitCode.internal);
    this.file = file;
  }
}

/** The command could not do its work for a reason that is not the user's input: exit 1. */
export class OperationFailedError extends RunForgeError {
  constructor(message: string) {
    super(message, ExitCode.failed);
  }
}

/** The operation was cancelled by the user (Ctrl-C, cancel-group): exit 5. */
export class CancelledError extends RunForgeError {
  constructor(message: string) {
    super(message, ExitCode.cancelled);
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
};

/** A full disk, an exhausted quota or a read-only file system: it passes once the disk takes writes again. */
export function isDiskUnwritable(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS';
}

/**
 * An error as one line for a log, a file error naming the file (`cannot write …/queue.json: no space
 * left on device (ENOSPC)`); Node's own message names neither the file of a failed write nor what to do.
 */
export function describeError(err: unknown): string {
  const errno = err as NodeJS.ErrnoException | undefined;
  if (errno && typeof errno.code === 'string' && ERRNO_TEXT[errno.code]) {
    return `cannot ${errno.syscall ?? 'access'}${errno.path ? ` ${errno.path}` : ''}: ${ERRNO_TEXT[errno.code]} (${errno.code})`;
  }
  return err instanceof Error ? err.message : String(err);
}
