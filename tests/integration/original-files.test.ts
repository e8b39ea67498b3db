/**
 * A workspace made of the original tool's files (tests/fixtures/original/) is usable as it is:
 * `validate` accepts each file, the status commands and the dashboard read them (a result with the
 * original's artifact types included), and a command that rewrites queue.json / group.json keeps
 * every field it does not know and the original's naive timestamps.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startUi } from '../helpers/browser.js';
import { parseJsonOut, REPO_ROOT, runCli } from '../helpers/cli.js';
import { groupFile, queueFile, readJson, tempWorkspace } from '../helpers/workspace.js';

const ORIGINAL = path.join(REPO_ROOT, 'tests', 'fixtures', 'original');
const vector = (name: string): any => JSON.parse(readFileSync(path.join(ORIGINAL, name), 'utf8'));

const GROUP = 'grp_20260201_212503_lr-c-sweep';
const BASELINE = '20260201_212047_rf-baseline';
const SWEEP_RUNS = [1, 2, 3, 4, 5].map((i) => `20260201_212503-sweep-000${i}`);
const UNKNOWN_ARTIFACT = { path: 'artifacts/weights.safetensors', type: 'safetensors_weights', bytes: 4096 };

function writeJson(file: string, doc: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
}

/** The original's files in their places, with fields a newer tool might have added. */
function originalWorkspace(): string {
  const ws = tempWorkspace();
  const queue = vector('queue.v1.json');
  queue.ui_sort = 'created';
  queue.jobs.forEach((j: any) => (j.host = 'DESKTOP-ANA'));
  writeJson(queueFile(ws), queue);
  copyFileSync(path.join(ORIGINAL, 'daemon.v1.json'), path.join(ws, '.runforge', 'queue', 'daemon.json'));
  const group = vector('group.v1.json');
  group.color = 'teal';
  group.execution.machine = 'DESKTOP-ANA';
  group.runs.forEach((r: any) => (r.note = `run ${r.run_id}`));
  writeJson(groupFile(ws, GROUP), group);
  copyFileSync(path.join(ORIGINAL, 'plan.list.v1.json'), path.join(ws, '.runforge', 'groups', GROUP, 'plan.json'));
  const run = (id: string): string => path.join(ws, '.ml', 'runs', id);
  for (const id of SWEEP_RUNS) writeJson(path.join(run(id), 'request.json'), { ...vector('request.sweep-run.v1.json'), sweep_group_id: GROUP });
  for (const id of [BASELINE, '20260201_213010_rf-deeper']) writeJson(path.join(run(id), 'request.json'), vector('request.v1.json'));
  const baseline = vector('result.succeeded.v1.json');
  baseline.artifacts.push(UNKNOWN_ARTIFACT);
  writeJson(path.join(run(BASELINE), 'result.json'), baseline);
  writeJson(path.join(run(SWEEP_RUNS[0]!), 'result.json'), vector('result.succeeded.v1.json'));
  writeJson(path.join(run(SWEEP_RUNS[1]!), 'result.json'), vector('result.failed.v1.json'));
  writeJson(path.join(run(SWEEP_RUNS[2]!), 'result.json'), vector('result.cancelled.v1.json'));
  return ws;
}

