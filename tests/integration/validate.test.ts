import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonOut, runCli } from '../helpers/cli.js';
import { baseRequest, samplePlan, tempWorkspace } from '../helpers/workspace.js';

function file(ws: string, name: string, content: unknown): string {
  const p = path.join(ws, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

describe('validate', () => {
  it.each([
    ['request', baseRequest()],
    ['plan', samplePlan('/ws')],
    ['result', { version: 1, status: 'cancelled', duration_ms: 10 }],
  ])('a valid %s prints OK', async (_kind, doc) => {
    const ws = tempWorkspace();
    const r = await runCli(['validate', file(ws, 'f.json', doc)]);
    expect(r).toMatchObject({ code: 0, stdout: 'OK', stderr: '' });
  });

  it('an invalid request prints every problem (exit 2)', async () => {
    const ws = tempWorkspace();
    const doc = baseRequest({ device: { type: 'tpu' }, preset: 'quick' });
    delete (doc.dataset as Record<string, unknown>).label_column;
    const p = file(ws, 'request.json', doc);
    const r = await runCli(['validate', p]);
    expect(r.code).toBe(2);
    expect(r.lines.sort()).toEqual(
      ['dataset.label_column is required', 'device.type must be one of "cpu", "gpu"', 'preset must be one of "fast", "balanced", "thorough", "custom"'].sort(),
    );
    expect(r.stderr.trim()).toBe(`Error: ${p} is not a valid request (3 problems)`);
  });

  it('an invalid plan is exit 6', async () => {
    const ws = tempWorkspace();
    const r = await runCli(['validate', file(ws, 'plan.json', { ...samplePlan('/ws'), execution: { max_parallel: 0 } })]);
    expect(r.code).toBe(6);
    expect(r.lines).toEqual(['execution.max_parallel must be >= 1']);
  });

  it('--kind forces the kind; --json reports it', async () => {
    const ws = tempWorkspace();
    const p = file(ws, 'x.json', { hello: 1 });
    const r = await runCli(['validate', p, '--kind', 'result', '--json']);
    expect(r.code).toBe(2);
    expect(parseJsonOut(r)).toEqual({
      file: p,
      kind: 'result',
      valid: false,
      problems: ['version is required', 'status is required', 'duration_ms is required'],
      warnings: [],
    });
  });

  it.each([
    ['a missing file', (ws: string) => [path.join(ws, 'none.json')], 3, /^Error: File not found: /],
    ['an unknown --kind', (ws: string) => [file(ws, 'a.json', {}), '--kind', 'banana'], 2, /^Error: Unknown kind 'banana': use one of request, plan, queue, daemon, group, result$/],
  ])('%s', async (_n, args, code, message) => {
    const ws = tempWorkspace();
    const r = await runCli(['validate', ...args(ws)]);
    expect(r.code).toBe(code);
    expect(r.stderr.trim()).toMatch(message);
  });

  it.each([
    ['binary garbage', '\u0000\u0001\u00ff\u0010garbage'],
    ['truncated JSON', '{"version": 1, "kind": "sweep'],
    ['an unrelated object', '{"hello": "world"}'],
    ['empty', ''],
  ])('%s gets one clear problem and exit 2, no stack trace', async (_n, text) => {
    const ws = tempWorkspace();
    const r = await runCli(['validate', file(ws, 'x.json', text)]);
    expect(r.code).toBe(2);
    expect(r.lines).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
