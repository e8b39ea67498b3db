/**
 * The compiled validators (src/contracts/compiled.ts) must judge every document exactly as the zod
 * schemas do, and give the same value (defaults applied, keys in the same order). Checked over valid
 * documents of every kind and thousands of broken variants of them: each field removed, and each
 * field replaced by values of every JSON type and a few edge values.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compiledValidatorsSource } from '../../../src/contracts/compile.js';
import { COMPILED, INVALID } from '../../../src/contracts/compiled.js';
import { parseDocument } from '../../../src/contracts/document.js';
import { type DocumentKind, SCHEMAS } from '../../../src/contracts/index.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const request = {
  version: 1,
  preset: 'fast',
  dataset: { path: 'data/train.csv', label_column: 'target', sep: ',' },
  model: { family: 'random_forest', hyperparameters: { n_estimators: 10, max_depth: null } },
  device: { type: 'gpu', gpu_reason: null },
  created_at: '2026-02-01T21:20:47.503673',
  created_by: 'runforge@0.5.0',
  name: 'rf',
  notes: null,
  tags: ['a', 'b'],
  rerun_from: 'run-1',
  sweep_group_id: 'grp_1',
  seed: 7,
  future_field: { x: [1, 2] },
};
const commandRequest = { ...request, model: undefined, command: ['python', 'train.py', '--lr', '0.1'] };
/** What `runforge add` writes: no dataset, no model; the caller's folder and environment. */
const addedRequest = {
  version: 1,
  device: { type: 'cpu' },
  created_at: '2026-02-01T21:20:47Z',
  created_by: 'runforge@0.6.0',
  command: ['python', 'train.py'],
  cwd: '/home/me/project',
  env: { PATH: '/home/me/.venv/bin:/usr/bin', HOME: '/home/me' },
  timeout_s: 90,
};

const plan = {
  version: 1,
  kind: 'sweep_plan',
  created_at: '2026-02-01T15:00:00Z',
  created_by: 'runforge-desktop@0.3.4',
  workspace: '/home/me/ws',
  group: { name: 'grid', notes: 'n' },
  base_request: request,
  strategy: {
    type: 'list',
    parameters: [
      { path: 'model.hyperparameters.n_estimators', values: [50, 100] },
      { path: 'device.type', values: ['cpu', 'gpu'] },
    ],
  },
  execution: { max_parallel: 2 },
};

const job = {
  job_id: 'job_20260201_212047_0001',
  kind: 'run',
  run_id: 'r1',
  group_id: 'grp_1',
  priority: -3,
  state: 'running',
  requires_gpu: true,
  attempt: 2,
  created_at: '2026-02-01T21:20:47+01:00',
  started_at: '2026-02-01T21:20:48Z',
  finished_at: null,
  error: null,
  gpu_device: 0,
  pid: 123,
  pgid: 123,
  process_start_time: 'linux:42',
  exit_code: null,
  cancel_requested: false,
  extra: true,
};
const queue = { extra_top: 1, version: 1, kind: 'execution_queue', max_parallel: 2, gpu_slots: 0, jobs: [job, { ...job, job_id: 'j2', state: 'queued', pid: undefined }] };

const daemon = {
  version: 1,
  pid: 4242,
  started_at: '2026-02-01T21:20:47.503673',
  last_heartbeat: '2026-02-01T21:25:47Z',
  max_parallel: 2,
  gpu_slots: 1,
  active_jobs: 1,
  active_gpu_jobs: 0,
  state: 'stopping',
  jobs_per_gpu: 1,
  gpus: [{ index: 0, name: 'A100', uuid: 'GPU-1', memory_total_mb: 40960, cc: '8.0' }],
};

const group = {
  version: 1,
  kind: 'run_group',
  group_id: 'grp_1',
  created_at: '2026-02-01T21:20:47.503673',
  created_by: 'runforge-desktop@0.3.4',
  name: 'sweep',
  notes: null,
  plan_ref: 'plan.json',
  status: 'running',
  execution: { max_parallel: 2, started_at: '2026-02-01T21:20:47', finished_at: null },
  runs: [
    { run_id: 'r1', status: 'succeeded', request_overrides: { a: 1 }, result_ref: '.ml/runs/r1/result.json', primary_metric: 0.93, primary_metric_name: 'accuracy' },
    { run_id: 'r2', status: 'pending' },
  ],
  summary: { total: 2, succeeded: 1, failed: 0, canceled: 0, best_run_id: 'r1', best_primary_metric: 0.93 },
};

