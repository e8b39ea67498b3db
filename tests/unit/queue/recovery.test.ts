import { describe, expect, it } from 'vitest';
import type { Job } from '../../../src/contracts/queue.js';
import type { RunResult } from '../../../src/contracts/result.js';
import { makeJob } from '../../../src/queue/jobs.js';
import { DAEMON_DIED, resolveOrphan, resultBelongsTo } from '../../../src/queue/recovery.js';
import { deviceCapacity, parseNvidiaSmi, pickDevice } from '../../../src/gpu/devices.js';
import { isDaemonArgv } from '../../../src/daemon/daemon.js';

const job = (attempt = 1): Job => ({
  ...makeJob({ jobId: 'job_1', runId: 'r', groupId: null, priority: 0, requiresGpu: false, attempt, createdAt: '2026-02-01T10:00:00Z' }),
  state: 'running',
  started_at: '2026-02-01T10:00:05Z',
});
const result = (over: Partial<RunResult>): RunResult => ({ version: 1, status: 'succeeded', duration_ms: 1, ...over });
const policy = { orphanPolicy: 'requeue' as const, maxAttempts: 3 };

describe('orphan resolution (G4)', () => {
  it.each([
    ['alive → adopt', job(), { alive: true, result: undefined }, policy, { action: 'adopt' }],
    ['dead, result of this attempt → its outcome', job(), { alive: false, result: result({ job_id: 'job_1' }) }, policy, { action: 'finish', state: 'succeeded', error: null }],
    ['dead, cancelled result → canceled', job(), { alive: false, result: result({ job_id: 'job_1', status: 'cancelled', error: { message: 'x', type: 'C' } }) }, policy, { action: 'finish', state: 'canceled', error: 'x' }],
    ['dead, result of another attempt → failed + requeue', job(), { alive: false, result: result({ job_id: 'job_0' }) }, policy, { action: 'fail', error: DAEMON_DIED, requeue: true }],
    ['dead, no result, last attempt → failed, no requeue', job(3), { alive: false, result: undefined }, policy, { action: 'fail', error: DAEMON_DIED, requeue: false }],
    ['dead, no result, fail policy → failed', job(), { alive: false, result: undefined }, { orphanPolicy: 'fail' as const, maxAttempts: 3 }, { action: 'fail', error: DAEMON_DIED, requeue: false }],
  ])('%s', (_n, j, facts, p, expected) => {
    expect(resolveOrphan(j, facts, p)).toEqual(expected);
  });

  it.each([
    [{ finished_at: '2026-02-01T10:00:09Z' }, true],
    [{ finished_at: '2026-02-01T09:59:00Z' }, false],
    [{}, false],
  ])('a result without job id belongs to the attempt when it finished after the start: %j', (over, expected) => {
    expect(resultBelongsTo(result(over), job())).toBe(expected);
  });
});

describe('GPU devices', () => {
  const smi = '0, GPU-a, Tesla T4, 15360, 14000, 550.54\n1, GPU-b, Tesla T4, 15360, 100, 550.54\n\ngarbage line\n';
  const devices = parseNvidiaSmi(smi);

  it('parses nvidia-smi CSV and skips what is not a device line', () => {
    expect(devices).toEqual([
      { index: 0, uuid: 'GPU-a', name: 'Tesla T4', memory_total_mb: 15360, memory_used_mb: 14000, driver_version: '550.54', compute_capability: null, source: 'nvidia-smi' },
      { index: 1, uuid: 'GPU-b', name: 'Tesla T4', memory_total_mb: 15360, memory_used_mb: 100, driver_version: '550.54', compute_capability: null, source: 'nvidia-smi' },
    ]);
  });

  it.each([
    ['free memory decides between idle devices', new Map(), 1, 1],
    ['own reservations come first', new Map([[1, 1]]), 2, 0],
    ['a full device is never picked', new Map([[0, 1]]), 1, 1],
    ['all full → none', new Map([[0, 1], [1, 1]]), 1, undefined],
  ])('%s', (_n, reservations, jobsPerGpu, expected) => {
    expect(pickDevice(devices, { reservations, jobsPerGpu })?.index).toBe(expected);
  });

  it('capacity counts free places under the per-device cap', () => {
    expect(deviceCapacity(devices, { reservations: new Map([[0, 1]]), jobsPerGpu: 2 })).toBe(3);
  });
});

describe('daemon identity', () => {
  it.each([
    [['node', '/x/dist/cli/main.js', 'daemon', '--workspace', '.'], true],
    [['node', '/x/dist/cli/bin.cjs', 'daemon', '--workspace', '.'], true],
    [['node', '/usr/lib/node_modules/runforge/dist/cli/main.js', 'daemon'], true],
    [['node', '/x/dist/cli/main.js', 'run', '--run-dir', 'daemon'], false],
    [['/usr/local/bin/runforge', 'daemon'], true],
    [['sleep', '30'], false],
    [['node', 'server.js', 'daemon'], false],
  ])('%j → %s', (argv, expected) => {
    expect(isDaemonArgv(argv)).toBe(expected);
  });
});
