import { systemClock } from '../../infra/clock.js';
import { openFileStore } from '../../store/file/file-store.js';
import { ExitCode } from '../../infra/errors.js';
import { runDoctor } from '../../ops/doctor.js';
import { resolveWorkspace } from '../options.js';
import { out, outJson } from '../output.js';

export async function doctorCommand(opts: { workspace?: string; json?: boolean }): Promise<number> {
  const ws = resolveWorkspace(opts.workspace);
  const checks = await runDoctor(openFileStore(ws, systemClock), ws, process.env, systemClock);
  const failed = checks.some((c) => c.status === 'missing');
  if (opts.json) {
    outJson({ ok: !failed, checks });
  } else {
    for (const c of checks) out(`${c.status.padEnd(7)} ${c.name.padEnd(10)} ${c.detail}${c.status !== 'ok' && c.fix ? ` — fix: ${c.fix}` : ''}`);
  }
  return failed ? ExitCode.failed : ExitCode.ok;
}
