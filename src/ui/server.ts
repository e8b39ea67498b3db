/**
 * The local web dashboard: node:http on 127.0.0.1 only. Reads are open to this machine; every
 * state-changing request needs the token that `runforge ui` puts into the URL it prints (403
 * otherwise). Requests whose Host is not this server (DNS rebinding) or that come from another
 * address are refused. Live updates are server-sent events.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type JobState, JOB_STATES } from '../contracts/constants.js';
import type { Clock } from '../infra/clock.js';
import { RunForgeError, ExitCode } from '../infra/errors.js';
import { cancelGroup, cancelRun, retryFailed, setGroupPaused } from '../ops/control.js';
import { rankRuns, runHistory } from '../ops/history.js';
import { resolveGroupId, resolveRunId } from '../ops/ids.js';
import { leaderboard } from '../ops/leaderboard.js';
import { readLog, readMetricPoints, runDetail } from '../ops/run-detail.js';
import { collectStatus } from '../ops/status.js';
import { openFileStore } from '../store/file/file-store.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import type { Store } from '../store/store.js';
import { DASHBOARD_HTML } from './page.js';

export interface UiOptions {
  port: number;
  token: string;
  /** Heartbeat age (ms) after which the daemon is shown as gone. Default 30000. */
  staleAfterMs?: number;
  /** How often (ms) live clients are sent a fresh status even without file changes. Default 1000. */
  tickMs?: number;
}

export interface UiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json; charset=utf-8'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    ...(type.startsWith('text/html')
      ? { 'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:" }
      : {}),
  });
  res.end(text);
}

const HTTP_OF_EXIT: Record<number, number> = {
  [ExitCode.usage]: 400,
  [ExitCode.missingFiles]: 404,
  [ExitCode.failed]: 409,
  [ExitCode.invalidPlan]: 400,
  [ExitCode.internal]: 500,
};

function sendError(res: ServerResponse, err: unknown): void {
  if (err instanceof RunForgeError) return send(res, HTTP_OF_EXIT[err.exitCode] ?? 500, { error: err.message });
  send(res, 500, { error: err instanceof Error ? err.message : String(err) });
}

function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The live status the dashboard shows: sent to every open event stream when it changes. */
class StatusStream {
  readonly clients = new Set<ServerResponse>();
  private lastSent = '';
  private pending: NodeJS.Timeout | undefined;

  constructor(private readonly snapshot: () => Promise<string>) {}

  async broadcast(force = false): Promise<void> {
    if (this.clients.size === 0) return;
    const data = await this.snapshot();
    const comparable = data.replace(/"generated_at_ms":\d+,/, '').replace(/"heartbeat_age_s":[\d.]+/, '');
    if (!force && comparable === this.lastSent) return;
    this.lastSent = comparable;
    for (const res of this.clients) res.write(`event: status\ndata: ${data}\n\n`);
  }

  /** A broadcast shortly, once for a burst of changes. */
  soon(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      void this.broadcast();
    }, 50);
  }

  close(): void {
    if (this.pending) clearTimeout(this.pending);
    for (const res of this.clients) res.end();
  }
}

/** A control the dashboard posts (`/api/groups/<id>/<action>`, `/api/runs/<id>/cancel`). */
async function handleAction(store: Store, ws: WorkspacePaths, parts: string[], res: ServerResponse): Promise<void> {
  if (parts[0] === 'api' && parts[1] === 'groups' && parts[2] && parts[3]) {
    // Ids as the CLI takes them: a unique prefix or `latest` too (an ambiguous one is a 400).
    const gid = await resolveGroupId(store, ws, parts[2]);
    switch (parts[3]) {
      case 'pause':
        return send(res, 200, { group_id: gid, paused: (await setGroupPaused(store, ws, gid, true)).group.paused });
      case 'resume':
        return send(res, 200, { group_id: gid, paused: (await setGroupPaused(store, ws, gid, false)).group.paused });
      case 'retry':
        return send(res, 200, { group_id: gid, retried: (await retryFailed(store, ws, gid)).jobs.map((j) => j.job_id) });
      case 'cancel': {
        const out = await cancelGroup(store, ws, gid);
        return send(res, 200, { group_id: gid, status: out.group.status, canceled: out.canceled.length, stopping: out.flagged.length });
      }
    }
  }
  if (parts[0] === 'api' && parts[1] === 'runs' && parts[2] && parts[3] === 'cancel') {
    const out = await cancelRun(store, ws, { runId: parts[2] });
    return send(res, 200, { job_id: out.job.job_id, outcome: out.outcome });
  }
  return send(res, 404, { error: 'No such action' });
}

