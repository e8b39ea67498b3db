/**
 * G8–G10 (SPEC §11): GPU requests without a GPU, and the GPU budget of `--max-parallel 4 --gpu-slots 1`
 * with the stand-in nvidia-smi (two devices; RUNFORGE_GPU_DETECT=nvidia-smi, so a real CUDA PyTorch on
 * the machine changes nothing). The jobs are gated (`gatedCommand`): each step lets chosen jobs go and
 * waits for the daemon's tokens, so the order of events is the same on a loaded 2-core machine.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
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
  jobEnv,
  maxConcurrency,
  queueJobs,
  queueTokens,
  readJson,
  release,
  runCli,
  startDaemon,
  tempWorkspace,
  waitFor,
  waitForDone,
  waitForStarts,
  withFakeGpus,
  withoutGpus,
  writeRun,
} from './lib.js';

const runDir = (ws: string, run: string): string => path.join(ws, '.ml', 'runs', run);
/** `run-003` of `grp_…-run-003`, for evidence lines. */
const short = (run: string): string => run.replace(/^.*-(run-\d+)$/, '$1');

/**
 * Every GPU-requesting run really ran on a GPU: result.json `effective_config.device` is `gpu` with a
 * `gpu_id`, the job process itself saw `CUDA_VISIBLE_DEVICES` equal to it, logs.txt has
 * `[RF:DEVICE=GPU]`; and each GPU job started only after the one before it ended (their own stamps).
 * CPU runs saw an empty `CUDA_VISIBLE_DEVICES`. A daemon that ran a waiting GPU job on the CPU fails.
 */
function checkDevices(c: Checks, ws: string, gpuRuns: string[], cpuRuns: string[]): void {
  for (const run of gpuRuns) {
    const device = readJson(path.join(runDir(ws, run), 'result.json')).effective_config?.device;
    const seen = jobEnv(ws, run).get('CUDA_VISIBLE_DEVICES');
    c.check(device?.type === 'gpu' && Number.isInteger(device.gpu_id), `${short(run)} asked for a GPU but ran with device ${JSON.stringify(device)}`);
    c.check(seen === String(device?.gpu_id), `${short(run)}'s process saw CUDA_VISIBLE_DEVICES=${seen} but effective_config.device.gpu_id is ${device?.gpu_id}`);
    c.check(readFileSync(path.join(runDir(ws, run), 'logs.txt'), 'utf8').includes('[RF:DEVICE=GPU]'), `${short(run)} has no [RF:DEVICE=GPU]`);
  }
  for (const run of cpuRuns) {
    const device = readJson(path.join(runDir(ws, run), 'result.json')).effective_config?.device;
    c.check(device?.type === 'cpu', `${short(run)} asked for the CPU but ran with device ${JSON.stringify(device)}`);
    c.check(jobEnv(ws, run).get('CUDA_VISIBLE_DEVICES') === '', `${short(run)} (CPU) saw CUDA_VISIBLE_DEVICES=${jobEnv(ws, run).get('CUDA_VISIBLE_DEVICES')}`);
  }
  const gpu = intervals(ws)
    .filter((i) => gpuRuns.includes(i.run))
    .sort((a, b) => a.start - b.start);
  let serial = true;
  for (let k = 1; k < gpu.length; k++) {
    const ok = gpu[k]!.start >= gpu[k - 1]!.end;
    serial &&= ok;
    c.check(ok, `${short(gpu[k]!.run)} started ${Math.round(gpu[k - 1]!.end - gpu[k]!.start)} ms before ${short(gpu[k - 1]!.run)} ended`);
  }
  const devices = gpuRuns.map((run) => `${short(run)}→${readJson(path.join(runDir(ws, run), 'result.json')).effective_config?.device?.gpu_id}`);
  c.note(`GPU runs' gpu_id ${devices.join(' ')}${serial ? ', each started after the one before ended' : ''}`);
}

