/**
 * The `runforge` binary runs the bundled CLI with V8's code cache (src/cli/bin.cts): it must work with
 * the cache missing or unusable, and write a usable one again.
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { tempWorkspace } from '../helpers/workspace.js';

const cache = path.join(REPO_ROOT, 'dist', 'runforge.cjs.cache');

describe('the runforge binary', () => {
  it('runs without a code cache, with an unusable one, and writes a usable one again', async () => {
    const ws = tempWorkspace();
    rmSync(cache, { force: true });
    const first = await runCli(['queue-status', '--json'], { cwd: ws });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).workspace).toBe(ws);
    expect(statSync(cache).size).toBeGreaterThan(10_000);

    writeFileSync(cache, 'not a V8 code cache');
    const second = await runCli(['--version'], { cwd: ws });
    expect(second).toMatchObject({ code: 0, lines: [VERSION] });
    // V8 rejected it; the binary wrote a real one in its place.
    expect(readFileSync(cache).subarray(0, 19).toString()).not.toBe('not a V8 code cache');
    expect(statSync(cache).size).toBeGreaterThan(10_000);
  });

  it('reports errors the same way from the bundle: one line, the documented exit code', async () => {
    const ws = tempWorkspace();
    const r = await runCli(['enqueue-run', '--run-id', '../etc'], { cwd: ws });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^Error: /);
  });
});
