/**
 * Ids that users type: checked before they build a path, and resolved (prefix, `latest`) against
 * the ids the workspace has. The matching itself is the pure queue/id-prefix.ts.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { SAFE_ID_PATTERN } from '../contracts/constants.js';
import type { Queue } from '../contracts/queue.js';
import { UsageError } from '../infra/errors.js';
import { quote } from '../infra/text.js';
import { parseTimestamp } from '../infra/time.js';
import { ambiguousMessage, type IdCandidate, LATEST, resolveId, shortIds, shortRunIds } from '../queue/id-prefix.js';
import { groupFile, runDir, type WorkspacePaths } from '../workspace/paths.js';
import type { Store } from '../store/store.js';
import { readRequest } from '../run/files/documents.js';

/** Throws a UsageError (exit 2) unless `id` is safe as one folder name (no `../x`, no slashes). */
export function assertSafeId(what: string, id: string): string {
  if (!SAFE_ID_PATTERN.test(id)) {
    throw new UsageError(
      `Invalid ${what} ${quote(id)}: use 1-128 letters, digits, '.', '_' or '-', not starting with '.' or '-'`,
    );
  }
  return id;
}

/** What the resolvers below name in messages; also the `what` of assertSafeId. */
type IdKind = 'group id' | 'run id' | 'job id';

/** The typed id resolved against `candidates` (see queue/id-prefix.ts); an ambiguous prefix is exit 2. */
function settle(what: IdKind, typed: string, candidates: readonly IdCandidate[]): string {
  const r = resolveId(typed, candidates);
  if (r.kind === 'ambiguous') throw new UsageError(ambiguousMessage(what, typed, r.candidates));
  return r.id;
}

/**
 * A group id as a user typed it — the id, a unique prefix of one, or `latest` — as the full id.
 * An id no group has comes back unchanged, so callers keep their "Group not found" message.
 */
export async function resolveGroupId(store: Store, ws: WorkspacePaths, typed: string): Promise<string> {
  assertSafeId('group id', typed);
  if (existsSync(groupFile(ws, typed))) return typed; // exact match wins, and costs one stat
  const groups = await store.listGroups();
  return settle('group id', typed, groups.map((g) => ({ id: g.group_id, createdAtMs: parseTimestamp(g.created_at) })));
}

/** Run ids there are: every run folder, and every run the queue has a job of (its folder may be gone). */
async function knownRunIds(store: Store, ws: WorkspacePaths): Promise<string[]> {
  const folders = await readdir(ws.runsDir).catch(() => [] as string[]);
  const queue = await store.readQueue();
  return [...new Set([...folders.filter((n) => SAFE_ID_PATTERN.test(n)), ...queue.jobs.map((j) => j.run_id)])];
}

/**
 * A run id as typed — the id, a unique prefix (or `<group prefix>-run-NNN`), or `latest` (the run
 * whose request.json was created last) — as the full id; an unknown one unchanged.
 */
export async function resolveRunId(store: Store, ws: WorkspacePaths, typed: string): Promise<string> {
  assertSafeId('run id', typed);
  if (existsSync(runDir(ws, typed))) return typed;
  const ids = await knownRunIds(store, ws);
  if (typed !== LATEST) return settle('run id', typed, ids.map((id) => ({ id })));
  const created = async (id: string): Promise<number | undefined> => {
    const request = await readRequest(ws, id).catch(() => undefined);
    return request ? parseTimestamp(request.created_at) : undefined;
  };
  return settle('run id', typed, await Promise.all(ids.map(async (id) => ({ id, createdAtMs: await created(id) }))));
}

/** A job id as typed — the id or a unique prefix of a job in queue.json — as the full id. */
export async function resolveJobId(store: Store, typed: string): Promise<string> {
  assertSafeId('job id', typed);
  const queue = await store.readQueue();
  return settle('job id', typed, queue.jobs.map((j) => ({ id: j.job_id, createdAtMs: parseTimestamp(j.created_at) })));
}

/** Display forms of the ids in listings: shortest unique prefixes among every id of the workspace. */
export interface ShortIds {
  group(id: string): string;
  run(id: string): string;
  job(id: string): string;
}

export async function workspaceShortIds(store: Store, ws: WorkspacePaths, queue?: Queue): Promise<ShortIds> {
  const q = queue ?? (await store.readQueue());
  const groupIds = await readdir(ws.groupsDir).catch(() => [] as string[]);
  const runIds = await knownRunIds(store, ws);
  const groups = shortIds(groupIds);
  const runs = shortRunIds(runIds, groupIds);
  const jobs = shortIds(q.jobs.map((j) => j.job_id));
  return {
    group: (id) => groups.get(id) ?? id,
    run: (id) => runs.get(id) ?? id,
    job: (id) => jobs.get(id) ?? id,
  };
}

/** No shortening: for callers that print ids in full. */
export const FULL_IDS: ShortIds = { group: (id) => id, run: (id) => id, job: (id) => id };
