/**
 * G1–G10 of SPEC §11, each driving the built CLI as a user would and checking the pass criteria. G1–G6
 * (the queue) are here; G7 (the dashboard) is in dashboard.ts, G8–G10 (GPUs) in gpu.ts. Where the
 * order of events matters, jobs are gated (`gatedCommand`) and each step waits for the daemon's tokens,
 * never for a fixed time, so a loaded machine cannot flip a result.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { G7 } from './dashboard.js';
import { GPU_GAUNTLETS } from './gpu.js';
import {
  allDone,
  baseRequest,
  Checks,
  commandPlan,
  doneRuns,
  enqueuePlan,
  gatedCommand,
  type Gauntlet,
  groupFile,
  intervals,
  maxConcurrency,
  queueJobs,
  readJson,
  release,
  runCli,
  sampleWhile,
  startDaemon,
  startedRuns,
  tempWorkspace,
  waitFor,
  waitForDone,
  waitForStarts,
  writeRun,
} from './lib.js';

const runningCount = (ws: string): number => queueJobs(ws).filter((j) => j.state === 'running').length;

export const GAUNTLETS: Gauntlet[] = [
  {
    id: 'G1',
    title: 'daemon --max-parallel 2, a 4-run sweep: never more than 2 running; group completed; every run has logs.txt and result.json',
    async run() {
      const c = new Checks();
      const ws = tempWorkspace();
      const gid = await enqueuePlan(ws, commandPlan(ws, 4, gatedCommand()));
      const d = startDaemon(ws, ['--max-parallel', '2']);
      const sampling = sampleWhile(() => runningCount(ws), () => !!allDone(ws, 4)());
      // The first two hold their slots until let go: a daemon that would start a third now can.
      const first = await waitForStarts(d, ws, 2);
      release(ws, first[0]!);
      await waitForDone(d, [first[0]!]);
      await waitForStarts(d, ws, 3);
      release(ws, 'all');
      const samples = await sampling;
      await waitFor('all said done', () => doneRuns(d).length === 4);
      const group = readJson(groupFile(ws, gid));
      const measured = maxConcurrency(intervals(ws));
      c.note(`sampled running max ${Math.max(...samples)} over ${samples.length} samples; measured overlap max ${measured}`);
      c.check(Math.max(...samples) <= 2 && measured <= 2, `more than 2 ran at once (${Math.max(...samples)}/${measured})`);
      c.check(measured === 2, `the daemon never used both slots (overlap ${measured})`);
      c.note(`group ${group.status}`);
      c.check(group.status === 'completed', `group is ${group.status}`);
      for (const j of queueJobs(ws)) {
        const dir = path.join(ws, '.ml', 'runs', j.run_id);
        const result = readJson(path.join(dir, 'result.json'));
        c.check(readFileSync(path.join(dir, 'logs.txt'), 'utf8').includes('[RF:STAGE=COMPLETED]'), `${j.run_id} has no complete logs.txt`);
        c.check(result.status === 'succeeded', `${j.run_id} result ${result.status}`);
      }
      d.kill();
      await d.exited;
      return c.result();
    },
  },
  {
    id: 'G2',
    title: 'pause a 6-run group mid-way, then resume: nothing new starts while paused; after resume the rest run',
    async run() {
      const c = new Checks();
      const ws = tempWorkspace();
      const gid = await enqueuePlan(ws, commandPlan(ws, 6, gatedCommand()));
      writeRun(ws, 'probe', baseRequest({ command: ['true'] }));
      const d = startDaemon(ws, ['--max-parallel', '2']);
      const first = await waitForStarts(d, ws, 2);
      release(ws, first[0]!);
      await waitForDone(d, [first[0]!]);
      const running = (await waitForStarts(d, ws, 3)).slice(1);
      // Mid-way: one done, two running, three queued.
      const paused = await runCli(['pause-group', '--group-id', gid], { cwd: ws });
      c.check(paused.code === 0, `pause-group exited ${paused.code}: ${paused.stderr}`);
      const pausedAt = Date.now();
      const startsAtPause = startedRuns(d).length;
      release(ws, ...running);
      await waitForDone(d, running);
      // Both slots are free now. A run of another group, enqueued after, starts and ends: the daemon
      // has scheduled with free slots since the pause (an event, not a guess at how long that takes).
      await runCli(['enqueue-run', '--run-id', 'probe'], { cwd: ws });
      const groupStarts = (): string[] => startedRuns(d).slice(startsAtPause).filter((r) => r !== 'probe');
      await waitFor('the other run done (or a paused run started)', () => doneRuns(d).includes('probe') || groupStarts().length > 0);
      const startedWhilePaused = groupStarts();
      const queued = queueJobs(ws).filter((j) => j.group_id === gid && j.state === 'queued').length;
      // started_at is stamped by the daemon at launch, under the lock pause-group also takes.
      const stampedAfter = queueJobs(ws).filter((j) => j.group_id === gid && j.started_at && Date.parse(j.started_at) > pausedAt).length;
      const probe = doneRuns(d).includes('probe') ? "another group's run started and ended meanwhile" : "another group's run did not get a slot";
      c.note(`paused with ${queued} queued and both slots free; ${probe}; ${startedWhilePaused.length} of the group started while paused`);
      c.check(queued === 3, `expected 3 queued while paused, found ${queued}`);
      c.check(startedWhilePaused.length === 0 && stampedAfter === 0, `${startedWhilePaused.length || stampedAfter} runs started while paused`);
      release(ws, 'all');
      const resumedFrom = startedRuns(d).length;
      await runCli(['resume-group', '--group-id', gid], { cwd: ws });
      const jobs = await waitFor('all done', allDone(ws, 7), 60_000);
      await waitFor('all said done', () => doneRuns(d).length === 7);
      const afterResume = startedRuns(d).slice(resumedFrom).length;
      c.note(`after resume ${afterResume} started; final ${jobs.map((j) => j.state).join(',')}`);
      c.check(jobs.every((j) => j.state === 'succeeded'), 'not every run succeeded');
      c.check(afterResume === queued, `expected ${queued} starts after resume, saw ${afterResume}`);
      d.kill();
      await d.exited;
      return c.result();
    },
  },
  {
    id: 'G3',
    title: 'cancel a group: it ends canceled, no job stuck running, group.json agrees with the queue',
    async run() {
      const c = new Checks();
      const ws = tempWorkspace();
      const gid = await enqueuePlan(ws, commandPlan(ws, 5, ['sleep', '30']));
      const d = startDaemon(ws, ['--max-parallel', '2', '--kill-grace', '1']);
      await waitFor('two running', () => runningCount(ws) === 2);
      const r = await runCli(['cancel-group', '--group-id', gid], { cwd: ws });
      c.note(r.lines.slice(1).join(' / ') || r.stderr);
      const jobs = await waitFor('all ended', allDone(ws, 5), 30_000);
      const group = readJson(groupFile(ws, gid));
      c.note(`queue ${jobs.map((j) => j.state).join(',')}; group ${group.status} ${group.runs.map((x: { status: string }) => x.status).join(',')}`);
      c.check(group.status === 'canceled', `group is ${group.status}`);
      c.check(!jobs.some((j) => j.state === 'running'), 'a job is stuck running');
      const byRun = new Map(jobs.map((j) => [j.run_id, j.state]));
      c.check(group.runs.every((x: { run_id: string; status: string }) => byRun.get(x.run_id) === x.status), 'group.json disagrees with queue.json');
      d.kill();
      await d.exited;
      return c.result();
    },
  },
  {
    id: 'G4',
    title: 'kill -9 the daemon mid-run, restart: stale lock taken over; orphans resolved by the policy; remaining jobs finish',
    async run() {
      const c = new Checks();
      const ws = tempWorkspace();
      await enqueuePlan(ws, commandPlan(ws, 6, ['sh', '-c', 'while [ ! -f release ]; do sleep 0.05; done']));
      const d1 = startDaemon(ws, ['--max-parallel', '2']);
      await waitFor('two running', () => queueJobs(ws).filter((j) => j.state === 'running' && j.pid).length === 2);
      const victims = queueJobs(ws).filter((j) => j.state === 'running');
      d1.kill('SIGKILL');
      await d1.exited;
      // One orphan survives (to be re-adopted), the other dies with the daemon (resolved by the policy).
      process.kill(-victims[1].pgid, 'SIGKILL');
      const d2 = startDaemon(ws, ['--max-parallel', '2']);
      const takeover = await d2.waitForLine(/^Took over a stale daemon lock/);
      c.note(takeover);
      await d2.waitForLine(/DAEMON=STARTED/);
      writeFileSync(path.join(ws, 'release'), '');
      const jobs = await waitFor('all done', () => {
        const all = queueJobs(ws);
        const byRun = new Map<string, string>();
        for (const j of all) byRun.set(j.run_id, j.state);
        return [...byRun.values()].every((s) => s === 'succeeded') && byRun.size === 6 ? all : undefined;
      }, 60_000);
      const survivor = jobs.find((j) => j.job_id === victims[0].job_id);
      const dead = jobs.find((j) => j.job_id === victims[1].job_id);
      const retry = jobs.find((j) => j.run_id === victims[1].run_id && j.attempt === 2);
      c.note(`re-adopted ${survivor?.state}; dead orphan ${dead?.state} (${dead?.error}); its retry ${retry?.state}`);
      c.check(survivor?.state === 'succeeded' && survivor.attempt === 1, 'the surviving job was not re-adopted to success');
      c.check(dead?.state === 'failed' && dead.error === 'Daemon died while the job was running', 'the dead orphan was not failed');
      c.check(retry?.state === 'succeeded', 'the dead orphan was not re-queued and finished');
      d2.kill();
      await d2.exited;
      return c.result();
    },
  },
  {
    id: 'G5',
    title: 'a 10-run sweep, then one single run: the single run starts before the sweep is done',
    async run() {
      const c = new Checks();
      const ws = tempWorkspace();
      const gid = await enqueuePlan(ws, commandPlan(ws, 10, gatedCommand()));
      writeRun(ws, 'single', baseRequest({ command: gatedCommand() }));
      const d = startDaemon(ws, ['--max-parallel', '2']);
      const first = await waitForStarts(d, ws, 2);
      // Enqueued while the sweep holds both slots; the next slot to free must go to it.
      await runCli(['enqueue-run', '--run-id', 'single'], { cwd: ws });
      release(ws, first[0]!);
      await waitForDone(d, [first[0]!]);
      const third = (await waitForStarts(d, ws, 3))[2];
      const sweepQueued = queueJobs(ws).filter((j) => j.group_id === gid && j.state === 'queued').length;
      c.note(`the slot freed first went to ${third === 'single' ? 'the single run' : third}, with ${sweepQueued} sweep runs still queued`);
      c.check(third === 'single', `the next free slot went to ${third}, not the single run`);
      c.check(sweepQueued >= 7, `only ${sweepQueued} sweep runs were still queued when the single run started`);
      release(ws, 'all');
      const jobs = await waitFor('all done', allDone(ws, 11), 60_000);
      const list = intervals(ws);
      const single = list.find((i) => i.run === 'single');
      const sweepEnd = Math.max(...list.filter((i) => i.run.startsWith(gid)).map((i) => i.end));
      c.note(`it started ${Math.round(sweepEnd - (single?.start ?? NaN))} ms before the sweep ended`);
      c.check(!!single && single.start < sweepEnd, 'the single run waited for the sweep');
      c.check(jobs.every((j) => j.state === 'succeeded'), 'not every run succeeded');
      d.kill();
      await d.exited;
      return c.result();
    },
  },
  {
    id: 'G6',
    title: "delete a queued run's folder: that job fails with a clear reason; the others complete",
    async run() {
      const c = new Checks();
      const ws = tempWorkspace();
      const gid = await enqueuePlan(ws, commandPlan(ws, 4, ['true']));
      rmSync(path.join(ws, '.ml', 'runs', `${gid}-run-003`), { recursive: true });
      const d = startDaemon(ws);
      const jobs = await waitFor('done', allDone(ws, 4));
      const gone = jobs.find((j) => j.run_id === `${gid}-run-003`);
      c.note(`deleted run: ${gone?.state} "${gone?.error}"; others ${jobs.filter((j) => j !== gone).map((j) => j.state).join(',')}`);
      c.check(gone?.state === 'failed' && gone.error === `Run directory not found: .ml/runs/${gid}-run-003`, 'no clear failure for the deleted run');
      c.check(jobs.filter((j) => j !== gone).every((j) => j.state === 'succeeded'), 'the others did not complete');
      d.kill();
      await d.exited;
      return c.result();
    },
  },
  G7,
  ...GPU_GAUNTLETS,
];
