/**
 * kill -9 storm: a 100-run sweep (4 s jobs, so that they outlive a restart on a loaded machine) at `--max-parallel 4`; the daemon is killed with SIGKILL 24 times, each time
 * once it has started a job since it came up and while jobs run, and restarted at once. Every job
 * guards its run: it makes `<run>/guard.d` (mkdir is atomic) and fails loudly if it is already there —
 * the run executing twice at the same time — and removes it when it exits.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { commandPlan, type DaemonHandle, enqueuePlan, groupFile, readJson, startDaemon, tempWorkspace, waitFor } from '../lib.js';
import { allJobs, consistency, corruptFiles, few, isLive, type Part, rand, sleep } from './common.js';

const RUNS = 100;
const KILLS = 24;
const ARGS = ['--max-parallel', '4'];
/** No GPU probe (a Python importing torch, seconds): restarted daemons find their jobs still running. */
const ENV = { RUNFORGE_GPU_DETECT: 'none' };

/** The guarded job: overlap.log names a run found executing already; events.log has start/end stamps. */
const GUARDED_JOB = [
  'sh',
  '-c',
  [
    'guard="$RUNFORGE_RUN_DIR/guard.d"',
    'if ! mkdir "$guard" 2>/dev/null; then echo "$RUNFORGE_RUN_DIR" >> overlap.log; echo "guard exists: executing twice" >&2; exit 3; fi',
    'trap \'rmdir "$guard"\' EXIT',
    "trap 'exit 143' TERM INT",
    'echo "$RUNFORGE_RUN_DIR start $(date +%s%N)" >> events.log',
    'sleep 4',
    'echo "$RUNFORGE_RUN_DIR end $(date +%s%N)" >> events.log',
  ].join('\n'),
];

/** Runs whose job is executing now (their guard is there). */
function executing(ws: string): number {
  const runs = path.join(ws, '.ml', 'runs');
  return readdirSync(runs).filter((r) => existsSync(path.join(runs, r, 'guard.d'))).length;
}

/** Per run, the executions recorded in events.log, and those that began before the previous one ended. */
function executions(ws: string): { perRun: Map<string, number>; overlapping: string[] } {
  const perRun = new Map<string, { start: number; end: number }[]>();
  const text = existsSync(path.join(ws, 'events.log')) ? readFileSync(path.join(ws, 'events.log'), 'utf8') : '';
  for (const line of text.split('\n')) {
    const [dir, what, ns] = line.split(' ');
    if (!dir || !ns) continue;
    const run = path.basename(dir);
    const list = perRun.get(run) ?? [];
    if (what === 'start') list.push({ start: Number(ns), end: Infinity });
    else if (list.length > 0 && list.at(-1)!.end === Infinity) list.at(-1)!.end = Number(ns);
    perRun.set(run, list);
  }
  const overlapping = [...perRun].filter(([, list]) => list.some((e, i) => i > 0 && e.start < list[i - 1]!.end)).map(([run]) => run);
  return { perRun: new Map([...perRun].map(([run, list]) => [run, list.length])), overlapping };
}

export async function killStorm(): Promise<Part> {
  const ws = tempWorkspace();
  const gid = await enqueuePlan(ws, commandPlan(ws, RUNS, GUARDED_JOB));
  const sweepDone = (): boolean => {
    const jobs = allJobs(ws);
    return new Set(jobs.map((j) => j.run_id)).size === RUNS && !jobs.some(isLive);
  };
  let kills = 0;
  let interrupting = 0;
  let daemon: DaemonHandle = startDaemon(ws, ARGS, ENV);
  while (kills < KILLS) {
    // Killed only once this daemon has started a job (a daemon killed while it starts proves little).
    const started = await waitFor('a job started by this daemon', () => daemon.output().includes('JOB_STARTED') || sweepDone(), 90_000);
    if (!started || sweepDone()) break;
    await sleep(rand(300));
    if (executing(ws) > 0) interrupting++;
    daemon.kill('SIGKILL');
    await daemon.exited;
    kills++;
    daemon = startDaemon(ws, ARGS, ENV);
  }
  await waitFor('sweep done', sweepDone, 180_000).catch(() => undefined);
  daemon.kill();
  await daemon.exited;

  const jobs = allJobs(ws);
  const successes = new Map<string, number>();
  for (const j of jobs) if (j.state === 'succeeded') successes.set(j.run_id, (successes.get(j.run_id) ?? 0) + 1);
  const lost = RUNS - successes.size;
  const twice = [...successes.values()].filter((n) => n > 1).length;
  const { perRun, overlapping } = executions(ws);
  const guardFailures = existsSync(path.join(ws, 'overlap.log')) ? readFileSync(path.join(ws, 'overlap.log'), 'utf8').trim().split('\n').length : 0;
  const reexecuted = [...perRun.values()].filter((n) => n > 1).length;
  const log = readFileSync(path.join(ws, '.runforge', 'queue', 'daemon.log'), 'utf8');
  const adopted = log.split('\n').filter((l) => l.includes('re-adopted a job') || l.includes('found a job started just before')).length;
  const requeued = jobs.filter((j) => j.attempt > 1).length;
  const stuck = jobs.filter(isLive).length;
  const leftGuards = executing(ws);
  const group = readJson(groupFile(ws, gid));
  const problems = [...consistency(ws), ...corruptFiles(ws)];
  const ok =
    kills >= 20 &&
    adopted > 0 &&
    interrupting >= 15 &&
    lost === 0 &&
    twice === 0 &&
    overlapping.length === 0 &&
    guardFailures === 0 &&
    reexecuted === 0 &&
    stuck === 0 &&
    leftGuards === 0 &&
    group.status === 'completed' &&
    problems.length === 0;
  return {
    name: 'kill -9 storm',
    ok,
    lost,
    detail:
      `${kills} kills of the daemon during a ${RUNS}-run sweep, ${interrupting} while jobs executed; ${adopted} jobs re-adopted, ${requeued} re-queued (attempt > 1); ` +
      `${successes.size}/${RUNS} runs succeeded, ${twice} succeeded twice, ${overlapping.length + guardFailures} executed twice at the same time (${guardFailures} found by their guard), ${reexecuted} executed again later; ` +
      `${jobs.length} jobs, ${stuck} left queued/running, ${leftGuards} guards left; group ${group.status}${problems.length ? `; ${few(problems)}` : ''}`,
  };
}
