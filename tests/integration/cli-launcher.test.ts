/**
 * The `runforge` binary runs the bundled CLI with V8's code cache (src/cli/bin.cts): it must work with
 * the cache missing or unusable, and write a usable one again.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { queueFile, readJson, tempWorkspace, writeRun } from '../helpers/workspace.js';

const cache = path.join(REPO_ROOT, 'dist', 'runforge.cjs.cache');
const CLI_BUNDLE_ENTRY = path.join(REPO_ROOT, 'dist', 'cli', 'bin.cjs');

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

  // Status and enqueue commands run often and must start fast: zod (dist/zod.cjs) is loaded only to word
  // the problems of an invalid file (docs/architecture.md, "How a command starts fast").
  it('queue-status, enqueue-run and add do not load zod, even where status reads a job\'s exit file', async () => {
    const ws = tempWorkspace();
    const trace = path.join(mkdtempSync(path.join(os.tmpdir(), 'runforge-trace-')), 'loads.txt');
    const hook = path.join(path.dirname(trace), 'hook.cjs');
    writeFileSync(hook, `const fs = require('fs'); const M = require('module'); const load = M._load;
M._load = function (req) { fs.appendFileSync(${JSON.stringify(trace)}, req + '\\n'); return load.apply(this, arguments); };`);
    const env = { NODE_OPTIONS: `--require ${hook}` };
    writeRun(ws, 'r1');
    const enq = await runCli(['enqueue-run', '--run-id', 'r1'], { cwd: ws, env });
    expect(enq.stderr).toBe('');
    expect(enq.code).toBe(0);
    // The job left running by a daemon that is gone, its program ended: status reads the exit file.
    const queue = readJson(queueFile(ws));
    Object.assign(queue.jobs[0], { state: 'running', started_at: new Date().toISOString(), pid: 999_999_999 });
    writeFileSync(queueFile(ws), JSON.stringify(queue));
    writeFileSync(path.join(ws, '.ml', 'runs', 'r1', '.exit_status'), '{"pid": 999999999, "exit_code": 0, "signal": null}');
    const status = await runCli(['queue-status', '--json'], { cwd: ws, env });
    expect(status.code).toBe(0);
    // `runforge add` writes a request and queues it: the request is built, not read, so no zod either.
    const add = await runCli(['add', '--name', 'n', '--env', 'A=1', '--timeout', '60', '--', 'python3', 'train.py'], { cwd: ws, env });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(JSON.parse(status.stdout).running[0].ended).toMatchObject({ exit_code: 0 });
    const loads = readFileSync(trace, 'utf8').split('\n');
    expect(loads.filter((l) => l === CLI_BUNDLE_ENTRY)).toHaveLength(3);
    expect(loads.filter((l) => l.includes('zod'))).toEqual([]);
  });
});
