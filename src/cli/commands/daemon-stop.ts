import { stopDaemon } from '../../daemon/stop-daemon.js';
import { systemClock } from '../../infra/clock.js';
import { parseSecondsFlag, resolveWorkspace } from '../options.js';
import { out } from '../output.js';

export async function daemonStopCommand(opts: { workspace?: string; timeout: string }): Promise<number> {
  const timeoutMs = parseSecondsFlag('--timeout', opts.timeout);
  const ws = resolveWorkspace(opts.workspace);
  const r = await stopDaemon(ws, systemClock, timeoutMs);
  if (r.stopped === 'none') out(`No daemon is running in ${ws.root}`);
  else if (r.stopped === 'stale') out(`No daemon is running in ${ws.root} (daemon.lock names PID ${r.pid}, which is gone)`);
  else out(`Daemon (PID ${r.pid}) stopped`);
  return 0;
}
