import { type JobState, JOB_STATES } from '../../contracts/constants.js';
import { UsageError } from '../../infra/errors.js';
import { runHistory } from '../../ops/history.js';
import { assertSafeId } from '../../ops/ids.js';
import { formatMetric, table } from '../format.js';
import { resolveWorkspace } from '../options.js';
import { out, outJson } from '../output.js';

export async function historyCommand(opts: { workspace?: string; group?: string; state?: string; json?: boolean }): Promise<number> {
  if (opts.state !== undefined && !(JOB_STATES as readonly string[]).includes(opts.state)) {
    throw new UsageError(`--state must be one of ${JOB_STATES.join(', ')} (got '${opts.state}')`);
  }
  if (opts.group !== undefined) assertSafeId('group id', opts.group);
  const rows = await runHistory(resolveWorkspace(opts.workspace), { group: opts.group, state: opts.state as JobState | undefined });
  if (opts.json) return (outJson({ runs: rows }), 0);
  if (rows.length === 0) return (out('No runs yet.'), 0);
  table([
    ['RUN', 'STATE', 'ORIGIN', 'ATTEMPT', 'DEVICE', 'DURATION', 'METRIC', 'STARTED', 'ERROR'],
    ...rows.map((r) => [
      r.run_id,
      r.state,
      r.origin,
      r.attempt === null ? '-' : String(r.attempt),
      r.device ?? '-',
      r.duration_ms === null ? '-' : `${(r.duration_ms / 1000).toFixed(1)}s`,
      r.metric === null ? '-' : `${r.metric_name} ${formatMetric(r.metric)}`,
      r.started_at ?? '-',
      r.error ?? '',
    ]),
  ]).forEach((l) => out(l));
  return 0;
}
