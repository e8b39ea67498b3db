/** What every chaos part uses: its report, and the checks of a workspace's files after the abuse. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { type DocumentKind } from '../../src/contracts/constants.js';
import { validateDocument } from '../../src/contracts/index.js';
import { queueFile, readJson } from '../lib.js';

export interface Part {
  name: string;
  ok: boolean;
  detail: string;
  /** Jobs lost; undefined when the part could not tell (it crashed). */
  lost: number | undefined;
}

export const rand = (n: number): number => Math.floor(Math.random() * n);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface QueueJob {
  job_id: string;
  run_id: string;
  group_id: string | null;
  state: string;
  attempt: number;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  cancel_requested?: boolean;
}

const LIVE = new Set(['queued', 'running']);
export const isLive = (j: QueueJob): boolean => LIVE.has(j.state);

/** Every job of the workspace: queue.json's and those archived to history.jsonl (queue.json's copy wins). */
export function allJobs(ws: string): QueueJob[] {
  const byId = new Map<string, QueueJob>();
  let history = '';
  try {
    history = readFileSync(path.join(ws, '.runforge', 'queue', 'history.jsonl'), 'utf8');
  } catch {
    // nothing archived
  }
  for (const line of history.split('\n').filter((l) => l.trim() !== '')) {
    const job = JSON.parse(line) as QueueJob;
    byId.set(job.job_id, job);
  }
  for (const job of readJson<{ jobs: QueueJob[] }>(queueFile(ws)).jobs) byId.set(job.job_id, job);
  return [...byId.values()];
}

/** Each run's newest job (highest attempt). */
export function newestByRun(jobs: readonly QueueJob[]): Map<string, QueueJob> {
  const newest = new Map<string, QueueJob>();
  for (const j of jobs) {
    const seen = newest.get(j.run_id);
    if (!seen || j.attempt > seen.attempt) newest.set(j.run_id, j);
  }
  return newest;
}

const groupIds = (ws: string): string[] => {
  try {
    return readdirSync(path.join(ws, '.runforge', 'groups'));
  } catch {
    return [];
  }
};

/**
 * The queue and the group records agree, over every job and every group of the workspace (not only
 * the ones a test made): files valid, ids unique, no run with two live jobs, every group's runs in the
 * queue and every grouped job in its group, each run entry equal to its newest job's state, the
 * summary counting the entries, and the group terminal exactly when none of its runs is live.
 */
export function consistency(ws: string): string[] {
  const problems: string[] = [];
  if (!validateDocument('queue', readJson(queueFile(ws))).ok) problems.push('queue.json invalid');
  const jobs = allJobs(ws);
  const ids = jobs.map((j) => j.job_id);
  if (new Set(ids).size !== ids.length) problems.push('duplicate job ids');
  const liveByRun = new Map<string, number>();
  for (const j of jobs.filter(isLive)) liveByRun.set(j.run_id, (liveByRun.get(j.run_id) ?? 0) + 1);
  for (const [run, n] of liveByRun) if (n > 1) problems.push(`${run} has ${n} live jobs`);
  for (const gid of groupIds(ws)) {
    let group: { runs: { run_id: string; status: string }[]; status: string; summary: Record<string, unknown> };
    try {
      group = readJson(path.join(ws, '.runforge', 'groups', gid, 'group.json'));
    } catch (err) {
      problems.push(`${gid}/group.json unreadable: ${String(err).split('\n')[0]}`);
      continue;
    }
    if (!validateDocument('group', group).ok) problems.push(`${gid}/group.json invalid`);
    const newest = newestByRun(jobs.filter((j) => j.group_id === gid));
    const entries = new Set(group.runs.map((r) => r.run_id));
    for (const run of newest.keys()) if (!entries.has(run)) problems.push(`${gid}: job of ${run} not in group.json`);
    for (const run of group.runs) {
      const job = newest.get(run.run_id);
      if (!job) {
        if (run.status !== 'pending' && run.status !== 'canceled') problems.push(`${gid}: ${run.run_id} (${run.status}) has no job`);
      } else if (job.state !== run.status) problems.push(`${run.run_id}: group says ${run.status}, queue ${job.state}`);
    }
    const count = (s: string): number => group.runs.filter((r) => r.status === s).length;
    const s = group.summary;
    if (s.total !== group.runs.length || s.succeeded !== count('succeeded') || s.failed !== count('failed') || s.canceled !== count('canceled')) {
      problems.push(`${gid}: summary ${JSON.stringify({ total: s.total, succeeded: s.succeeded, failed: s.failed, canceled: s.canceled })} does not count its runs`);
    }
    const live = group.runs.some((r) => ['pending', 'queued', 'running'].includes(r.status));
    const expected = live ? 'running' : count('canceled') > 0 ? 'canceled' : count('failed') > 0 ? 'failed' : 'completed';
    if (group.status !== expected) problems.push(`${gid}: status ${group.status}, expected ${expected}`);
  }
  return problems;
}

const KINDS: Record<string, DocumentKind> = {
  'queue.json': 'queue',
  'group.json': 'group',
  'daemon.json': 'daemon',
  'request.json': 'request',
  'result.json': 'result',
  'plan.json': 'plan',
};

/**
 * Files under .runforge/ and .ml/ that do not parse: every *.json (validated too, for the kinds
 * RunForge defines) and every line of every *.jsonl. Temp files of interrupted writes are not files.
 */
export function corruptFiles(ws: string): string[] {
  const bad: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) {
        walk(file);
        continue;
      }
      const rel = path.relative(ws, file);
      try {
        if (name.endsWith('.json')) {
          const doc: unknown = JSON.parse(readFileSync(file, 'utf8'));
          const kind = KINDS[name];
          if (kind && !validateDocument(kind, doc).ok) bad.push(`${rel} invalid`);
        } else if (name.endsWith('.jsonl')) {
          for (const line of readFileSync(file, 'utf8').split('\n')) if (line.trim() !== '') JSON.parse(line);
        }
      } catch (err) {
        bad.push(`${rel}: ${String(err).split('\n')[0]!.slice(0, 80)}`);
      }
    }
  };
  for (const top of ['.runforge', '.ml']) walk(path.join(ws, top));
  return bad;
}

/** A digest of the workspace's state (.runforge/ and .ml/), to show a command changed nothing. */
export function digest(ws: string): string {
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      const s = statSync(file);
      if (s.isDirectory()) walk(file);
      else h.update(file).update(readFileSync(file));
    }
  };
  for (const top of ['.runforge', '.ml']) walk(path.join(ws, top));
  return h.digest('hex');
}

/** The first few problems, for a one-line detail. */
export const few = (problems: readonly string[], n = 3): string => (problems.length > n ? `${problems.slice(0, n).join(', ')} (+${problems.length - n} more)` : problems.join(', '));
