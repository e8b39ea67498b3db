import path from 'node:path';
import { systemClock } from '../../infra/clock.js';
import { ExitCode } from '../../infra/errors.js';
import { gpuDetectMode } from '../../gpu/detect.js';
import { executeRun } from '../../run/execute.js';
import { parseIntFlag, resolveWorkspace } from '../options.js';
import { out } from '../output.js';

interface RunFlags {
  runDir: string;
  workspace?: string;
  dryRun?: boolean;
  maxRows?: string;
  jobId?: string;
  quiet?: boolean;
}

/** `<ws>/.ml/runs/<id>` → `<ws>`: the workspace a run folder belongs to. */
function workspaceOfRunDir(runDir: string): string | undefined {
  const parent = path.dirname(runDir);
  if (path.basename(parent) === 'runs' && path.basename(path.dirname(parent)) === '.ml') return path.dirname(path.dirname(parent));
  return undefined;
}

export async function runCommand(opts: RunFlags): Promise<number> {
  const maxRows = opts.maxRows === undefined ? undefined : parseIntFlag('--max-rows', opts.maxRows, 1);
  const runDir = path.resolve(opts.runDir);
  // A bad RUNFORGE_GPU_DETECT is a usage error before the run starts (it would stop it half-way).
  gpuDetectMode(process.env);
  const ws = resolveWorkspace(opts.workspace ?? workspaceOfRunDir(runDir));
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const outcome = await executeRun({
      ws,
      runDir,
      dryRun: opts.dryRun === true,
      maxRows,
      jobId: opts.jobId,
      clock: systemClock,
      env: process.env,
      signal: controller.signal,
      echo: opts.quiet ? undefined : out,
    });
    if (outcome.status === 'succeeded') return ExitCode.ok;
    if (outcome.status === 'cancelled') return ExitCode.cancelled;
    const type = outcome.result.error?.type;
    if (type === 'InvalidRequest') return ExitCode.usage;
    if (type === 'MissingFiles') return ExitCode.missingFiles;
    return ExitCode.failed;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
