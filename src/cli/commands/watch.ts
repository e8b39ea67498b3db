import { systemClock } from '../../infra/clock.js';
import { openFileStore } from '../../store/file/file-store.js';
import type { Store } from '../../store/store.js';
import { workspaceShortIds } from '../../ops/ids.js';
import { logTimestamp } from '../../run/run-log.js';
import { type StatusSnapshot } from '../../ops/status.js';
import { collectWatchView, describeChanges, progressOf, type WatchView } from '../../ops/watch-changes.js';
import type { WorkspacePaths } from '../../workspace/paths.js';
import { percent } from '../format.js';
import { parseSecondsFlag, resolveWorkspace } from '../options.js';
import { out } from '../output.js';
import { endedLines, renderStatus } from './status.js';

/** The whole view: `renderStatus`, with each running run's latest progress token. */
async function frame(store: Store, ws: WorkspacePaths, s: StatusSnapshot): Promise<string[]> {
  const running = s.running.filter((r) => r.ended === null);
  const short = await workspaceShortIds(store, ws);
  // renderStatus says which jobs ended unrecorded; the running ones are listed here, with their progress.
  const lines = renderStatus({ ...s, running: s.running.filter((r) => r.ended !== null) }, short);
  const runningLines: string[] = [];
  if (running.length > 0) {
    runningLines.push('Running:');
    for (const r of running) {
      const progress = await progressOf(ws, r.run_id);
      const device = r.requires_gpu ? `gpu${r.gpu_device === null ? '' : `:${r.gpu_device}`}` : 'cpu';
      runningLines.push(`  ${short.run(r.run_id)}  ${device}  attempt ${r.attempt}${progress ? `  ${progress}` : ''}${r.cancel_requested ? '  (stopping)' : ''}`);
    }
  }
  const endedAt = lines.length - endedLines(s, short).length;
  lines.splice(endedAt, 0, ...runningLines);
  const total = s.groups.reduce((a, g) => a + g.total, 0);
  const done = s.groups.reduce((a, g) => a + g.done, 0);
  if (total > 0) lines.push(`Overall: ${done}/${total} runs done (${percent(done / total)})`);
  return lines;
}

/**
 * A terminal gets the whole view redrawn every interval; `--once` prints it once. Anything else (a
 * pipe, a file) gets one line per change (`[time] run X: running → succeeded`), so that a log of a
 * long sweep says what happened rather than repeating a screen every second.
 */
export async function watchCommand(opts: { workspace?: string; once?: boolean; interval: string }): Promise<number> {
  const ws = resolveWorkspace(opts.workspace);
  const store = openFileStore(ws, systemClock);
  const every = parseSecondsFlag('--interval', opts.interval, 0.1);
  const tty = process.stdout.isTTY === true;
  let stop = false;
  const onSignal = (): void => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let prev: WatchView | undefined;
  try {
    for (;;) {
      if (opts.once || tty) {
        const view = await collectWatchView(store, ws, systemClock);
        const lines = await frame(store, ws, view.snapshot);
        if (opts.once) {
          lines.forEach((l) => out(l));
          return 0;
        }
        process.stdout.write(`\x1b[H\x1b[2J${lines.join('\n')}\n\n(Ctrl-C to stop)\n`);
      } else {
        const view = await collectWatchView(store, ws, systemClock);
        const stamp = `[${logTimestamp(systemClock.now())}]`;
        describeChanges(prev, view).forEach((l) => out(`${stamp} ${l}`));
        prev = view;
      }
      if (stop) return 0;
      await new Promise((r) => setTimeout(r, every));
      if (stop) return 0;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
