/**
 * CLI storm: 8 processes × 6 random commands (enqueue-run, enqueue-sweep, pause-group, resume-group,
 * retry-failed, cancel-run) on two sweeps (a quarter of the first one's runs fail) while a daemon runs.
 * Judged over every job and group of the workspace, sweeps and retries included: no run with two live
 * jobs (also sampled during the storm), the queue and every group.json in agreement, each group paused
 * exactly when its last pause/resume said so with nothing of it started after a pause returned, every
 * run a cancel-run cancelled while queued `canceled`, every enqueued job present.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseTimestamp } from '../../src/infra/time.js';
import { baseRequest, commandPlan, enqueuePlan, groupFile, readJson, runCli, startDaemon, tempWorkspace, waitFor, writeRun } from '../lib.js';
import { allJobs, consistency, corruptFiles, few, isLive, type Part, type QueueJob, rand, sleep } from './common.js';

const NAME = '8 CLI processes at random';
const PROCESSES = 8;
const COMMANDS = 6;

interface Storm {
  enqueued: string[];
  sweeps: string[];
  /** Per group, its last pause/resume that succeeded and when it returned (ms). */
  lastSwitch: Map<string, { paused: boolean; at: number }>;
  cancels: { jobId: string; outcome: 'canceled' | 'stopping' }[];
  commands: number;
  unexplained: string[];
}

/** Live jobs per run in queue.json, sampled while the storm goes on (one file: always a consistent view). */
function twoLive(ws: string): string[] {
  const live = new Map<string, number>();
  for (const j of allJobs(ws).filter(isLive)) live.set(j.run_id, (live.get(j.run_id) ?? 0) + 1);
  return [...live].filter(([, n]) => n > 1).map(([run, n]) => `${run} had ${n} live jobs`);
}

async function storm(ws: string, groups: string[], runsOf: Map<string, string[]>, smallPlan: string): Promise<Storm> {
  const s: Storm = { enqueued: [], sweeps: [], lastSwitch: new Map(), cancels: [], commands: 0, unexplained: [] };
  // Pauses and resumes of one group take turns, so that "the last one" is well defined; everything
  // else races them and each other.
  const turns = new Map<string, Promise<unknown>>();
  const inTurn = async <T>(gid: string, fn: () => Promise<T>): Promise<T> => {
    const before = turns.get(gid) ?? Promise.resolve();
    const mine = before.then(fn);
    turns.set(gid, mine.catch(() => undefined));
    return mine;
  };
  await Promise.all(
    Array.from({ length: PROCESSES }, async (_, p) => {
      for (let i = 0; i < COMMANDS; i++) {
        const gid = groups[rand(groups.length)]!;
        const op = rand(6);
        let args: string[];
        if (op === 0) args = ['enqueue-run', '--run-id', `p${p}-r${i}`, '--json'];
        else if (op === 1) args = ['enqueue-sweep', '--plan', smallPlan, '--json'];
        else if (op === 2 || op === 3) args = [op === 2 ? 'pause-group' : 'resume-group', '--group-id', gid];
        else if (op === 4) args = ['retry-failed', '--group-id', groups[0]!];
        else args = ['cancel-run', '--run-id', runsOf.get(gid)![rand(runsOf.get(gid)!.length)]!, '--json'];
        const r =
          op === 2 || op === 3
            ? await inTurn(gid, async () => {
                const out = await runCli(args, { cwd: ws });
                if (out.code === 0) s.lastSwitch.set(gid, { paused: op === 2, at: Date.now() });
                return out;
              })
            : await runCli(args, { cwd: ws });
        s.commands++;
        if (r.code === 0 && op === 0) s.enqueued.push(JSON.parse(r.stdout).job.job_id);
        if (r.code === 0 && op === 1) s.sweeps.push(JSON.parse(r.stdout).group_id);
        if (r.code === 0 && op === 5) s.cancels.push({ jobId: JSON.parse(r.stdout).job_id, outcome: JSON.parse(r.stdout).outcome });
        const explained = r.code === 0 || (r.stderr.trim().split('\n').length === 1 && r.stderr.startsWith('Error: ') && !/\n\s+at /.test(r.stderr));
        if (!explained) s.unexplained.push(`${args[0]}: exit ${r.code} ${r.stderr.trim().slice(0, 100)}`);
      }
    }),
  );
  return s;
}

/** Groups paused by their last pause: paused in group.json, and nothing of them started after it returned. */
function pauseProblems(ws: string, s: Storm, jobs: readonly QueueJob[]): string[] {
  const problems: string[] = [];
  for (const [gid, last] of s.lastSwitch) {
    const group = readJson(groupFile(ws, gid));
    if (group.paused !== last.paused) problems.push(`${gid}: paused ${group.paused} after a ${last.paused ? 'pause' : 'resume'}`);
    if (!last.paused) continue;
    const late = jobs.filter((j) => j.group_id === gid && j.started_at && (parseTimestamp(j.started_at) ?? 0) > last.at);
    if (late.length > 0) problems.push(`${gid}: ${late.length} jobs started after its pause returned`);
  }
  return problems;
}

