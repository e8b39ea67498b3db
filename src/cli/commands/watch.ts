import { systemClock } from '../../infra/clock.js';
import { collectStatus, type StatusSnapshot } from '../../ops/status.js';
import { readLog } from '../../ops/run-detail.js';
import type { WorkspacePaths } from '../../workspace/paths.js';
import { percent } from '../format.js';
import { parseSecondsFlag, resolveWorkspace } from '../options.js';
import { out } from '../output.js';
import { renderStatus } from './status.js';

const PROGRESS = /^\[RF:(EPOCH|PROGRESS)=(\d+)\/(\d+)(?: (\S+))?\]$/;

/** The latest EPOCH/PROGRESS token of a running run, as `epoch 3/10` or `120/400 batches`. */
async function progressOf(ws: WorkspacePaths, runId: string): Promise<string> {
  const { text } = await readLog(ws, runId, 0, 4 << 20);
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = PROGRESS.exec(lines[i]!.trim());
    if (m) return m[1] === 'EPOCH' ? `epoch ${m[2]}/${m[3]}` : `${m[2]}/${m[3]}${m[4] ? ` ${m[4]}` : ''}`;
  }
  return '';
}

async function frame(ws: WorkspacePaths): Promise<string[]> {
  const s: StatusSnapshot = await collectStatus(ws, systemClock);
  const lines = renderStatus({ ...s, running: [] });
  if (s.running.length > 0) {
    lines.push('Running:');
    for (const r of s.running) {
      const progress = await progressOf(ws, r.run_id);
      const device = r.requires_gpu ? `gpu${r.gpu_device === null ? '' : `:${r.gpu_device}`}` : 'cpu';
      lines.push(`  ${r.run_id}  ${device}  attempt ${r.attempt}${progress ? `  ${progress}` : ''}${r.cancel_requested ? '  (stopping)' : ''}`);
    }
  }
  const total = s.groups.reduce((a, g) => a + g.total, 0);
  const done = s.groups.reduce((a, g) => a + g.done, 0);
  if (total > 0) lines.push(`Overall: ${done}/${total} runs done (${percent(done / total)})`);
  return lines;
}

export async function watchCommand(opts: { workspace?: string; once?: boolean; interval: string }): Promise<number> {
  const ws = resolveWorkspace(opts.workspace);
  const every = parseSecondsFlag('--interval', opts.interval, 0.1);
  const tty = process.stdout.isTTY === true;
  let stop = false;
  const onSignal = (): void => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (;;) {
      const lines = await frame(ws);
      if (tty && !opts.once) process.stdout.write(`\x1b[H\x1b[2J${lines.join('\n')}\n\n(Ctrl-C to stop)\n`);
      else {
        lines.forEach((l) => out(l));
        if (!opts.once) out('');
      }
      if (opts.once || stop) return 0;
      await new Promise((r) => setTimeout(r, every));
      if (stop) return 0;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
