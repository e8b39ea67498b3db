import { readFileSync } from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { parseJsonOut, runCli } from '../helpers/cli.js';
import { startUi } from '../helpers/browser.js';
import { groupFile, queueFile, readJson, samplePlan, tempWorkspace, writePlan, writeRun, baseRequest } from '../helpers/workspace.js';

async function sweep(ws: string): Promise<string> {
  const r = await runCli(['enqueue-sweep', '--plan', writePlan(ws, samplePlan(ws)), '--json'], { cwd: ws });
  return parseJsonOut<{ group_id: string }>(r).group_id;
}

/** A raw HTTP request, so the Host header can be anything. */
function request(base: string, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('dashboard API', () => {
  it('GET /api/status returns the same JSON as queue-status --json', async () => {
    const ws = tempWorkspace();
    await sweep(ws);
    const ui = await startUi(ws);
    const api = JSON.parse((await request(ui.base, '/api/status')).body);
    const cli = parseJsonOut<any>(await runCli(['queue-status', '--json'], { cwd: ws }));
    delete api.generated_at_ms;
    delete cli.generated_at_ms;
    expect(api).toEqual(cli);
  });

  it('every state-changing request needs the token (403 without, nothing changes)', async () => {
    const ws = tempWorkspace();
    const gid = await sweep(ws);
    const ui = await startUi(ws);
    const before = [readFileSync(queueFile(ws), 'utf8'), readFileSync(groupFile(ws, gid), 'utf8')];
    const run = readJson(queueFile(ws)).jobs[0].run_id;
    const actions = [`/api/groups/${gid}/pause`, `/api/groups/${gid}/resume`, `/api/groups/${gid}/retry`, `/api/groups/${gid}/cancel`, `/api/runs/${run}/cancel`];
    for (const path of actions) {
      for (const headers of [{}, { 'x-runforge-token': 'wrong' }, { 'x-runforge-token': `${ui.token}x` }] as Record<string, string>[]) {
        const r = await request(ui.base, path, { method: 'POST', headers });
        expect(r.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
        expect(JSON.parse(r.body).error).toMatch(/token/);
      }
      // The token in the URL's query is not enough either: it must come as the header.
      expect((await request(ui.base, `${path}?token=${ui.token}`, { method: 'POST' })).status).toBe(403);
    }
    expect([readFileSync(queueFile(ws), 'utf8'), readFileSync(groupFile(ws, gid), 'utf8')]).toEqual(before);

    const ok = await request(ui.base, `/api/groups/${gid}/pause`, { method: 'POST', headers: { 'x-runforge-token': ui.token } });
    expect(ok.status).toBe(200);
    expect(readJson(groupFile(ws, gid)).paused).toBe(true);
    const cancel = await request(ui.base, `/api/runs/${run}/cancel`, { method: 'POST', headers: { 'x-runforge-token': ui.token } });
    expect(JSON.parse(cancel.body)).toMatchObject({ outcome: 'canceled' });
    const missing = await request(ui.base, '/api/groups/grp_nope/pause', { method: 'POST', headers: { 'x-runforge-token': ui.token } });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).error).toBe('Group not found: grp_nope');
  });

  it('listens on loopback only and refuses a foreign Host header', async () => {
    const ws = tempWorkspace();
    const ui = await startUi(ws);
    expect(new URL(ui.base).hostname).toBe('127.0.0.1');
    const port = Number(new URL(ui.base).port);
    const external = Object.values(os.networkInterfaces()).flat().find((a) => a && !a.internal && a.family === 'IPv4');
    if (external) {
      const refused = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host: external.address, port });
        s.on('connect', () => (s.destroy(), resolve(false)));
        s.on('error', () => resolve(true));
      });
      expect(refused).toBe(true);
    }
    const rebinding = await request(ui.base, '/api/status', { headers: { host: 'evil.example:80' } });
    expect(rebinding.status).toBe(403);
  });

  it('serves runs, run details, logs and metric points; bad ids are 400, unknown ones 404', async () => {
    const ws = tempWorkspace();
    writeRun(ws, 'r1', baseRequest({ name: '<img src=x onerror=alert(1)>', command: ['true'] }));
    await runCli(['run', '--run-dir', `${ws}/.ml/runs/r1`, '--quiet']);
    await runCli(['enqueue-run', '--run-id', 'r1'], { cwd: ws });
    const ui = await startUi(ws);
    const detail = JSON.parse((await request(ui.base, '/api/runs/r1')).body);
    expect(detail.request.name).toBe('<img src=x onerror=alert(1)>');
    const log = JSON.parse((await request(ui.base, '/api/runs/r1/log')).body);
    expect(log.text).toContain('[RF:STAGE=COMPLETED]');
    // The whole of logs.txt (the run has ended), and the byte offset to ask for next.
    expect(log.text).toBe(readFileSync(`${ws}/.ml/runs/r1/logs.txt`, 'utf8'));
    expect(log.next).toBe(Buffer.byteLength(log.text));
    expect((await request(ui.base, '/api/runs/..%2F..%2Fetc')).status).toBe(400);
    expect((await request(ui.base, '/api/runs/nope')).status).toBe(404);
    expect((await request(ui.base, '/api/runs?state=bogus')).status).toBe(400);
    const html = await request(ui.base, '/');
    expect(html.status).toBe(200);
    expect(html.body).not.toContain('<img src=x');
  });
});