function get(base: string, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${base}${urlPath}`, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

const ALL_TYPES = ['model', 'metrics', 'feature_importance', 'linear_coefficients', 'encoder', 'log', 'checkpoint', 'other'];

describe("the original's files", () => {
  it.each(readdirSync(ORIGINAL).filter((f) => f.endsWith('.json')))('runforge validate %s: OK, no warning', async (file) => {
    const r = await runCli(['validate', path.join(ORIGINAL, file)]);
    expect(r).toMatchObject({ code: 0, stdout: 'OK', stderr: '' });
  });

  it('validate: an artifact type it does not know is accepted with one warning line', async () => {
    const ws = originalWorkspace();
    const file = path.join(ws, '.ml', 'runs', BASELINE, 'result.json');
    const r = await runCli(['validate', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('OK');
    expect(r.stderr).toBe(
      'Warning: artifacts[8].type "safetensors_weights" is not a known artifact type ' +
        '(model, metrics, feature_importance, linear_coefficients, encoder, log, checkpoint, other); kept as is',
    );
    const json = parseJsonOut(await runCli(['validate', file, '--json']));
    expect(json).toEqual({
      file,
      kind: 'result',
      valid: true,
      problems: [],
      warnings: [expect.stringMatching(/^artifacts\[8\]\.type "safetensors_weights" is not a known artifact type/)],
    });
  });

  it('queue-status, history and the dashboard API read the workspace', async () => {
    const ws = originalWorkspace();
    const status = await runCli(['queue-status', '--json', '--workspace', ws]);
    expect(status.code).toBe(0);
    const s = parseJsonOut<any>(status);
    expect(s.jobs).toEqual({ queued: 2, running: 1, succeeded: 2, failed: 1, canceled: 1, total: 7, waiting_for_gpu: 0 });
    expect(s.daemon).toMatchObject({ health: 'stale', healthy: false, pid: 4242, last_heartbeat: '2026-02-01T21:26:41.552100' });
    expect(s.groups).toEqual([
      expect.objectContaining({ group_id: GROUP, status: 'running', total: 5, succeeded: 1, failed: 1, canceled: 1, running: 1, queued: 1, best_run_id: SWEEP_RUNS[0], best_primary_metric: 0.9667 }),
    ]);
    expect(s.last_served_group).toBe(GROUP);

    const history = await runCli(['history', '--json', '--workspace', ws]);
    expect(history.code).toBe(0);
    const rows = new Map(parseJsonOut<{ runs: any[] }>(history).runs.map((r) => [r.run_id, r]));
    // The metric comes from result.json: a result the port could not read would show none.
    expect(rows.get(BASELINE)).toMatchObject({ state: 'succeeded', metric_name: 'accuracy', metric: 0.9667, duration_ms: 5421, device: 'cpu' });
    expect(rows.get(SWEEP_RUNS[0]!)).toMatchObject({ metric_name: 'accuracy', metric: 0.9667, duration_ms: 5421 });
    expect(rows.get(SWEEP_RUNS[1]!)).toMatchObject({ state: 'failed', duration_ms: 804, device: 'cpu (no_gpu_detected)' });

    const board = await runCli(['groups', 'show', GROUP, '--json', '--workspace', ws]);
    expect(board.code).toBe(0);
    expect(parseJsonOut<{ leaderboard: any[] }>(board).leaderboard[0]).toMatchObject({ rank: 1, run_id: SWEEP_RUNS[0], metric: 0.9667, duration_ms: 5421, family: 'logistic_regression' });

    const ui = await startUi(ws);
    const detail = await get(ui.base, `/api/runs/${BASELINE}`);
    expect(detail.status).toBe(200);
    const body = JSON.parse(detail.body);
    expect(body.problems).toEqual([]);
    expect(body.result.artifacts.map((a: any) => a.type)).toEqual([...ALL_TYPES, 'safetensors_weights']);
    expect(body.result.artifacts[8]).toEqual(UNKNOWN_ARTIFACT);
  });

  it('pause-group, resume-group and enqueue-run rewrite the files and keep what they do not know', async () => {
    const ws = originalWorkspace();
    const queueBefore = readJson(queueFile(ws));
    const groupBefore = readJson(groupFile(ws, GROUP));

    expect(await runCli(['pause-group', '--group-id', GROUP, '--workspace', ws])).toMatchObject({ code: 0, lines: [`[RF:GROUP=PAUSED ${GROUP}]`, `Paused group ${GROUP}`] });
    expect(readJson(groupFile(ws, GROUP))).toEqual({ ...groupBefore, paused: true });
    expect(await runCli(['resume-group', '--group-id', GROUP, '--workspace', ws])).toMatchObject({ code: 0 });
    expect(readJson(groupFile(ws, GROUP))).toEqual(groupBefore);

    mkdirSync(path.join(ws, '.ml', 'runs', 'r-new'), { recursive: true });
    writeJson(path.join(ws, '.ml', 'runs', 'r-new', 'request.json'), vector('request.v1.json'));
    const enqueued = await runCli(['enqueue-run', '--run-id', 'r-new', '--workspace', ws]);
    expect(enqueued.code).toBe(0);
    const queueAfter = readJson(queueFile(ws));
    // The original's jobs are kept field for field (naive timestamps, unknown `host`), the new one appended.
    expect(queueAfter).toEqual({ ...queueBefore, jobs: [...queueBefore.jobs, expect.objectContaining({ run_id: 'r-new', state: 'queued', requires_gpu: true })] });
    expect(queueAfter.ui_sort).toBe('created');
  });
});
