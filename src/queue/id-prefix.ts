/**
 * Ids as users type and read them, pure: any unique prefix names an id (like git and docker),
 * `latest` names the newest one, and listings show the shortest unique prefix.
 *
 * Sweep run ids are `<group-id>-run-NNN`; every run of a group shares the long group part, so a
 * plain shortest prefix would be the whole id. They are shown as `<short group id>-run-NNN`, and a
 * typed `<group prefix>-run-NNN` names the run whose group id starts with the prefix and whose
 * `-run-NNN` is exactly the same.
 */

/** Git shows 7 characters of a hash at least; so does RunForge for a generated id. */
export const MIN_SHORT_ID = 7;

/** The word that names the most recent group or run (unless an id is exactly `latest`). */
export const LATEST = 'latest';

export interface IdCandidate {
  id: string;
  /** When it was created (ms since the epoch); only `latest` looks at it. */
  createdAtMs?: number | undefined;
}

export type IdResolution =
  | { kind: 'exact' | 'prefix' | 'latest'; id: string }
  /** Nothing matches: callers keep their "not found" message for the id as typed. */
  | { kind: 'unknown'; id: string }
  /** More than one id matches; `candidates` sorted. */
  | { kind: 'ambiguous'; candidates: string[] };

const SWEEP_RUN = /^(.+)(-run-\d+)$/;

/** Generated ids: `grp_…`, `job_…` and sweep runs `grp_…-run-NNN`. Names users chose are not shortened. */
const GENERATED = /^(grp|job)_\d{8}_\d{6}_[0-9a-z]+$/;

/** Whether `typed` names `id` by prefix: a plain prefix, or `<group prefix>-run-NNN` of a sweep run. */
export function matchesPrefix(id: string, typed: string): boolean {
  if (id.startsWith(typed)) return true;
  const t = SWEEP_RUN.exec(typed);
  const i = SWEEP_RUN.exec(id);
  return t !== null && i !== null && t[2] === i[2] && i[1]!.startsWith(t[1]!);
}

/** Resolves what a user typed against the ids that exist. Exact match wins over `latest` and prefixes. */
export function resolveId(typed: string, candidates: readonly IdCandidate[]): IdResolution {
  if (candidates.some((c) => c.id === typed)) return { kind: 'exact', id: typed };
  if (typed === LATEST) {
    if (candidates.length === 0) return { kind: 'unknown', id: typed };
    // Newest by instant; within the same instant (the runs of one sweep) the greatest id.
    const newest = candidates.reduce((a, b) => {
      const ta = a.createdAtMs ?? -Infinity;
      const tb = b.createdAtMs ?? -Infinity;
      return tb > ta || (tb === ta && b.id > a.id) ? b : a;
    });
    return { kind: 'latest', id: newest.id };
  }
  if (typed === '') return { kind: 'unknown', id: typed };
  const matches = [...new Set(candidates.filter((c) => matchesPrefix(c.id, typed)).map((c) => c.id))].sort();
  if (matches.length === 1) return { kind: 'prefix', id: matches[0]! };
  if (matches.length === 0) return { kind: 'unknown', id: typed };
  return { kind: 'ambiguous', candidates: matches };
}

/** `group id 'grp_2026' is ambiguous: grp_a, grp_b, grp_c (2 more)` — one line, at most `shown` ids. */
export function ambiguousMessage(what: string, typed: string, candidates: readonly string[], shown = 3): string {
  const more = candidates.length > shown ? ` (${candidates.length - shown} more)` : '';
  return `${what} '${typed}' is ambiguous: ${candidates.slice(0, shown).join(', ')}${more}`;
}

const commonPrefixLength = (a: string, b: string): number => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};

/**
 * Display forms of `ids` (all of one kind, e.g. every group id of the workspace): the shortest
 * unique prefix of each generated id, at least `min` characters; other ids unchanged. In sorted
 * order only the neighbours can share the longest prefix with an id, so this is O(n log n).
 */
export function shortIds(ids: readonly string[], min = MIN_SHORT_ID): Map<string, string> {
  const sorted = [...new Set(ids)].sort();
  const out = new Map<string, string>();
  sorted.forEach((id, i) => {
    if (!GENERATED.test(id)) return void out.set(id, id);
    const shared = Math.max(
      i > 0 ? commonPrefixLength(id, sorted[i - 1]!) : 0,
      i + 1 < sorted.length ? commonPrefixLength(id, sorted[i + 1]!) : 0,
    );
    out.set(id, id.slice(0, Math.max(min, shared + 1)));
  });
  return out;
}

/**
 * Display forms of run ids: a sweep run `<gid>-run-NNN` as `<short gid>-run-NNN`, where the group
 * part is shortened among `groupIds` (every group id there is); every other run id unchanged.
 * Each short form still names exactly its run through {@link resolveId}.
 */
export function shortRunIds(runIds: readonly string[], groupIds: readonly string[], min = MIN_SHORT_ID): Map<string, string> {
  const groupsOfRuns = runIds.map((r) => SWEEP_RUN.exec(r)?.[1]).filter((g): g is string => g !== undefined && GENERATED.test(g));
  const groups = shortIds([...groupIds, ...groupsOfRuns], min);
  const isSweepRun = (r: string): boolean => {
    const m = SWEEP_RUN.exec(r);
    return m !== null && GENERATED.test(m[1]!);
  };
  const named = runIds.filter((r) => !isSweepRun(r));
  const out = new Map<string, string>();
  for (const runId of new Set(runIds)) {
    const m = SWEEP_RUN.exec(runId);
    const short = m && GENERATED.test(m[1]!) ? `${groups.get(m[1]!)}${m[2]}` : runId;
    // A user-named run that starts with the short form would make it ambiguous: keep the id. (Another
    // sweep run cannot match it: the short group id is unique among all groups, the -run-NNN exact.)
    const clash = short !== runId && named.some((o) => o !== runId && o.startsWith(short));
    out.set(runId, clash ? runId : short);
  }
  return out;
}
