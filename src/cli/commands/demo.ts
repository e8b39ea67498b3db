import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { sleep, systemClock } from '../../infra/clock.js';
import { ExitCode } from '../../infra/errors.js';
import { createDemoWorkspace, lookAroundCommand } from '../../ops/demo.js';
import { enqueueSweep } from '../../ops/enqueue.js';
import { leaderboard } from '../../ops/leaderboard.js';
import { loadPlan } from '../../ops/plan-file.js';
import { groupProgress } from '../../ops/status.js';
import { sendSignal } from '../../process/signal.js';
import { openFileStore } from '../../store/file/file-store.js';
import { formatMetric, table } from '../format.js';
import { out } from '../output.js';
import { cliEntry } from '../../infra/install.js';


export async function demoCommand(opts: { dir?: string; maxParallel: string; gpuSlots: string }): Promise<number> {
  const started = Date.now();
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'runforge-demo-'));
  out(`RunForge demo in ${path.resolve(dir)}`);
  const demo = await createDemoWorkspace(dir, process.env);
  out(`Dataset: data/wine.csv (${demo.rows} rows of scikit-learn's wine data, 13 features, 3 classes)`);
  const { plan, doc } = await loadPlan(demo.planFile);
  const store = openFileStore(demo.ws, systemClock);
  const sweep = await enqueueSweep(store, demo.ws, systemClock, plan, doc);
  out(`[RF:GROUP=ENQUEUED ${sweep.groupId} runs=${sweep.runIds.length}]`);
  out(`Sweep: ${sweep.runIds.length} runs (logistic_regression, random_forest, linear_svc, mlp; ${sweep.jobs.filter((j) => j.requires_gpu).length} ask for a GPU)`);

  const cli = cliEntry();
  out(`$ runforge daemon --max-parallel ${opts.maxParallel} --gpu-slots ${opts.gpuSlots}`);
  const daemon = execa(process.execPath, [cli, 'daemon', '--workspace', demo.ws.root, '--max-parallel', opts.maxParallel, '--gpu-slots', opts.gpuSlots, '--heartbeat-interval', '1'], {
    reject: false,
    stdin: 'ignore',
    buffer: false,
  });
  daemon.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) if (line.startsWith('[RF:')) out(`  ${line}`);
  });
  daemon.stderr?.setEncoding('utf8').on('data', (chunk: string) => process.stderr.write(chunk));

  let last = '';
  for (;;) {
    const group = await store.readGroup(sweep.groupId);
    if (group) {
      const p = groupProgress(group);
      const line = `Progress: ${p.done}/${p.total} done (${p.running} running, ${p.queued} queued)`;
      if (line !== last) out((last = line));
      if (group.status !== 'running') break;
    }
    if (daemon.exitCode !== null) break;
    await sleep(systemClock, 300);
  }
  if (daemon.pid !== undefined) sendSignal({ pid: daemon.pid }, 'SIGTERM');
  await daemon;

  const group = await store.readGroup(sweep.groupId);
  if (!group) return ExitCode.internal;
  const { rows } = await leaderboard(demo.ws, group);
  out('');
  out(`Leaderboard of ${group.group_id} (${group.status}):`);
  table([
    ['#', 'RUN', 'FAMILY', 'DEVICE', 'ACCURACY', 'TIME', 'SWEPT VALUES'],
    ...rows.map((r) => [
      r.rank === null ? '-' : String(r.rank),
      r.run_id.slice(group.group_id.length + 1),
      r.family ?? '-',
      r.device ?? '-',
      r.metric === null ? r.status : formatMetric(r.metric),
      r.duration_ms === null ? '-' : `${(r.duration_ms / 1000).toFixed(1)}s`,
      JSON.stringify((r.overrides as Record<string, unknown>)['model.hyperparameters'] ?? r.overrides),
    ]),
  ]).forEach((l) => out(`  ${l}`));
  out('');
  out(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s. Look around: ${lookAroundCommand(demo.ws.root, process.env)}`);
  return group.status === 'completed' ? ExitCode.ok : ExitCode.failed;
}
