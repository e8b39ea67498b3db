import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDirectSweep } from '../../daemon/direct-sweep.js';
import { systemClock } from '../../infra/clock.js';
import { ExitCode } from '../../infra/errors.js';
import { loadPlan } from '../../ops/plan-file.js';
import { parseSecondsFlag } from '../options.js';
import { out } from '../output.js';
import { enqueueSweepCommand, sweepWorkspace } from './enqueue.js';

interface SweepFlags {
  plan: string;
  enqueue?: boolean;
  workspace?: string;
  priority?: string;
  json?: boolean;
  killGrace: string;
}

export async function sweepCommand(opts: SweepFlags): Promise<number> {
  if (opts.enqueue) return enqueueSweepCommand(opts);
  const killGraceMs = parseSecondsFlag('--kill-grace', opts.killGrace);
  const { plan, doc } = await loadPlan(path.resolve(opts.plan));
  const ws = sweepWorkspace(opts.workspace, plan.workspace);
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const { group, cancelled } = await runDirectSweep(ws, systemClock, plan, doc, {
      cliPath: path.resolve(fileURLToPath(new URL('../main.js', import.meta.url))),
      nodePath: process.execPath,
      env: process.env,
      killGraceMs,
      signal: controller.signal,
      emit: out,
    });
    if (cancelled) return ExitCode.cancelled;
    return group.status === 'completed' ? ExitCode.ok : ExitCode.failed;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
