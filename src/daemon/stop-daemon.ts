/** `runforge daemon-stop`: signal this workspace's daemon (after checking it is one) and wait. */
import type { Clock } from '../infra/clock.js';
import { OperationFailedError } from '../infra/errors.js';
import { readDaemonLockPid } from '../workspace/daemon-files.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import { readDaemonStatus } from '../workspace/daemon-files.js';
import { isDaemonArgv } from './daemon.js';
import { isAlive, processArgv } from '../process/identity.js';
import { sendSignal } from '../process/signal.js';

export type StopOutcome = { stopped: 'none' } | { stopped: 'stale'; pid: number } | { stopped: 'yes'; pid: number };

export async function stopDaemon(ws: WorkspacePaths, clock: Clock, timeoutMs: number): Promise<StopOutcome> {
  const pid = await readDaemonLockPid(ws);
  if (pid === undefined) return { stopped: 'none' };
  if (!isAlive(pid)) return { stopped: 'stale', pid };
  const status = await readDaemonStatus(ws).catch(() => undefined);
  if (!isDaemonArgv(processArgv(pid)) || (status && status.pid !== pid)) {
    throw new OperationFailedError(`PID ${pid} in daemon.lock is not this workspace's RunForge daemon; nothing was signalled`);
  }
  sendSignal({ pid }, 'SIGTERM');
  const deadline = clock.now() + timeoutMs;
  while (isAlive(pid)) {
    if (clock.now() > deadline) {
      throw new OperationFailedError(`The daemon (PID ${pid}) did not stop within ${Math.round(timeoutMs / 1000)} s; it is still shutting down`);
    }
    await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), 100));
  }
  return { stopped: 'yes', pid };
}
