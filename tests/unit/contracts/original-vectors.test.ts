/**
 * The original tool's documents (tests/fixtures/original/, reconstructed from SPEC.md) are read as
 * they are: each passes both validators (compiled and zod) as its kind, and survives a rewrite —
 * parse, serialise, parse — with every field it had, unknown ones at any depth included.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPILED, INVALID } from '../../../src/contracts/compiled.js';
import { checkDocument } from '../../../src/contracts/document.js';
import { detectKind, type DocumentKind, validateDocument } from '../../../src/contracts/index.js';
import { documentWarnings } from '../../../src/contracts/warnings.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const DIR = path.join(REPO_ROOT, 'tests', 'fixtures', 'original');
const KIND_OF_FILE: Record<string, DocumentKind> = { request: 'request', plan: 'plan', queue: 'queue', daemon: 'daemon', group: 'group', result: 'result' };

const VECTORS = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => [file, KIND_OF_FILE[file.split('.')[0]!]!, JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as unknown] as const);

/**
 * A copy of `doc` with an unknown field added to the document and to every object in it — but for a
 * request's `model.hyperparameters`, which its family's table judges (an unknown one is refused, issue 14).
 */
function withUnknownFields(doc: unknown, depth = 0, key = ''): unknown {
  if (Array.isArray(doc)) return doc.map((v) => withUnknownFields(v, depth + 1));
  if (typeof doc !== 'object' || doc === null) return doc;
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) copy[k] = withUnknownFields(v, depth + 1, k);
  if (key === 'hyperparameters') return copy;
  // A number: the only value every object of the contracts accepts (summary.metrics holds numbers).
  copy[`x_future_${depth}`] = depth;
  return copy;
}

const rewrite = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

describe("the original's documents", () => {
  it('cover every contract, both plan strategies and every result status', () => {
    expect(VECTORS.map(([f]) => f)).toEqual([
      'daemon.v1.json',
      'group.v1.json',
      'plan.grid.v1.json',
      'plan.list.v1.json',
      'queue.v1.json',
      'request.sweep-run.v1.json',
      'request.v1.json',
      'result.cancelled.v1.json',
      'result.failed.v1.json',
      'result.succeeded.v1.json',
    ]);
    const succeeded = VECTORS.find(([f]) => f === 'result.succeeded.v1.json')![2] as { artifacts: { type: string }[] };
    expect(succeeded.artifacts.map((a) => a.type)).toEqual([
      'model', 'metrics', 'feature_importance', 'linear_coefficients', 'encoder', 'log', 'checkpoint', 'other',
    ]);
    // The original's timestamps: naive local time with microseconds.
    const queue = VECTORS.find(([f]) => f === 'queue.v1.json')![2] as { jobs: { created_at: string }[] };
    expect(queue.jobs[0]!.created_at).toBe('2026-02-01T21:20:47.503673');
  });

  it.each(VECTORS)('%s is detected as a %s and accepted by both validators, unchanged', async (_file, kind, doc) => {
    expect(detectKind(doc)).toBe(kind);
    const zod = validateDocument(kind, rewrite(doc));
    expect(zod).toMatchObject({ ok: true });
    const compiled = await checkDocument(kind, rewrite(doc));
    expect(compiled).toMatchObject({ ok: true });
    // Every field of the file is kept with its value (defaults may be added, nothing is dropped).
    expect(zod.ok && zod.value).toMatchObject(doc as object);
    expect(compiled.ok && compiled.value).toEqual(zod.ok && zod.value);
    expect(documentWarnings(kind, doc)).toEqual([]);
  });

  it.each(VECTORS)('%s survives a rewrite with unknown fields at every depth', (_file, kind, doc) => {
    const extended = withUnknownFields(doc);
    const first = COMPILED[kind](rewrite(extended));
    expect(first).not.toBe(INVALID);
    expect(first).toMatchObject(extended as object);
    // Written and read again: the same document.
    const second = COMPILED[kind](rewrite(first));
    expect(second).toEqual(first);
    const zod = validateDocument(kind, rewrite(first));
    expect(zod.ok && zod.value).toEqual(first);
  });
});

describe('artifact types', () => {
  const result = (type: unknown): unknown => ({
    version: 1,
    status: 'succeeded',
    duration_ms: 10,
    artifacts: [
      { path: 'artifacts/model.pkl', type: 'model', bytes: 1 },
      { path: 'artifacts/fi.json', type: 'feature_importance', bytes: 2 },
      { path: 'artifacts/weights.safetensors', type, bytes: 3 },
    ],
  });

  it('an unknown type is read as it is and gets one warning line', async () => {
    const parsed = await checkDocument('result', result('weights'));
    expect(parsed.ok && parsed.value.artifacts!.map((a) => a.type)).toEqual(['model', 'feature_importance', 'weights']);
    expect(validateDocument('result', result('weights'))).toMatchObject({ ok: true });
    expect(documentWarnings('result', result('weights'))).toEqual([
      'artifacts[2].type "weights" is not a known artifact type (model, metrics, feature_importance, linear_coefficients, encoder, log, checkpoint, other); kept as is',
    ]);
  });

  it.each(['linear_coefficients', 'checkpoint', 'other'])('%s is known: no warning', (type) => {
    expect(documentWarnings('result', result(type))).toEqual([]);
  });

  it('a type that is not a string is still refused, naming the field', async () => {
    expect(await checkDocument('result', result(7))).toEqual({ ok: false, problems: ['artifacts[2].type must be a string (got number)'] });
    expect(await checkDocument('result', result(undefined))).toEqual({ ok: false, problems: ['artifacts[2].type is required'] });
  });
});
