import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonOut, runCli } from '../helpers/cli.js';
import { allDone, FIXTURES, findProcesses, queueJobs, startDaemon, waitFor, withFakeGpus } from '../helpers/daemon.js';
import { baseRequest, commandPlan, groupFile, intervals, maxConcurrency, readJson, tempWorkspace, timedCommand, writeRun } from '../helpers/workspace.js';
import { enqueuePlan } from '../helpers/queue.js';

const runDirOf = (ws: string, runId: string) => path.join(ws, '.ml', 'runs', runId);

describe('GPU slots (stand-in nvidia-smi with two devices)', () => {
  it('G9: --max-parallel 4 --gpu-slots 1: one GPU job at a time, CPU jobs unaffected', async () => {
    const ws = tempWorkspace();
    await enqueuePlan(ws, commandPlan(ws, 5, timedCommand(0.6), ['gpu', 'gpu', 'cpu', 'cpu', 'cpu']));
    const d = startDaemon(ws, ['--max-parallel', '4', '--gpu-slots', '1'], withFakeGpus());
    const jobs = await waitFor('done', allDone(ws, 5));
    expect(jobs.every((j) => j.state === 'succeeded')).toBe(true);
    const list = intervals(ws);
    expect(maxConcurrency(list, (i) => i.device !== '')).toBe(1);
    expect(maxConcurrency(list, (i) => i.device === '')).toBe(3);
    expect(d.output()).toMatch(/JOB_STARTED \S+ run_id=\S+-run-001 gpu=true/);
    d.kill();
    await d.exited;
  });

  it('--gpu-slots 2 puts two GPU jobs on different devices; --jobs-per-gpu 1 is honoured', async () => {
    const ws = tempWorkspace();
    await enqueuePlan(ws, commandPlan(ws, 3, timedCommand(0.8), ['gpu', 'gpu', 'gpu']));
    const d = startDaemon(ws, ['--max-parallel', '4', '--gpu-slots', '2', '--jobs-per-gpu', '1'], withFakeGpus());
    await waitFor('done', allDone(ws, 3));
    const list = intervals(ws).sort((a, b) => a.start - b.start);
    expect(maxConcurrency(list)).toBe(2);
    const status = parseJsonOut<any>(await runCli(['queue-status', '--json'], { cwd: ws }));
    expect(status.gpus).toEqual([
      { index: 0, name: 'Fake RunForge GPU 0', used: 0, limit: 1 },
      { index: 1, name: 'Fake RunForge GPU 1', used: 0, limit: 1 },
    ]);
    // The first two overlap and run on different devices, the freer one (0) first.
    expect([list[0]!.device, list[1]!.device].sort()).toEqual(['0', '1']);
    for (const i of list) expect(['0', '1']).toContain(i.device);
    const result = readJson(path.join(runDirOf(ws, list[0]!.run), 'result.json'));
    expect(result.effective_config.device).toEqual({ type: 'gpu', gpu_id: Number(list[0]!.device) });
    d.kill();
    await d.exited;
  });

  it('--gpu-slots 0 with GPUs present: GPU requests run on the CPU with gpu_slot_unavailable', async () => {
    const ws = tempWorkspace();
    writeRun(ws, 'wants-gpu', baseRequest({ device: { type: 'gpu' }, command: ['sh', '-c', 'echo "visible=[$CUDA_VISIBLE_DEVICES]"'] }));
    await runCli(['enqueue-run', '--run-id', 'wants-gpu'], { cwd: ws });
    const d = startDaemon(ws, ['--gpu-slots', '0'], withFakeGpus());
    await waitFor('done', allDone(ws, 1));
    const logs = readFileSync(path.join(runDirOf(ws, 'wants-gpu'), 'logs.txt'), 'utf8');
    expect(logs).toContain('[RF:DEVICE=CPU gpu_reason=gpu_slot_unavailable]');
    expect(logs).toContain('visible=[]');
    d.kill();
    await d.exited;
  });

  it('G8 in the daemon: a GPU request without any GPU runs on the CPU with no_gpu_detected', async () => {
    const ws = tempWorkspace();
    writeRun(ws, 'wants-gpu', baseRequest({ device: { type: 'gpu' }, command: ['sh', '-c', 'echo "visible=[$CUDA_VISIBLE_DEVICES] device=$RUNFORGE_DEVICE"'] }));
    await runCli(['enqueue-run', '--run-id', 'wants-gpu'], { cwd: ws });
    const d = startDaemon(ws, [], { PATH: '/usr/bin:/bin', FAKE_GPUS: '' });
    await waitFor('done', allDone(ws, 1));
    const logs = readFileSync(path.join(runDirOf(ws, 'wants-gpu'), 'logs.txt'), 'utf8');
    expect(logs).toContain('[RF:DEVICE=CPU gpu_reason=no_gpu_detected]');
    expect(logs).toContain('visible=[] device=cpu');
    const result = readJson(path.join(runDirOf(ws, 'wants-gpu'), 'result.json'));
    expect(result.effective_config.device).toEqual({ type: 'cpu', gpu_reason: 'no_gpu_detected' });
    d.kill();
    await d.exited;
  });
});

