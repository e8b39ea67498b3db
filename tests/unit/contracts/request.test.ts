import { describe, expect, it } from 'vitest';
import { parseDocument, validateDocument } from '../../../src/contracts/index.js';

const valid = {
  version: 1,
  preset: 'balanced',
  dataset: { path: 'data/train.csv', label_column: 'target' },
  model: { family: 'random_forest', hyperparameters: { n_estimators: 50 } },
  device: { type: 'gpu', gpu_reason: null },
  created_at: '2026-02-01T21:20:47.503673',
  created_by: 'runforge-desktop@0.3.5',
  name: null,
  notes: 'baseline',
  tags: ['a', 'b'],
  seed: 7,
};

const without = (path: string): Record<string, unknown> => {
  const copy = structuredClone(valid) as Record<string, any>;
  const keys = path.split('.');
  const last = keys.pop()!;
  let node = copy;
  for (const k of keys) node = node[k];
  delete node[last];
  return copy;
};

describe('request.json contract', () => {
  it('accepts the spec example with the original naive timestamp and keeps unknown fields', () => {
    const r = validateDocument('request', { ...valid, $schema: 'x', future_field: { a: 1 } });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.future_field).toEqual({ a: 1 });
      expect(r.value.$schema).toBe('x');
    }
  });

  it('accepts a custom command without a model family', () => {
    const r = validateDocument('request', { ...without('model'), command: ['python3', 'train.py', '--lr', '0.1'] });
    expect(r.ok).toBe(true);
  });

  it('accepts a custom command without dataset and model, with its folder, environment and timeout', () => {
    const doc = { ...without('dataset'), model: undefined, command: ['python', 'train.py'], cwd: '/p', env: { PATH: '/bin' }, timeout_s: 0.5 };
    const r = validateDocument('request', doc);
    expect(r.ok).toBe(true);
  });

  it.each([
    ['dataset', without('dataset'), 'dataset is required'],
    ['timeout_s', { ...valid, timeout_s: 0 }, 'timeout_s must be > 0'],
    ['env', { ...valid, command: ['x'], env: { PATH: 1 } }, 'env.PATH must be a string (got number)'],
    ['dataset.label_column', without('dataset.label_column'), 'dataset.label_column is required'],
    ['dataset.path', without('dataset.path'), 'dataset.path is required'],
    ['model', without('model'), 'model is required (unless the request has a custom "command")'],
    ['model.family', without('model.family'), 'model.family is required (unless the request has a custom "command")'],
    ['device', without('device'), 'device is required'],
    ['created_at', without('created_at'), 'created_at is required'],
    ['version', without('version'), 'version is required'],
    ['preset', { ...valid, preset: 'quick' }, 'preset must be one of "fast", "balanced", "thorough", "custom"'],
    ['device.type', { ...valid, device: { type: 'tpu' } }, 'device.type must be one of "cpu", "gpu"'],
    ['model.family', { ...valid, model: { family: 'xgboost' } }, 'model.family must be one of "logistic_regression", "random_forest", "linear_svc", "mlp"'],
    ['version', { ...valid, version: 0 }, 'version must be >= 1'],
    ['version', { ...valid, version: '1' }, 'version must be a number (got string)'],
    ['seed', { ...valid, seed: 1.5 }, 'seed must be an integer (got number)'],
    ['created_at', { ...valid, created_at: 'yesterday' }, 'created_at must be an ISO-8601 timestamp'],
    ['tags', { ...valid, tags: ['a', 3] }, 'tags[1] must be a string (got number)'],
    ['command', { ...valid, command: [] }, 'command must have at least the program name'],
    ['dataset.path', { ...valid, dataset: { path: '', label_column: 'y' } }, 'dataset.path must not be empty'],
    ['rerun_from', { ...valid, rerun_from: '../etc' }, 'rerun_from must be 1-128 letters, digits, ".", "_" or "-", not starting with "." or "-"'],
  ])('rejects a bad %s with a message naming the field', (_field, doc, message) => {
    const r = validateDocument('request', doc);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toContain(message);
  });

  it('reports every problem, not just the first', () => {
    const r = validateDocument('request', { version: 1 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems).toEqual(
        expect.arrayContaining(['dataset is required', 'device is required', 'created_by is required']),
      );
      // preset is optional since issue 14: it changes no training.
      expect(r.problems.some((p) => p.startsWith('preset'))).toBe(false);
    }
  });

  it.each([
    ['absent: custom', undefined, 'custom'],
    ['an old file keeps its preset', 'balanced', 'balanced'],
  ])('preset %s', async (_name, preset, parsed) => {
    const doc: Record<string, unknown> = { ...valid, preset };
    if (preset === undefined) delete doc.preset;
    const r = await parseDocument('request', JSON.stringify(doc));
    expect(r.ok && r.value.preset).toBe(parsed);
  });

  it.each([
    ['', 'file is empty'],
    ['{"version": 1,', 'invalid JSON'],
    ['[1,2]', '(root) must be a JSON object (got array)'],
    ['null', '(root) must be a JSON object (got null)'],
  ])('reports unusable text %j', async (text, problem) => {
    const r = await parseDocument('request', text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]).toContain(problem);
  });

  it('rejects huge numbers as non-finite', async () => {
    const r = await parseDocument('request', JSON.stringify(valid).replace('"seed":7', '"seed":1e400'));
    expect(r.ok).toBe(false);
  });
});