/** `/api/runs` (the runs table) and `/api/runs/<id>[/log|/metrics]`. */
async function handleRuns(store: Store, ws: WorkspacePaths, parts: string[], url: URL, res: ServerResponse): Promise<void> {
  if (!parts[2]) {
    const state = url.searchParams.get('state') || undefined;
    if (state && !(JOB_STATES as readonly string[]).includes(state)) return send(res, 400, { error: `Unknown state ${state}` });
    const typedGroup = url.searchParams.get('group') || undefined;
    const group = typedGroup === undefined ? undefined : await resolveGroupId(store, ws, typedGroup);
    const sort = url.searchParams.get('sort') || 'time';
    if (sort !== 'time' && sort !== 'metric') return send(res, 400, { error: `Unknown sort ${sort} (time or metric)` });
    const ranked = rankRuns(await runHistory(store, ws, { group, state: state as JobState | undefined }), sort === 'metric');
    return send(res, 200, { metric: ranked.metric, runs: ranked.rows });
  }
  const runId = await resolveRunId(store, ws, parts[2]);
  if (parts[3] === 'log') return send(res, 200, await readLog(ws, runId, Number(url.searchParams.get('from') ?? 0) || 0));
  if (parts[3] === 'metrics') return send(res, 200, { points: await readMetricPoints(ws, runId) });
  return send(res, 200, await runDetail(store, ws, runId));
}

export async function startUiServer(ws: WorkspacePaths, clock: Clock, options: UiOptions): Promise<UiServer> {
  // One store for the server's life: every request reads and updates through it.
  const store = openFileStore(ws, clock);
  const snapshot = async (): Promise<string> => {
    try {
      return JSON.stringify(await collectStatus(store, ws, clock, options.staleAfterMs));
    } catch (err) {
      return JSON.stringify({ error: err instanceof Error ? err.message : String(err) });
    }
  };
  const stream = new StatusStream(snapshot);
  // Changes by others push a fresh status at once, and so do this server's own controls (below); the
  // tick covers heartbeat ageing and a workspace whose .runforge/ does not exist yet.
  const watcher = store.watch(
    () => stream.soon(),
    () => undefined,
  );
  const tick = setInterval(() => void stream.broadcast(), options.tickMs ?? 1000);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) return send(res, 403, { error: 'Only this machine may use the dashboard' });
    const host = (req.headers.host ?? '').toLowerCase();
    if (!/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(host)) return send(res, 403, { error: `Host ${host} is not this dashboard` });
    const url = new URL(req.url ?? '/', `http://${host}`);
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method === 'POST') {
      if (!tokenMatches(req.headers['x-runforge-token'] as string | undefined, options.token)) {
        return send(res, 403, { error: 'Missing or wrong token: open the URL that `runforge ui` printed' });
      }
      req.resume();
      return handleAction(store, ws, parts, res).finally(() => stream.soon());
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'Method not allowed' });
    if (parts.length === 0) return send(res, 200, DASHBOARD_HTML, 'text/html; charset=utf-8');
    if (parts[0] === 'favicon.ico') return send(res, 204, '');
    if (parts[0] !== 'api') return send(res, 404, { error: 'Not found' });
    switch (parts[1]) {
      case 'status':
        return send(res, 200, await snapshot());
      case 'events': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        res.write(`retry: 1000\nevent: status\ndata: ${await snapshot()}\n\n`);
        stream.clients.add(res);
        req.on('close', () => stream.clients.delete(res));
        return;
      }
      case 'runs':
        return handleRuns(store, ws, parts, url, res);
      case 'groups': {
        const gid = await resolveGroupId(store, ws, parts[2] ?? '');
        const group = await store.readGroup(gid);
        if (!group) return send(res, 404, { error: `Group not found: ${gid}` });
        const board = await leaderboard(ws, group);
        return send(res, 200, { group, metric: board.metric, leaderboard: board.rows });
      }
    }
    return send(res, 404, { error: 'Not found' });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => sendError(res, err));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/?token=${options.token}`,
    close: async () => {
      clearInterval(tick);
      watcher.close();
      stream.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