export const GPU_GAUNTLETS: Gauntlet[] = [
  {
    id: 'G8',
    title: 'device.type gpu on a machine without GPU: runs on CPU, gpu_reason no_gpu_detected, the token',
    async run() {
      const c = new Checks();
      const ws = tempWorkspace();
      writeRun(ws, 'wants-gpu', baseRequest({ device: { type: 'gpu' }, command: ['sh', '-c', 'env > "$RUNFORGE_RUN_DIR/job-env.txt"'] }));
      await runCli(['enqueue-run', '--run-id', 'wants-gpu'], { cwd: ws });
      // No GPU whatever the machine has: RUNFORGE_GPU_DETECT=none.
      const d = startDaemon(ws, ['--gpu-slots', '1'], withoutGpus());
      await waitFor('done', allDone(ws, 1));
      const logs = readFileSync(path.join(ws, '.ml/runs/wants-gpu/logs.txt'), 'utf8');
      const device = readJson(path.join(ws, '.ml/runs/wants-gpu/result.json')).effective_config.device;
      const seen = jobEnv(ws, 'wants-gpu');
      c.note(`effective_config.device ${JSON.stringify(device)}; the job saw RUNFORGE_DEVICE=${seen.get('RUNFORGE_DEVICE')} CUDA_VISIBLE_DEVICES='${seen.get('CUDA_VISIBLE_DEVICES')}'`);
      c.check(logs.includes('[RF:DEVICE=CPU gpu_reason=no_gpu_detected]'), 'token missing');
      c.check(device.type === 'cpu' && device.gpu_reason === 'no_gpu_detected', 'effective_config.device wrong');
      c.check(seen.get('RUNFORGE_DEVICE') === 'cpu' && seen.get('CUDA_VISIBLE_DEVICES') === '', 'the job was not told to use the CPU');
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
      const gid = await enqueuePlan(ws, commandPlan(ws, 5, gatedCommand(), ['gpu', 'gpu', 'cpu', 'cpu', 'cpu']));
      const [gpu1, gpu2, ...cpu] = [1, 2, 3, 4, 5].map((i) => `${gid}-run-00${i}`) as [string, string, ...string[]];
      const d = startDaemon(ws, ['--max-parallel', '4', '--gpu-slots', '1'], withFakeGpus());
      const first = await waitForStarts(d, ws, 4);
      const firstCpu = first.filter((r) => cpu.includes(r));
      c.note(`first starts: ${first.map(short).join(',')}`);
      c.check(first.length === 4 && first.includes(gpu1) && !first.includes(gpu2) && firstCpu.length === 3, 'not one GPU job and 3 CPU jobs at first');
      c.check(queueTokens(d).some((t) => t.kind === 'started' && t.runId === gpu1 && t.gpu), `${short(gpu1)} was not started with gpu=true`);
      // A CPU slot frees while the GPU slot is taken: the waiting GPU job must not take it. queue.json
      // holds the starts of the pass that recorded the end before the daemon says JOB_DONE.
      release(ws, firstCpu[0]!);
      await waitForDone(d, [firstCpu[0]!]);
      const gpu2State = queueJobs(ws).find((j) => j.run_id === gpu2)?.state;
      c.note(`after a CPU job ended: ${short(gpu2)} ${gpu2State}`);
      c.check(gpu2State === 'queued', `${short(gpu2)} was ${gpu2State} while ${short(gpu1)} held the GPU slot`);
      release(ws, gpu1);
      await waitForDone(d, [gpu1]);
      const next = (await waitForStarts(d, ws, 5))[4];
      c.check(next === gpu2, `after ${short(gpu1)} ended the next start was ${next}`);
      release(ws, 'all');
      const jobs = await waitFor('all done', allDone(ws, 5), 60_000);
      const list = intervals(ws);
      const gpuAtOnce = maxConcurrency(list, (i) => i.run === gpu1 || i.run === gpu2);
      const cpuAtOnce = maxConcurrency(list, (i) => cpu.includes(i.run));
      c.note(`GPU jobs at once ${gpuAtOnce}; CPU jobs at once ${cpuAtOnce}`);
      c.check(gpuAtOnce === 1, `${gpuAtOnce} GPU jobs at once`);
      c.check(cpuAtOnce === 3, `CPU jobs were held back (${cpuAtOnce} at once)`);
      c.check(jobs.every((j) => j.state === 'succeeded'), `not every job succeeded: ${jobs.map((j) => j.state).join(',')}`);
      checkDevices(c, ws, [gpu1, gpu2], cpu);
      d.kill();
      await d.exited;
      return c.result();
    },
  },
  {
    id: 'G10',
    title: 'same daemon (--max-parallel 4 --gpu-slots 1), a 4-run GPU sweep + a 4-run CPU sweep: CPU jobs start at once, GPU jobs one at a time, both progress',
    async run() {
      const c = new Checks();
      const ws = tempWorkspace();
      const gpuGid = await enqueuePlan(ws, commandPlan(ws, 4, gatedCommand(), ['gpu', 'gpu', 'gpu', 'gpu'], 'gpu sweep'));
      const cpuGid = await enqueuePlan(ws, commandPlan(ws, 4, gatedCommand(), ['cpu', 'cpu', 'cpu', 'cpu'], 'cpu sweep'));
      const gpuRuns = [1, 2, 3, 4].map((i) => `${gpuGid}-run-00${i}`);
      const cpuRuns = [1, 2, 3, 4].map((i) => `${cpuGid}-run-00${i}`);
      const isGpu = (run: string | undefined): boolean => !!run && gpuRuns.includes(run);
      const d = startDaemon(ws, ['--max-parallel', '4', '--gpu-slots', '1'], withFakeGpus());

      // 1. At once: one GPU job and max_parallel − 1 = 3 CPU jobs, nothing having ended.
      const first = await waitForStarts(d, ws, 4);
      const firstGpu = first.filter(isGpu);
      const firstCpu = first.filter((r) => !isGpu(r));
      c.note(`at once: ${firstGpu.length} GPU + ${firstCpu.length} CPU jobs`);
      c.check(first.length === 4 && firstGpu.length === 1 && firstCpu.length === 3, `the first starts were ${firstGpu.length} GPU + ${firstCpu.length} CPU jobs, not 1 + 3`);
      c.check(doneRuns(d).length === 0, 'a job ended before the first four started');

      // 2. A CPU job ends while the GPU job runs: its slot goes to the 4th CPU job, not to a GPU job.
      release(ws, firstCpu[0]!);
      await waitForDone(d, [firstCpu[0]!]);
      const fifth = (await waitForStarts(d, ws, 5))[4];
      const gpuQueued = queueJobs(ws).filter((j) => j.group_id === gpuGid && j.state === 'queued').length;
      c.note(`after a CPU job ended: ${isGpu(fifth) ? 'GPU' : 'CPU'} job ${short(fifth ?? '?')} started, ${gpuQueued} GPU jobs still queued`);
      c.check(!isGpu(fifth) && firstGpu.length === 1, `the freed CPU slot went to ${fifth} while ${firstGpu[0]} held the GPU slot`);
      c.check(gpuQueued === 3, `CPU jobs waited for GPU jobs: ${gpuQueued} GPU jobs queued when the last CPU job started`);

      // 3. The GPU job ends while CPU jobs run: the GPU sweep goes on at once, one job at a time.
      if (firstGpu[0]) {
        release(ws, firstGpu[0]);
        await waitForDone(d, [firstGpu[0]]);
      }
      const sixth = (await waitForStarts(d, ws, 6))[5];
      const cpuRunning = queueJobs(ws).filter((j) => j.group_id === cpuGid && j.state === 'running').length;
      c.note(`after the GPU job ended: ${isGpu(sixth) ? 'GPU' : 'CPU'} job ${short(sixth ?? '?')} started with ${cpuRunning} CPU jobs running`);
      c.check(isGpu(sixth) && cpuRunning === 3, 'the GPU sweep did not progress while the CPU sweep ran');

      release(ws, 'all');
      await waitFor('all done', allDone(ws, 8), 60_000);
      const list = intervals(ws);
      const total = maxConcurrency(list);
      const gpuAtOnce = maxConcurrency(list, (i) => isGpu(i.run));
      const cpuAtOnce = maxConcurrency(list, (i) => !isGpu(i.run));
      c.note(`measured: ${total} jobs at once, GPU ${gpuAtOnce}, CPU ${cpuAtOnce}`);
      c.check(total <= 4, `${total} jobs at once with --max-parallel 4`);
      c.check(gpuAtOnce === 1, `${gpuAtOnce} GPU jobs at once`);
      c.check(cpuAtOnce === 3, `CPU jobs at once ${cpuAtOnce}, not max_parallel − gpu_in_use = 3`);
      for (const gid of [gpuGid, cpuGid]) {
        const status = readJson(groupFile(ws, gid)).status;
        c.check(status === 'completed', `group ${gid} is ${status}`);
      }
      checkDevices(c, ws, gpuRuns, cpuRuns);
      d.kill();
      await d.exited;
      return c.result();
    },
  },
];