const result = {
  version: 1,
  status: 'failed',
  duration_ms: 12.5,
  started_at: '2026-02-01T20:20:47Z',
  finished_at: '2026-02-01T20:20:48Z',
  summary: { metrics: { accuracy: 0.93, loss: 0 }, primary_metric: null },
  artifacts: [{ path: 'artifacts/model.pkl', type: 'model', bytes: 2048 }],
  effective_config: { model: { family: 'logistic_regression' }, device: { type: 'cpu' } },
  error: { message: 'boom', type: 'ValueError', traceback: null },
  job_id: 'j1',
};

const VALID: [DocumentKind, unknown][] = [
  ['request', request],
  ['request', commandRequest],
  ['request', addedRequest],
  ['plan', plan],
  ['plan', { ...plan, strategy: { ...plan.strategy, type: 'grid' }, execution: { max_parallel: 1, fail_fast: true, stop_on_cancel: false } }],
  ['queue', queue],
  ['queue', { version: 1, kind: 'execution_queue', max_parallel: 1, gpu_slots: 1, jobs: [], last_served_group: '__ungrouped__' }],
  ['daemon', daemon],
  ['group', group],
  ['result', result],
  ['result', { version: 1, status: 'succeeded', duration_ms: 0 }],
];

/** Values every field is replaced with in turn. */
const REPLACEMENTS: unknown[] = [
  undefined, null, true, false, 0, -1, 1, 1.5, 2 ** 53, 1e308, '', 'x', ' ', '../etc', 'a..b', 'job_1',
  '2026-02-30T00:00:00', '2026-02-01T21:20:47Z', 'running', 'cpu', 'gpu', 'grid', 'list', 'succeeded', 'cancelled',
  [], [1], ['x'], [null], {}, { a: 1 }, { type: 'cpu' },
];

/** Every variant of `doc` with one value (at any depth) replaced or removed. */
function* variants(doc: unknown): Generator<unknown> {
  if (typeof doc !== 'object' || doc === null) return;
  const keys = Array.isArray(doc) ? doc.map((_, i) => i) : Object.keys(doc);
  for (const key of keys) {
    const child = (doc as Record<string | number, unknown>)[key];
    const replace = (value: unknown): unknown => {
      if (Array.isArray(doc)) return doc.map((v, i) => (i === key ? value : v)).filter((v) => v !== undefined);
      const copy: Record<string, unknown> = { ...(doc as Record<string, unknown>) };
      if (value === undefined) delete copy[key as string];
      else copy[key as string] = value;
      return copy;
    };
    for (const value of REPLACEMENTS) yield replace(value);
    for (const inner of variants(child)) yield replace(inner);
  }
}

const roundTrip = (doc: unknown): unknown => JSON.parse(JSON.stringify(doc)) as unknown;

describe('compiled validators', () => {
  it('src/contracts/compiled.ts is generated from the current contracts (npm run schemas)', () => {
    const onDisk = readFileSync(path.join(REPO_ROOT, 'src', 'contracts', 'compiled.ts'), 'utf8');
    expect(onDisk).toBe(compiledValidatorsSource());
  });

  it.each(VALID.map(([kind, doc], i) => [i, kind, doc] as const))('valid document %i (%s): same value as zod, keys in the same order', (_i, kind, doc) => {
    const input = roundTrip(doc);
    const zod = SCHEMAS[kind].safeParse(input);
    expect(zod.success).toBe(true);
    const compiled = COMPILED[kind](roundTrip(doc));
    expect(compiled).not.toBe(INVALID);
    expect(JSON.stringify(compiled)).toBe(JSON.stringify(zod.data));
  });

  it.each(VALID.map(([kind, doc], i) => [i, kind, doc] as const))('broken variants of document %i (%s): same verdict and value as zod', (_i, kind, doc) => {
    let checked = 0;
    let rejected = 0;
    const disagreements: string[] = [];
    for (const variant of variants(roundTrip(doc))) {
      const input = roundTrip(variant);
      const zod = SCHEMAS[kind].safeParse(input);
      const compiled = COMPILED[kind](roundTrip(variant));
      checked++;
      if (!zod.success) rejected++;
      const same = zod.success ? compiled !== INVALID && JSON.stringify(compiled) === JSON.stringify(zod.data) : compiled === INVALID;
      if (!same) disagreements.push(JSON.stringify(variant).slice(0, 300));
    }
    expect(disagreements).toEqual([]);
    // The corpus really exercises both verdicts.
    expect(checked).toBeGreaterThan(60);
    expect(rejected).toBeGreaterThan(checked / 4);
    expect(rejected).toBeLessThan(checked);
  });

  it('words the problems of an invalid document with zod, one per field', async () => {
    const r = await parseDocument('queue', JSON.stringify({ ...queue, jobs: [{ ...job, attempt: 0, state: 'done' }] }));
    expect(r).toEqual({
      ok: false,
      problems: ['jobs[0].state must be one of "queued", "running", "succeeded", "failed", "canceled"', 'jobs[0].attempt must be >= 1'],
    });
  });
});
