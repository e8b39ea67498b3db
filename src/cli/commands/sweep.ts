import { UsageError } from '../../infra/errors.js';
import { enqueueSweepCommand } from './enqueue.js';

interface SweepFlags {
  plan: string;
  enqueue?: boolean;
  workspace?: string;
  priority?: string;
  json?: boolean;
}

export async function sweepCommand(opts: SweepFlags): Promise<number> {
  if (opts.enqueue) return enqueueSweepCommand(opts);
  throw new UsageError('Running a sweep in the foreground is not available yet; use --enqueue and a daemon');
}
