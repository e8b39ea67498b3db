/** G1–G10 of SPEC §11, each driving the built CLI as a user would and checking the pass criteria. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  allDone,
  baseRequest,
  Checks,
  commandPlan,
  enqueuePlan,
  type Gauntlet,
  groupFile,
  intervals,
  maxConcurrency,
  openBrowser,
  queueJobs,
  readJson,
  runCli,
  sampleWhile,
  screenshot,
  startDaemon,
  startUi,
  tempWorkspace,
  timedCommand,
  waitFor,
  withFakeGpus,
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
      const gid = await enqueuePlan(ws, commandPlan(ws, 4, timedCommand(0.6)));
      const d = startDaemon(ws, ['--max-parallel', '2']);
      const samples = await sampleWhile(() => runningCount(ws), () => !!allDone(ws, 4)());
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
      const gid = await enqueuePlan(ws, commandPlan(ws, 6, timedCommand(0.5)));
      const d = startDaemon(ws, ['--max-parallel', '2']);
      await waitFor('a first run done', () => queueJobs(ws).some((j) => j.state === 'succeeded'));
      await runCli(['pause-group', '--group-id', gid], { cwd: ws });
      const pausedAt = Date.now();
      await waitFor('running drained', () => runningCount(ws) === 0);
      await new Promise((r) => setTimeout(r, 1500));
      const queued = queueJobs(ws).filter((j) => j.state === 'queued').length;
      // started_at is stamped by the daemon at launch, under the lock pause-group also takes.
      const startedWhilePaused = queueJobs(ws).filter((j) => j.started_at && Date.parse(j.started_at) > pausedAt).length;
      c.note(`paused with ${queued} queued; ${startedWhilePaused} started while paused`);
      c.check(queued > 0, 'nothing was left to pause');
      c.check(startedWhilePaused === 0, `${startedWhilePaused} runs started while paused`);
      const resumedAt = Date.now();
      await runCli(['resume-group', '--group-id', gid], { cwd: ws });
      const jobs = await waitFor('all done', allDone(ws, 6), 60_000);
      const afterResume = jobs.filter((j) => j.started_at && Date.parse(j.started_at) >= resumedAt).length;
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
      const gid = await enqueuePlan(ws, commandPlan(ws, 10, timedCommand(0.5)));
      writeRun(ws, 'single', baseRequest({ command: timedCommand(0.2) }));
      const d = startDaemon(ws, ['--max-parallel', '2']);
      await waitFor('sweep started', () => runningCount(ws) === 2);
      await runCli(['enqueue-run', '--run-id', 'single'], { cwd: ws });
      await waitFor('all done', allDone(ws, 11), 60_000);
      const list = intervals(ws).sort((a, b) => a.start - b.start);
      const single = list.findIndex((i) => i.run === 'single');
      const sweepEnd = Math.max(...list.filter((i) => i.run.startsWith(gid)).map((i) => i.end));
      c.note(`start order: single was #${single + 1} of 11; it started ${Math.round(sweepEnd - list[single]!.start)} ms before the sweep ended`);
      c.check(list[single]!.start < sweepEnd, 'the single run waited for the sweep');
      c.check(single <= 3, `the single run was only #${single + 1} to start`);
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
  {
    id: 'G7',
    title: 'the web dashboard reopened while the daemon runs / after it stops: queue, group progress, stale-heartbeat warning',
    async run() {
      const c = new Checks();
      const ws = tempWorkspace();
      const gid = await enqueuePlan(ws, commandPlan(ws, 3, ['sleep', '0.3']));
      const d1 = startDaemon(ws, ['--heartbeat-interval', '0.3']);
      await waitFor('done', allDone(ws, 3));
      const ui = await startUi(ws, ['--stale-after', '2']);
      const { page } = await openBrowser();
      await page.goto(ui.url);
      await page.waitForSelector('[data-testid=daemon][data-health=healthy]');
      await page.reload();
      await page.waitForSelector('[data-testid=daemon][data-health=healthy]');
      const row = (await page.textContent(`tr[data-group="${gid}"]`)) ?? '';
      c.note(`while running: healthy; group row "${row.replace(/\s+/g, ' ').slice(0, 60)}"`);
      c.check(row.includes('3/3') && row.includes('completed'), 'group progress not shown');
      d1.kill('SIGKILL');
      await d1.exited;
      await page.waitForSelector('[data-testid=daemon][data-health=stale]', { timeout: 20_000 });
      await page.reload();
      await page.waitForSelector('[data-testid=daemon][data-health=stale]');
      const warning = (await page.textContent('[data-testid=daemon]')) ?? '';
      c.note(`after kill -9: "${warning}"`);
      c.check(/Stale heartbeat/.test(warning), 'no stale-heartbeat warning');
      await screenshot(page, 'gauntlet-G7-stale');
      const d2 = startDaemon(ws, ['--heartbeat-interval', '0.3']);
      await page.waitForSelector('[data-testid=daemon][data-health=healthy]', { timeout: 20_000 });
      c.note('after restart: healthy again');
      d2.kill();
      await d2.exited;
      return c.result();
    },
  },
  {
    id: 'G8',
    title: 'device.type gpu on a machine without GPU: runs on CPU, gpu_reason no_gpu_detected, the token',
    async run() {
      const c = new Checks();
      const ws = tempWorkspace();
      writeRun(ws, 'wants-gpu', baseRequest({ device: { type: 'gpu' }, command: ['true'] }));
      await runCli(['enqueue-run', '--run-id', 'wants-gpu'], { cwd: ws });
      const d = startDaemon(ws, [], { PATH: '/usr/bin:/bin' });
      await waitFor('done', allDone(ws, 1));
      const logs = readFileSync(path.join(ws, '.ml/runs/wants-gpu/logs.txt'), 'utf8');
      const device = readJson(path.join(ws, '.ml/runs/wants-gpu/result.json')).effective_config.device;
      c.note(`effective_config.device ${JSON.stringify(device)}`);
      c.check(logs.includes('[RF:DEVICE=CPU gpu_reason=no_gpu_detected]'), 'token missing');
      c.check(device.type === 'cpu' && device.gpu_reason === 'no_gpu_detected', 'effective_config.device wrong');
      d.kill();
      await d.exited;
      return c.result();
    },
  },
  {
    id: 'G9',
    title: '--max-parallel 4 --gpu-slots 1, two GPU jobs (stand-in nvidia-smi): one GPU job at a time, CPU jobs unaffected',
    async run() {
      const c = new Checks();
      const ws = tempWorkspace();
      await enqueuePlan(ws, commandPlan(ws, 5, timedCommand(0.6), ['gpu', 'gpu', 'cpu', 'cpu', 'cpu']));
      const d = startDaemon(ws, ['--max-parallel', '4', '--gpu-slots', '1'], withFakeGpus());
      await waitFor('done', allDone(ws, 5));
      const list = intervals(ws);
      const gpu = maxConcurrency(list, (i) => i.device !== '');
      const cpu = maxConcurrency(list, (i) => i.device === '');
      c.note(`GPU jobs at once ${gpu}; CPU jobs at once ${cpu}`);
      c.check(gpu === 1, `${gpu} GPU jobs at once`);
      c.check(cpu === 3, `CPU jobs were held back (${cpu} at once)`);
      d.kill();
      await d.exited;
      return c.result();
    },
  },
  {
    id: 'G10',
    title: 'same daemon, 4 GPU runs + 4 CPU runs: CPU jobs start at once, GPU jobs one at a time, both progress',
    async run() {
      const c = new Checks();
      const ws = tempWorkspace();
      await enqueuePlan(ws, commandPlan(ws, 8, timedCommand(0.5), ['gpu', 'gpu', 'gpu', 'gpu', 'cpu', 'cpu', 'cpu', 'cpu']));
      const d = startDaemon(ws, ['--max-parallel', '5', '--gpu-slots', '1'], withFakeGpus());
      await waitFor('done', allDone(ws, 8), 60_000);
      const list = intervals(ws).sort((a, b) => a.start - b.start);
      const first = list[0]!.start;
      const cpu = list.filter((i) => i.device === '');
      const gpu = list.filter((i) => i.device !== '');
      const cpuStartSpread = Math.max(...cpu.map((i) => i.start)) - first;
      const gpuDone = gpu.filter((i) => i.end < Math.max(...cpu.map((x) => x.end))).length;
      c.note(`CPU jobs started within ${Math.round(cpuStartSpread)} ms; GPU jobs at once ${maxConcurrency(gpu)}; GPU jobs done while CPU work ran: ${gpuDone}`);
      c.check(maxConcurrency(gpu) === 1, 'more than one GPU job at once');
      c.check(maxConcurrency(cpu) === 4, 'CPU jobs did not all start at once');
      c.check(gpuDone >= 1, 'GPU work starved while CPU jobs ran');
      d.kill();
      await d.exited;
      return c.result();
    },
  },
];

