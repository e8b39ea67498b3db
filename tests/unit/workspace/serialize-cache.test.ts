/** serializeBytes must give exactly serialize's bytes, whatever was changed since the last call. */
import { describe, expect, it } from 'vitest';
import { serialize } from '../../../src/workspace/json-file.js';
import { serializeBytes } from '../../../src/workspace/serialize-cache.js';

/** A small deterministic random source, so that a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const VALUES: unknown[] = [null, true, false, 0, -1, 1.5, 1e21, 'x', '', 'é "quoted" \n newline', [], [1, 'a'], {}, { nested: { deep: [null] } }];
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

function element(r: () => number, i: number): Record<string, unknown> {
  const e: Record<string, unknown> = { id: `job_${i}`, state: pick(r, ['queued', 'running', 'succeeded']), attempt: 1 };
  if (r() < 0.5) e.overrides = { lr: r(), layers: [8, 16] };
  if (r() < 0.3) e.metric_name = 'accuracy';
  return e;
}

describe('serializeBytes', () => {
  it('gives serialize\'s bytes for documents with and without big arrays, and for non-objects', () => {
    const docs: unknown[] = [
      {},
      { a: 1 },
      { version: 1, jobs: [], last: null },
      { version: 1, jobs: Array.from({ length: 40 }, (_, i) => ({ i })), tail: { x: [1, 2] }, skipped: undefined },
      [1, 2],
      'text',
      null,
    ];
    for (const doc of docs) expect(serializeBytes(doc).toString('utf8')).toBe(serialize(doc));
  });

  it('stays exact through thousands of random changes: values, keys removed and added again (order), elements replaced, added, removed', () => {
    const r = random(7);
    const doc: { version: number; jobs: Record<string, unknown>[]; runs: Record<string, unknown>[]; note: unknown } = {
      version: 1,
      jobs: Array.from({ length: 60 }, (_, i) => element(r, i)),
      runs: Array.from({ length: 20 }, (_, i) => element(r, 1000 + i)),
      note: null,
    };
    for (let step = 0; step < 3000; step++) {
      const list = r() < 0.7 ? doc.jobs : doc.runs;
      const target = pick(r, list);
      const what = r();
      if (what < 0.35) target.state = pick(r, ['queued', 'running', 'succeeded', 'failed']);
      else if (what < 0.5) target[pick(r, ['state', 'attempt', 'extra', 'metric_name'])] = pick(r, VALUES);
      else if (what < 0.6) delete target[pick(r, ['metric_name', 'overrides', 'extra'])];
      else if (what < 0.7 && typeof target.overrides === 'object' && target.overrides !== null) (target.overrides as Record<string, unknown>).lr = r();
      else if (what < 0.75) list.push(element(r, step));
      else if (what < 0.8 && list.length > 17) list.splice(Math.floor(r() * list.length), 1);
      else if (what < 0.85) list[Math.floor(r() * list.length)] = element(r, step);
      else if (what < 0.9) doc.note = pick(r, VALUES);
      else if (what < 0.95) target.attempt = undefined;
      if (step % 3 === 0) expect(serializeBytes(doc).toString('utf8'), `step ${step}`).toBe(serialize(doc));
    }
  });

  it('notices a key moved to the end with the same value (delete, then set again)', () => {
    const doc = { runs: Array.from({ length: 20 }, (_, i) => ({ run_id: `r${i}`, a: null as unknown, b: null as unknown })) };
    serializeBytes(doc);
    const run = doc.runs[3]!;
    delete (run as { a?: unknown }).a;
    run.a = null;
    expect(serializeBytes(doc).toString('utf8')).toBe(serialize(doc));
    expect(serialize(doc)).toContain('"r3",\n      "b": null,\n      "a": null');
  });
});
