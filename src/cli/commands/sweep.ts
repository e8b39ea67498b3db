import path from 'node:path';
import type { RunResult } from '../../contracts/result.js';
import { runDirectSweep } from '../../ops/direct-sweep.js';
import { openFileStore } from '../../store/file/file-store.js';
import { systemClock } from '../../infra/clock.js';
import { ExitCode } from '../../infra/errors.js';
import { loadPlan } from '../../ops/plan-file.js';
import { parseSecondsFlag } from '../options.js';
import { out, terminalProgress } from '../output.js';
import { enqueueSweepCommand, sweepWorkspace } from './enqueue.js';
import { cliEntry } from '../../infra/install.js';

interface SweepFlags {
  plan: string;
  enqueue?: boolean;
  workspace?: string;
  priority?: string;
  json?: boolean;
  killGrace: string;
}

/** Tokens on stdout; on a terminal also a `done/total` line on stderr after each finished run. */
function withProgress(print: (line: string) => void): (line: string) => void {
  const progress = terminalProgress('Sweep progress: runs done');
  let total = 0;
  let done = 0;
  return (line) => {
    print(line);
    const start = /^\[RF:GROUP=START \S+ runs=(\d+)\]$/.exec(line);
    if (start) total = Number(start[1]);
    if (progress && line.startsWith('[RF:GROUP=RUN_DONE ')) progress(++done, total);
  };
}

/** Longest reason printed after a failed run's token; the whole message is in its result.json. */
const REASON_MAX = 200;

/**
 * The human line after `[RF:GROUP=RUN_DONE <run> status=failed]` (the token itself stays verbatim):
 * `  <run> failed: <error.message>`, one line, cut at REASON_MAX characters.
 */
export function failureReasonLine(runId: string, result: RunResult | undefined): string {
  const message = result?.error?.message ?? `it ended without a result.json (see .ml/runs/${runId}/runner.log)`;
  const oneLine = message.replace(/\s+/g, ' ').trim() || 'no error message';
  const reason = oneLine.length > REASON_MAX ? `${oneLine.slice(0, REASON_MAX - 3)}...` : oneLine;
  return `  ${runId} failed: ${reason}`;
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
    const { group, cancelled } = await runDirectSweep(openFileStore(ws, systemClock), ws, systemClock, plan, doc, {
      cliPath: cliEntry(),
      nodePath: process.execPath,
      env: process.env,
      killGraceMs,
      signal: controller.signal,
      emit: withProgress(out),
      onRunDone: (runId, status, result) => {
        if (status === 'failed') out(failureReasonLine(runId, result));
      },
    });
    if (cancelled) return ExitCode.cancelled;
    return group.status === 'completed' ? ExitCode.ok : ExitCode.failed;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
