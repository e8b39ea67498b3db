import { describe, expect, it } from 'vitest';
import { detectKind, validateDocument } from '../../../src/contracts/index.js';

const request = {
  version: 1,
  preset: 'fast',
  dataset: { path: 'data/train.csv', label_column: 'target' },
  model: { family: 'logistic_regression' },
  device: { type: 'cpu' },
  created_at: '2026-02-01T21:20:47Z',
  created_by: 'runforge@0.5.0',
};

const plan = {
  version: 1,
  kind: 'sweep_plan',
  created_at: '2026-02-01T15:00:00Z',
  created_by: 'runforge-desktop@0.3.4',
  workspace: 'C:\\path\\to\\workspace',
  group: { name: 'rf depth x estimators', notes: 'CPU-only' },
  base_request: request,
  strategy: {
    type: 'grid',
    parameters: [
      { path: 'model.hyperparameters.n_estimators', values: [50, 100, 200] },
      { path: 'model.hyperparameters.max_depth', values: [null, 10, 30] },
    ],
  },
  execution: { max_parallel: 2, fail_fast: false, stop_on_cancel: true },
};

const job = {
  job_id: 'job_20260201_212047_0001',
  kind: 'run',
  run_id: '20260201-212047-rf-a1b2',
  group_id: null,
  priority: 0,
  state: 'queued',
  requires_gpu: false,
  attempt: 1,
  created_at: '2026-02-01T21:20:47.503673',
  started_at: null,
  finished_at: null,
  error: null,
};

const queue = { version: 1, kind: 'execution_queue', max_parallel: 2, gpu_slots: 1, jobs: [job], last_served_group: null };

const daemon = {
  version: 1,
  pid: 4242,
  started_at: '2026-02-01T21:20:47.503673',
  last_heartbeat: '2026-02-01T21:25:47.503673',
  max_parallel: 2,
  gpu_slots: 1,
  active_jobs: 1,
  active_gpu_jobs: 0,
  state: 'running',
};

const group = {
  version: 1,
  kind: 'run_group',
  group_id: 'grp_20260201_212047_ab12',
  created_at: '2026-02-01T21:20:47.503673',
  created_by: 'runforge-desktop@0.3.4',
  name: 'sweep',
  notes: null,
  plan_ref: 'plan.json',
  status: 'completed',
  execution: { max_parallel: 2, started_at: '2026-02-01T21:20:47', finished_at: '2026-02-01T21:30:00', cancelled: false },
  runs: [
    { run_id: 'r1', status: 'succeeded', request_overrides: { 'model.hyperparameters.C': 1 }, result_ref: '.ml/runs/r1/result.json', primary_metric: 0.93 },
  ],
  summary: { total: 1, succeeded: 1, failed: 0, canceled: 0, best_run_id: 'r1', best_primary_metric: 0.93 },
};

const result = {
  version: 1,
  status: 'succeeded',
  duration_ms: 1234,
  started_at: '2026-02-01T20:20:47Z',
  finished_at: '2026-02-01T20:20:48Z',
  summary: { metrics: { accuracy: 0.93, f1_score: 0.92 }, primary_metric: { name: 'accuracy', value: 0.93 } },
  artifacts: [{ path: 'artifacts/model.pkl', type: 'model', bytes: 2048 }],
  effective_config: { model: { family: 'logistic_regression', hyperparameters: { max_iter: 1000 } }, device: { type: 'cpu' } },
};

describe('file contracts', () => {
  it.each([
    ['plan', plan],
    ['queue', queue],
    ['daemon', daemon],
    ['group', group],
    ['result', result],
    ['request', request],
  ] as const)('accepts a valid %s and detects its kind', (kind, doc) => {
    expect(validateDocument(kind, doc).ok).toBe(true);
    expect(detectKind(doc)).toBe(kind);
  });

  it('keeps unknown fields of every nested object when a queue is re-serialised', () => {
    const doc = { ...queue, extra: 1, jobs: [{ ...job, future: { x: 1 } }] };
    const r = validateDocument('queue', doc);
    expect(r.ok && r.value.extra).toBe(1);
    expect(r.ok && r.value.jobs[0]!.future).toEqual({ x: 1 });
  });

  it('accepts the original group.json without `paused` and defaults it to false', () => {
    const r = validateDocument('group', group);
    expect(r.ok && r.value.paused).toBe(false);
  });

  it('accepts a failed result with an error block', () => {
    const r = validateDocument('result', { version: 1, status: 'failed', duration_ms: 5, error: { message: 'boom', type: 'ValueError' } });
    expect(r.ok).toBe(true);
  });

  it.each([
    ['plan', { ...plan, kind: 'plan' }, 'kind must be "sweep_plan"'],
    ['plan', { ...plan, execution: { max_parallel: 0 } }, 'execution.max_parallel must be >= 1'],
    ['plan', { ...plan, strategy: { type: 'bayes', parameters: plan.strategy.parameters } }, 'strategy.type must be one of "grid", "list", "random"'],
    ['plan', { ...plan, strategy: { type: 'random', parameters: plan.strategy.parameters } }, 'strategy.n_trials is required for a "random" strategy'],
    ['plan', { ...plan, strategy: { type: 'grid', parameters: [] } }, 'strategy.parameters must have at least one parameter'],
    [
      'plan',
      { ...plan, strategy: { type: 'list', parameters: [{ path: 'a.b', values: [1, 2] }, { path: 'a.c', values: [1] }] } },
      'strategy.parameters[1].values must have 2 values like every other parameter of a "list" strategy (has 1)',
    ],
    ['plan', { ...plan, strategy: { type: 'grid', parameters: [{ path: 'a..b', values: [1] }] } }, 'strategy.parameters[0].path must be a dot path such as "model.hyperparameters.max_depth"'],
    ['plan', { ...plan, base_request: { ...request, dataset: {} } }, 'base_request.dataset.path is required'],
    ['queue', { ...queue, jobs: [{ ...job, state: 'done' }] }, 'jobs[0].state must be one of "queued", "running", "succeeded", "failed", "canceled"'],
    ['queue', { ...queue, jobs: [{ ...job, run_id: '../../etc' }] }, 'jobs[0].run_id must be 1-128 letters, digits, ".", "_" or "-", not starting with "." or "-"'],
    ['queue', { ...queue, jobs: [{ ...job, attempt: 0 }] }, 'jobs[0].attempt must be >= 1'],
    ['queue', { ...queue, jobs: [{ ...job, created_at: '2026-13-01T00:00:00' }] }, 'jobs[0].created_at must be an ISO-8601 timestamp'],
    ['daemon', { ...daemon, state: 'zombie' }, 'state must be one of "running", "stopping", "stopped"'],
    ['group', { ...group, status: 'done' }, 'status must be one of "running", "completed", "failed", "canceled"'],
    ['result', { ...result, status: 'canceled' }, 'status must be one of "succeeded", "failed", "cancelled"'],
    ['result', { ...result, duration_ms: -1 }, 'duration_ms must be >= 0'],
    ['result', { version: 1, status: 'succeeded' }, 'duration_ms is required'],
  ] as const)('rejects a bad %s: %s', (kind, doc, message) => {
    const r = validateDocument(kind, doc);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toContain(message);
  });

  it('cannot detect the kind of an unrelated object', () => {
    expect(detectKind({ hello: 'world' })).toBeUndefined();
    expect(detectKind([1])).toBeUndefined();
  });
});
