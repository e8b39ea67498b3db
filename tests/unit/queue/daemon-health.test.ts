/** The pure health decision: the heartbeat rule (SPEC §6) and, on the daemon's machine, what its PID says. */
import { describe, expect, it } from 'vitest';
import type { DaemonStatus } from '../../../src/contracts/daemon.js';
import { formatTimestamp } from '../../../src/infra/time.js';
import { assessDaemon, type DaemonProcessFact } from '../../../src/queue/daemon-health.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const status = (state: DaemonStatus['state'], ageS: number): DaemonStatus => ({
  version: 1,
  pid: 4242,
  started_at: formatTimestamp(NOW - 60_000),
  last_heartbeat: formatTimestamp(NOW - ageS * 1000),
  max_parallel: 2,
  gpu_slots: 1,
  active_jobs: 0,
  active_gpu_jobs: 0,
  state,
});
const gone: DaemonProcessFact = { alive: false, reason: 'process is not running' };
const other: DaemonProcessFact = { alive: false, reason: 'process is not a RunForge daemon' };
const alive: DaemonProcessFact = { alive: true };

describe('assessDaemon', () => {
  it.each<[string, DaemonStatus | undefined, DaemonProcessFact | undefined, string, boolean, string | null]>([
    ['no daemon.json', undefined, undefined, 'not_running', false, null],
    ['fresh heartbeat, cannot look', status('running', 1), undefined, 'healthy', true, null],
    ['fresh heartbeat, PID alive', status('running', 1), alive, 'healthy', true, null],
    ['fresh heartbeat, PID gone: dead at once', status('running', 1), gone, 'stale', false, 'process is not running'],
    ['fresh heartbeat, PID is another program', status('running', 1), other, 'stale', false, 'process is not a RunForge daemon'],
    ['stopping, PID gone', status('stopping', 1), gone, 'stale', false, 'process is not running'],
    ['old heartbeat, cannot look', status('running', 31), undefined, 'stale', false, 'heartbeat is stale'],
    ['old heartbeat, PID alive (hung)', status('running', 31), alive, 'stale', false, 'heartbeat is stale'],
    ['stopped, PID gone: stopped, not dead', status('stopped', 1), gone, 'stopped', false, null],
  ])('%s', (_name, s, fact, health, healthy, reason) => {
    expect(assessDaemon(s, NOW, undefined, fact)).toMatchObject({ health, healthy, reason });
  });
});
