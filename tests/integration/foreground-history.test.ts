/**
 * Runs that ran outside the queue — a foreground `runforge run`, a direct `runforge sweep` — in
 * `history`, `groups` and the dashboard's API; a direct sweep's failed run explained in words; and the
 * one `ERROR:` line of a failed run's logs.txt (built-in trainer and custom command, foreground and
 * daemon).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonOut, runCli } from '../helpers/cli.js';
import { startUi } from '../helpers/browser.js';
import { FAST, startDaemon } from '../helpers/daemon.js';
import { baseRequest, samplePlan, tempWorkspace, writeDataset, writePlan, writeRun } from '../helpers/workspace.js';

const commandRequest = (command: string[]): Record<string, unknown> => {
  const request = baseRequest({ command });
  delete request.model;
  return request;
};

function getJson(base: string, urlPath: string): Promise<any> {
  return new Promise((resolve, reject) => {
    http
      .get(`${base}${urlPath}`, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`${res.statusCode}: ${body}`))));
      })
      .on('error', reject);
  });
}

describe('runs outside the queue in history', () => {
  it('a foreground run appears in history --json with its status and origin, and in the table', async () => {
    const ws = tempWorkspace();
    const ok = writeRun(ws, 'fg-ok', commandRequest(['true']));
    const bad = writeRun(ws, 'fg-bad', commandRequest(['sh', '-c', 'exit 3']));
    expect((await runCli(['run', '--run-dir', ok, '--quiet'], { cwd: ws })).code).toBe(0);
    expect((await runCli(['run', '--run-dir', bad, '--quiet'], { cwd: ws })).code).toBe(1);
    // Prepared but never run: no result.json, so nothing to list.
    writeRun(ws, 'never-ran', commandRequest(['true']));

    const r = await runCli(['history', '--json'], { cwd: ws });
    expect(r.code).toBe(0);
    const runs = parseJsonOut<{ runs: any[] }>(r).runs;
    expect(runs.map((x) => x.run_id).sort()).toEqual(['fg-bad', 'fg-ok']);
    expect(runs.find((x) => x.run_id === 'fg-ok')).toMatchObject({ state: 'succeeded', origin: 'foreground', job_id: null, attempt: null, group_id: null, device: 'cpu', error: null });
    expect(runs.find((x) => x.run_id === 'fg-bad')).toMatchObject({ state: 'failed', origin: 'foreground', error: 'Command exited with code 3' });
    expect(runs.find((x) => x.run_id === 'fg-ok').duration_ms).toBeGreaterThanOrEqual(0);

    const failedOnly = parseJsonOut<{ runs: any[] }>(await runCli(['history', '--json', '--state', 'failed'], { cwd: ws })).runs;
    expect(failedOnly.map((x) => x.run_id)).toEqual(['fg-bad']);

    const table = await runCli(['history'], { cwd: ws });
    expect(table.lines[0]).toMatch(/^RUN\s+STATE\s+ORIGIN\s+ATTEMPT\s+DEVICE\s/);
    expect(table.lines.find((l) => l.startsWith('fg-ok'))).toMatch(/^fg-ok\s+succeeded\s+foreground\s+-\s+cpu\s/);
  });

  it('a run that went through the daemon is still listed once, as the daemon\'s', async () => {
    const ws = tempWorkspace();
    writeRun(ws, 'queued-one', commandRequest(['true']));
    expect((await runCli(['enqueue-run', '--run-id', 'queued-one'], { cwd: ws })).code).toBe(0);
    const d = startDaemon(ws, FAST);
    await d.waitForLine(/^\[RF:QUEUE=JOB_DONE \S+ run_id=queued-one status=succeeded\]$/, 60_000);
    const runs = parseJsonOut<{ runs: any[] }>(await runCli(['history', '--json'], { cwd: ws })).runs;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ run_id: 'queued-one', origin: 'daemon', attempt: 1, state: 'succeeded' });
    expect(runs[0].job_id).toMatch(/^job_/);
  }, 180_000);
});

describe('a direct sweep with a failing run', () => {
  it('prints why the run failed, and its runs show in history, groups and the dashboard', async () => {
    const ws = tempWorkspace();
    const plan = samplePlan(ws, {
      base_request: commandRequest(['true']),
      strategy: { type: 'list', parameters: [{ path: 'command', values: [['true'], ['sh', '-c', 'exit 3']] }] },
      execution: { max_parallel: 1, fail_fast: false, stop_on_cancel: true },
    });
    const r = await runCli(['sweep', '--plan', writePlan(ws, plan)], { cwd: ws });
    expect(r.code).toBe(1);
    const gid = /^\[RF:GROUP=START (\S+) runs=2\]$/.exec(r.lines[0]!)![1]!;
    // The token stays verbatim; the reason follows it on its own line.
    const done = r.lines.indexOf(`[RF:GROUP=RUN_DONE ${gid}-run-002 status=failed]`);
    expect(done).toBeGreaterThan(0);
    expect(r.lines[done + 1]).toBe(`  ${gid}-run-002 failed: Command exited with code 3`);
    // A succeeded run gets no such line.
    const okDone = r.lines.indexOf(`[RF:GROUP=RUN_DONE ${gid}-run-001 status=succeeded]`);
    expect(r.lines[okDone + 1]).toBe(`[RF:GROUP=RUN ${gid}-run-002 2/2]`);
    expect(r.lines.at(-1)).toBe(`[RF:GROUP=COMPLETE ${gid} succeeded=1 failed=1 canceled=0]`);

    const expected = [
      { run_id: `${gid}-run-002`, state: 'failed', origin: 'direct-sweep', group_id: gid, error: 'Command exited with code 3' },
      { run_id: `${gid}-run-001`, state: 'succeeded', origin: 'direct-sweep', group_id: gid, error: null },
    ];
    const history = parseJsonOut<{ runs: any[] }>(await runCli(['history', '--json', '--group', gid], { cwd: ws })).runs;
    expect(history.map((x) => x.run_id).sort()).toEqual([`${gid}-run-001`, `${gid}-run-002`]);
    for (const e of expected) expect(history.find((x) => x.run_id === e.run_id)).toMatchObject(e);

    const groups = parseJsonOut<{ groups: any[] }>(await runCli(['groups', '--json'], { cwd: ws })).groups;
    expect(groups.map((g) => g.group_id)).toEqual([gid]);
    expect(groups[0]).toMatchObject({ status: 'failed', total: 2, succeeded: 1, failed: 1 });

    const ui = await startUi(ws);
    const api = await getJson(ui.base, '/api/runs');
    expect(api.runs.map((x: any) => x.run_id).sort()).toEqual([`${gid}-run-001`, `${gid}-run-002`]);
    for (const e of expected) expect(api.runs.find((x: any) => x.run_id === e.run_id)).toMatchObject(e);
    const onlyFailed = await getJson(ui.base, `/api/runs?group=${gid}&state=failed`);
    expect(onlyFailed.runs.map((x: any) => x.run_id)).toEqual([`${gid}-run-002`]);
    const detail = await getJson(ui.base, `/api/runs/${gid}-run-002`);
    expect(detail).toMatchObject({ job: null, result: { status: 'failed', error: { message: 'Command exited with code 3' } } });
  }, 180_000);
});

describe('a failed run has exactly one ERROR: line in logs.txt', () => {
  const badLabel = (): Record<string, unknown> => baseRequest({ dataset: { path: 'data/train.csv', label_column: 'no_such_column' } });
  const errorLines = (dir: string): string[] => readFileSync(path.join(dir, 'logs.txt'), 'utf8').split('\n').filter((l) => l.includes('ERROR:'));
  const labelError = /^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] ERROR: Label column 'no_such_column' not found/;

  it('foreground: the built-in trainer failing (bad label column) and a custom command exiting 3', async () => {
    const ws = tempWorkspace();
    writeDataset(ws);
    const trainer = writeRun(ws, 'trainer-bad', badLabel());
    const command = writeRun(ws, 'command-bad', commandRequest(['sh', '-c', 'echo working; exit 3']));
    expect((await runCli(['run', '--run-dir', trainer, '--quiet'], { cwd: ws })).code).toBe(1);
    expect((await runCli(['run', '--run-dir', command, '--quiet'], { cwd: ws })).code).toBe(1);
    expect(errorLines(trainer)).toHaveLength(1);
    expect(errorLines(trainer)[0]).toMatch(labelError);
    expect(errorLines(command)).toEqual([expect.stringMatching(/^\[[\d :-]+\] ERROR: Command exited with code 3$/)]);
  }, 180_000);

  it('daemon: the built-in trainer failing (bad label column) and a custom command exiting 3', async () => {
    const ws = tempWorkspace();
    writeDataset(ws);
    const trainer = writeRun(ws, 'trainer-bad', badLabel());
    const command = writeRun(ws, 'command-bad', commandRequest(['sh', '-c', 'echo working; exit 3']));
    const d = startDaemon(ws, FAST);
    for (const id of ['trainer-bad', 'command-bad']) expect((await runCli(['enqueue-run', '--run-id', id], { cwd: ws })).code).toBe(0);
    await d.waitForLine(/^\[RF:QUEUE=JOB_DONE \S+ run_id=trainer-bad status=failed\]$/, 120_000);
    await d.waitForLine(/^\[RF:QUEUE=JOB_DONE \S+ run_id=command-bad status=failed\]$/, 120_000);
    expect(errorLines(trainer)).toHaveLength(1);
    expect(errorLines(trainer)[0]).toMatch(labelError);
    expect(errorLines(command)).toEqual([expect.stringMatching(/^\[[\d :-]+\] ERROR: Command exited with code 3$/)]);
  }, 180_000);
});