/** A job cancel-run cancelled while queued is `canceled`; one it asked the daemon to stop has ended. */
function cancelProblems(s: Storm, jobs: readonly QueueJob[]): { problems: string[]; stopped: number } {
  const byId = new Map(jobs.map((j) => [j.job_id, j]));
  const problems: string[] = [];
  let stopped = 0;
  for (const c of s.cancels) {
    const job = byId.get(c.jobId);
    if (!job) problems.push(`cancelled job ${c.jobId} gone`);
    else if (c.outcome === 'canceled' && job.state !== 'canceled') problems.push(`${job.run_id}: cancelled while queued, now ${job.state}`);
    else if (c.outcome === 'stopping' && isLive(job)) problems.push(`${job.run_id}: asked to stop, still ${job.state}`);
    else if (job.state === 'canceled') stopped++;
  }
  return { problems, stopped };
}

export async function cliStorm(): Promise<Part> {
  const ws = tempWorkspace();
  const g1 = await enqueuePlan(ws, commandPlan(ws, 30, ['sh', '-c', 'sleep 0.3; [ $((RUNFORGE_SEED % 4)) -ne 0 ]'], undefined, 'failing sweep'));
  const g2 = await enqueuePlan(ws, commandPlan(ws, 12, ['sleep', '0.3'], undefined, 'second sweep'));
  const groups = [g1, g2];
  const runsOf = new Map(groups.map((g) => [g, readJson<{ runs: { run_id: string }[] }>(groupFile(ws, g)).runs.map((r) => r.run_id)]));
  for (let p = 0; p < PROCESSES; p++) for (let i = 0; i < COMMANDS; i++) writeRun(ws, `p${p}-r${i}`, baseRequest({ command: ['sleep', '0.1'] }));
  const smallPlan = path.join(ws, 'small-plan.json');
  writeFileSync(smallPlan, JSON.stringify(commandPlan(ws, 3, ['sleep', '0.1'], undefined, 'storm sweep')));
  const daemon = startDaemon(ws, ['--max-parallel', '3']);
  await daemon.waitForLine(/DAEMON=STARTED/, 60_000);

  let sampling = true;
  const seen: string[] = [];
  const sampler = (async () => {
    while (sampling) {
      try {
        seen.push(...twoLive(ws));
      } catch {
        // queue.json being replaced
      }
      await sleep(100);
    }
  })();
  const s = await storm(ws, groups, runsOf, smallPlan);
  const paused = new Set([...s.lastSwitch].filter(([, l]) => l.paused).map(([g]) => g));
  // Everything that may run has run: only the paused groups' queued jobs are left.
  await waitFor('quiet but for paused groups', () => allJobs(ws).every((j) => !isLive(j) || (paused.has(j.group_id!) && j.state === 'queued')), 180_000);
  const atRest = allJobs(ws);
  const pauses = pauseProblems(ws, s, atRest);
  const cancels = cancelProblems(s, atRest);
  for (const gid of paused) await runCli(['resume-group', '--group-id', gid], { cwd: ws });
  await waitFor('quiet', () => !allJobs(ws).some(isLive), 180_000);
  sampling = false;
  await sampler;
  daemon.kill();
  await daemon.exited;

  const jobs = allJobs(ws);
  const ids = new Set(jobs.map((j) => j.job_id));
  const lost = s.enqueued.filter((id) => !ids.has(id)).length;
  const sweepsMissing = s.sweeps.filter((g) => jobs.filter((j) => j.group_id === g).length !== 3);
  const problems = [...new Set(seen), ...pauses, ...cancels.problems, ...consistency(ws), ...corruptFiles(ws), ...sweepsMissing.map((g) => `sweep ${g} has not 3 jobs`)];
  return {
    name: NAME,
    ok: lost === 0 && s.unexplained.length === 0 && problems.length === 0,
    lost,
    detail:
      `${s.commands} commands: ${s.enqueued.length} enqueue-run jobs, all present: ${lost === 0}; ${s.sweeps.length} sweeps enqueued; ${s.cancels.length} cancel-run (${cancels.stopped} ended canceled); ` +
      `last switch per group: ${[...s.lastSwitch].map(([g, l]) => `${g.slice(-4)} ${l.paused ? 'paused' : 'resumed'}`).join(', ') || 'none'}; ${jobs.length} jobs in ${new Set(jobs.map((j) => j.group_id)).size} groups checked; ` +
      `${s.unexplained.length} unexplained failures${s.unexplained.length ? ` (${few(s.unexplained, 2)})` : ''}; ${problems.length ? few(problems) : 'files valid and consistent'}`,
  };
}
