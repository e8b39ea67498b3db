import { sleep, systemClock } from '../../infra/clock.js';
import { readLog, runDetail } from '../../ops/run-detail.js';
import { openFileStore } from '../../store/file/file-store.js';
import { parseSecondsFlag, resolveWorkspace } from '../options.js';


/** Prints a run's logs.txt; with -f keeps printing new lines until the run has ended. */
export async function logsCommand(typedRunId: string, opts: { workspace?: string; follow?: boolean; interval: string }): Promise<number> {
  const ws = resolveWorkspace(opts.workspace);
  const store = openFileStore(ws, systemClock);
  const every = parseSecondsFlag('--interval', opts.interval, 0.05);
  // Exit 3 for an unknown run, 2 for a bad id or an ambiguous prefix; a prefix or `latest` resolved once.
  const runId = (await runDetail(store, ws, typedRunId)).run_id;
  let next = 0;
  for (;;) {
    const chunk = await readLog(ws, runId, next);
    if (chunk.text) process.stdout.write(chunk.text);
    next = chunk.next;
    if (!opts.follow) return 0;
    const { job } = await runDetail(store, ws, runId);
    const active = job !== null && (job.state === 'queued' || job.state === 'running');
    if (!active && !chunk.text) {
      const rest = await readLog(ws, runId, next);
      if (rest.text) process.stdout.write(rest.text);
      return 0;
    }
    if (!chunk.text) await sleep(systemClock, every);
  }
}
