/** jobEndedUnrecorded: how a status reader tells that a job queue.json calls running has ended while no daemon ran. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../../src/contracts/queue.js';
import { makeJob } from '../../../src/queue/jobs.js';
import { jobEndedUnrecorded } from '../../../src/run/ended-job.js';
import { processStartTime } from '../../../src/process/identity.js';
import { workspacePaths, type WorkspacePaths } from '../../../src/workspace/paths.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(): { ws: WorkspacePaths; dir: string; job: Job } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'runforge-ended-'));
  dirs.push(root);
  const ws = workspacePaths(root);
  const dir = path.join(ws.runsDir, 'r1');
  mkdirSync(dir, { recursive: true });
  const job: Job = {
    ...makeJob({ jobId: 'j2', runId: 'r1', groupId: null, priority: 0, requiresGpu: false, attempt: 2, createdAt: '2026-11-25T08:00:00Z' }),
    state: 'running',
    started_at: '2026-11-25T08:00:01Z',
    pid: process.pid,
    process_start_time: processStartTime(process.pid),
  };
  return { ws, dir, job };
}

describe('jobEndedUnrecorded', () => {
  it('its exit status: ended, with the exit code', async () => {
    const { ws, dir, job } = setup();
    writeFileSync(path.join(dir, '.exit_status'), '3\n');
    expect(await jobEndedUnrecorded(ws, job, true)).toEqual({ exit_code: 3, result_status: null });
  });

  it("a result.json of this attempt: ended, with its status; another attempt's result does not count", async () => {
    const { ws, dir, job } = setup();
    writeFileSync(path.join(dir, 'result.json'), JSON.stringify({ version: 1, status: 'failed', duration_ms: 1, job_id: 'j1', exit_code: 1 }));
    expect(await jobEndedUnrecorded(ws, job, false)).toBeUndefined();
    writeFileSync(path.join(dir, 'result.json'), JSON.stringify({ version: 1, status: 'succeeded', duration_ms: 1, job_id: 'j2', exit_code: 0 }));
    expect(await jobEndedUnrecorded(ws, job, false)).toEqual({ exit_code: 0, result_status: 'succeeded' });
  });

  it('a corrupt result.json is no result', async () => {
    const { ws, dir, job } = setup();
    writeFileSync(path.join(dir, 'result.json'), '{"version": 1, "sta');
    expect(await jobEndedUnrecorded(ws, job, true)).toBeUndefined();
  });

  it('without either: ended only when its process is gone and this machine can tell', async () => {
    const { ws, job } = setup();
    expect(await jobEndedUnrecorded(ws, job, true)).toBeUndefined(); // this very process: alive
    const gone = spawnSync('true').pid!;
    const ended = { ...job, pid: gone, process_start_time: '1' };
    expect(await jobEndedUnrecorded(ws, ended, true)).toEqual({ exit_code: null, result_status: null });
    expect(await jobEndedUnrecorded(ws, ended, false)).toBeUndefined();
  });
});
