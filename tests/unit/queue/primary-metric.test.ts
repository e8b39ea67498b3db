import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../../src/contracts/result.js';
import { chosenMetricOf, decidePrimaryMetric, type MetricSpec, primaryMetricOf } from '../../../src/queue/primary-metric.js';
import { assessDaemon } from '../../../src/queue/daemon-health.js';

const result = (summary: RunResult['summary']): RunResult => ({ version: 1, status: 'succeeded', duration_ms: 1, summary });

describe('primary metric fallback', () => {
  it.each([
    ['declared wins', { metrics: { accuracy: 0.5 }, primary_metric: { name: 'f1_score', value: 0.7 } }, { name: 'f1_score', value: 0.7, goal: 'maximize' }],
    ['a declared goal is kept', { metrics: { mae: 0.5 }, primary_metric: { name: 'mae', value: 0.5, goal: 'maximize' as const } }, { name: 'mae', value: 0.5, goal: 'maximize' }],
    ['accuracy first', { metrics: { f1_score: 0.7, accuracy: 0.6, loss: 0.1 } }, { name: 'accuracy', value: 0.6, goal: 'maximize' }],
    ['then f1_score', { metrics: { f1_score: 0.7, loss: 0.1 } }, { name: 'f1_score', value: 0.7, goal: 'maximize' }],
    ['then loss, minimized', { metrics: { loss: 0.1, zeta: 3 } }, { name: 'loss', value: 0.1, goal: 'minimize' }],
    ['else first alphabetically', { metrics: { zeta: 3, beta: 2 } }, { name: 'beta', value: 2, goal: 'maximize' }],
    ['an error name is minimized', { metrics: { val_error: 3 } }, { name: 'val_error', value: 3, goal: 'minimize' }],
    ['none', { metrics: {} }, null],
    ['no summary', undefined, null],
  ])('%s', (_n, summary, expected) => {
    expect(primaryMetricOf(result(summary))).toEqual(expected);
  });
});

describe('the chosen metric decides', () => {
  it.each<[string, Record<string, number>, MetricSpec | null, unknown]>([
    ['chosen over accuracy', { accuracy: 0.9, loss: 0.3 }, { name: 'loss', goal: 'minimize' }, { name: 'loss', value: 0.3, goal: 'minimize' }],
    ['its goal, not its name\'s', { loss: 0.3 }, { name: 'loss', goal: 'maximize' }, { name: 'loss', value: 0.3, goal: 'maximize' }],
    ['a custom name', { accuracy: 0.9, my_score: 12.5 }, { name: 'my_score', goal: 'maximize' }, { name: 'my_score', value: 12.5, goal: 'maximize' }],
    ['missing: no stand-in', { accuracy: 0.9 }, { name: 'loss', goal: 'minimize' }, null],
    ['not finite: none', { loss: Number.NaN }, { name: 'loss', goal: 'minimize' }, null],
    ['nothing chosen: the fallback', { loss: 0.3, accuracy: 0.9 }, null, { name: 'accuracy', value: 0.9, goal: 'maximize' }],
  ])('%s', (_n, metrics, chosen, expected) => {
    expect(decidePrimaryMetric(metrics, chosen)).toEqual(expected);
  });

  it('a result whose effective_config names a metric it lacks has none (no fallback to accuracy)', () => {
    const r = { ...result({ metrics: { accuracy: 0.9 } }), effective_config: { metric: { name: 'loss', goal: 'minimize' } } };
    expect(chosenMetricOf(r)).toEqual({ name: 'loss', goal: 'minimize' });
    expect(primaryMetricOf(r)).toBeNull();
  });
});

describe('daemon health (30 s rule)', () => {
  const beat = '2026-02-01T10:00:00Z';
  const at = (s: number) => Date.UTC(2026, 1, 1, 10, 0, s);
  const status = (state: 'running' | 'stopping' | 'stopped') => ({
    version: 1 as const, pid: 9, started_at: beat, last_heartbeat: beat, max_parallel: 2, gpu_slots: 1, active_jobs: 0, active_gpu_jobs: 0, state,
  });
  it.each([
    ['running, fresh', status('running'), at(29), 'healthy', true],
    ['running, 30 s old', status('running'), at(30), 'stale', false],
    ['stopping, fresh', status('stopping'), at(5), 'stopping', false],
    ['stopped', status('stopped'), at(5), 'stopped', false],
    ['no file', undefined, at(5), 'not_running', false],
  ] as const)('%s → %s', (_n, s, now, health, healthy) => {
    expect(assessDaemon(s, now)).toMatchObject({ health, healthy });
  });
});