describe('pause, resume, cancel with a running daemon', () => {
  it('G2: while paused nothing new starts from the group; after resume the rest run', async () => {
    const ws = tempWorkspace();
    const gid = await enqueuePlan(ws, commandPlan(ws, 6, timedCommand(0.5)));
    const d = startDaemon(ws, ['--max-parallel', '2']);
    await waitFor('first job done', () => queueJobs(ws).some((j) => j.state === 'succeeded'));
    expect((await runCli(['pause-group', '--group-id', gid], { cwd: ws })).code).toBe(0);
    const pausedAt = Date.now();
    // Let whatever was running end, then hold for a while: nothing may start.
    await waitFor('running jobs drained', () => queueJobs(ws).every((j) => j.state !== 'running'));
    await new Promise((r) => setTimeout(r, 1500));
    const before = queueJobs(ws);
    const queuedWhilePaused = before.filter((j) => j.state === 'queued').length;
    expect(queuedWhilePaused).toBeGreaterThan(0);
    // The daemon records started_at when it launches a job, under the same lock pause-group takes:
    // nothing it launched may be stamped after the pause was in place.
    const startedDuringPause = before.filter((j) => j.started_at && Date.parse(j.started_at) > pausedAt);
    expect(startedDuringPause).toEqual([]);
    expect((await runCli(['resume-group', '--group-id', gid], { cwd: ws })).code).toBe(0);
    const jobs = await waitFor('all done', allDone(ws, 6));
    expect(jobs.every((j) => j.state === 'succeeded')).toBe(true);
    expect(readJson(groupFile(ws, gid))).toMatchObject({ status: 'completed', paused: false, summary: { succeeded: 6 } });
    d.kill();
    await d.exited;
  });

  it('G3: cancel-group stops a job that ignores SIGTERM and one that forked a grandchild; nothing stays running', async () => {
    const ws = tempWorkspace();
    const marker = String(Date.now() % 1_000_000);
    const gid = await enqueuePlan(ws, {
      ...commandPlan(ws, 1, ['true']),
      strategy: {
        type: 'list',
        parameters: [
          {
            path: 'command',
            values: [[path.join(FIXTURES, 'ignore-term.sh')], [path.join(FIXTURES, 'fork-grandchild.sh'), marker], ['true'], ['true']],
          },
        ],
      },
    });
    const d = startDaemon(ws, ['--max-parallel', '2', '--kill-grace', '1']);
    await waitFor('both fixtures running', () => findProcesses('sleep', `299.${marker}`).length === 1 && queueJobs(ws).filter((j) => j.state === 'running').length === 2);
    const r = await runCli(['cancel-group', '--group-id', gid], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.lines.slice(1)).toEqual([
      `Canceled 2 queued runs in group ${gid}`,
      `Stopping 2 running runs in group ${gid} (the daemon stops them)`,
      `Group ${gid} is running`,
    ]);
    const jobs = await waitFor('all ended', allDone(ws, 4));
    expect(jobs.map((j) => j.state)).toEqual(['canceled', 'canceled', 'canceled', 'canceled']);
    expect(findProcesses('sleep', `299.${marker}`)).toEqual([]);
    for (const j of jobs.slice(0, 2)) {
      expect(readJson(path.join(runDirOf(ws, j.run_id), 'result.json'))).toMatchObject({ status: 'cancelled' });
      expect(findProcesses(path.join(FIXTURES, 'ignore-term.sh'))).toEqual([]);
    }
    const group = readJson(groupFile(ws, gid));
    expect(group).toMatchObject({ status: 'canceled', execution: { cancelled: true }, summary: { canceled: 4 } });
    expect(group.runs.map((x: any) => x.status)).toEqual(jobs.map((j) => j.state));
    d.kill();
    await d.exited;
  });

  it('cancel-run stops one running job by run id; a queued one by job id', async () => {
    const ws = tempWorkspace();
    const gid = await enqueuePlan(ws, commandPlan(ws, 3, ['sleep', '30']));
    const d = startDaemon(ws, ['--max-parallel', '1']);
    await waitFor('one running', () => queueJobs(ws).find((j) => j.state === 'running'));
    const queued = queueJobs(ws).find((j) => j.state === 'queued');
    const q = await runCli(['cancel-run', '--job-id', queued.job_id], { cwd: ws });
    expect(q.lines).toEqual([`Canceled job ${queued.job_id} of run ${queued.run_id}`]);
    const r = await runCli(['cancel-run', '--run-id', `${gid}-run-001`], { cwd: ws });
    expect(r.code).toBe(0);
    expect(r.lines[0]).toMatch(/^Job \S+ of run \S+-run-001 is running; the daemon will stop it$/);
    await waitFor('run-001 canceled', () => queueJobs(ws)[0].state === 'canceled');
    expect(readJson(path.join(runDirOf(ws, `${gid}-run-001`), 'result.json')).status).toBe('cancelled');
    const again = await runCli(['cancel-run', '--run-id', `${gid}-run-001`], { cwd: ws });
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe(`Error: Run ${gid}-run-001 has no queued or running job; nothing to cancel`);
    expect((await runCli(['cancel-run', '--job-id', 'job_nope'], { cwd: ws })).code).toBe(3);
    expect((await runCli(['cancel-run'], { cwd: ws })).code).toBe(2);
    d.kill();
    await d.exited;
  });

  it('a job over --job-timeout is killed and fails with a clear reason', async () => {
    const ws = tempWorkspace();
    // A duration no other test uses: processes are looked for machine-wide.
    const duration = `30.${process.pid}`;
    writeRun(ws, 'slow', baseRequest({ command: ['sleep', duration] }));
    await runCli(['enqueue-run', '--run-id', 'slow'], { cwd: ws });
    const d = startDaemon(ws, ['--job-timeout', '1', '--kill-grace', '1']);
    const [job] = await waitFor('done', allDone(ws, 1));
    expect(job).toMatchObject({ state: 'failed', error: 'Timed out after 1 s' });
    expect(readJson(path.join(runDirOf(ws, 'slow'), 'result.json'))).toMatchObject({ status: 'failed', error: { type: 'Timeout' } });
    expect(findProcesses('sleep', duration)).toEqual([]);
    d.kill();
    await d.exited;
  });
});
