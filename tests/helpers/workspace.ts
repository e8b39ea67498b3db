/** Temp workspaces with requests and plans, as a user would write them. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const created: string[] = [];

/** A fresh empty workspace folder, removed after the test. */
export function tempWorkspace(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runforge-test-'));
  created.push(dir);
  return dir;
}

/** Removes the workspaces made so far (tests: after each test; gauntlets: at the end). */
export function removeTempWorkspaces(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function baseRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    preset: 'balanced',
    dataset: { path: 'data/train.csv', label_column: 'target' },
    model: { family: 'logistic_regression', hyperparameters: {} },
    device: { type: 'cpu' },
    created_at: '2026-02-01T21:20:47.503673',
    created_by: 'runforge-desktop@0.3.5',
    ...overrides,
  };
}

/** Writes `.ml/runs/<runId>/request.json`. */
export function writeRun(ws: string, runId: string, request: Record<string, unknown> = baseRequest()): string {
  const dir = path.join(ws, '.ml', 'runs', runId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'request.json'), JSON.stringify(request, null, 2));
  return dir;
}

export function samplePlan(ws: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    kind: 'sweep_plan',
    created_at: '2026-02-01T21:20:47.503673',
    created_by: 'runforge-desktop@0.4.0',
    workspace: ws,
    group: { name: 'lr sweep', notes: 'test' },
    base_request: baseRequest(),
    strategy: { type: 'grid', parameters: [{ path: 'model.hyperparameters.C', values: [0.1, 1, 10] }] },
    execution: { max_parallel: 2, fail_fast: false, stop_on_cancel: true },
    ...overrides,
  };
}

/** Writes a plan file into the workspace and returns its path. */
export function writePlan(ws: string, plan: Record<string, unknown> = samplePlan(ws), name = 'plan.json'): string {
  const file = path.join(ws, name);
  writeFileSync(file, JSON.stringify(plan, null, 2));
  return file;
}

export const readJson = <T = Record<string, any>>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

export const queueFile = (ws: string): string => path.join(ws, '.runforge', 'queue', 'queue.json');
export const groupFile = (ws: string, gid: string): string => path.join(ws, '.runforge', 'groups', gid, 'group.json');

/**
 * A job command that records when it ran: appends `<run-dir> start|end <ns>` to events.log in the
 * workspace, sleeping `seconds` in between.
 */
export function timedCommand(seconds: number, extra = ''): string[] {
  return [
    'sh',
    '-c',
    `echo "$RUNFORGE_RUN_DIR start $(date +%s%N) $CUDA_VISIBLE_DEVICES" >> events.log; ${extra} sleep ${seconds}; echo "$RUNFORGE_RUN_DIR end $(date +%s%N)" >> events.log`,
  ];
}

/** A sweep of `n` custom-command runs; `devices` gives each run's device.type (default cpu). */
export function commandPlan(ws: string, n: number, command: string[], devices?: string[], name = 'cmd sweep'): Record<string, unknown> {
  const base = baseRequest({ command, model: undefined });
  delete base.model;
  const parameters: unknown[] = [{ path: 'seed', values: Array.from({ length: n }, (_, i) => i + 1) }];
  if (devices) parameters.push({ path: 'device.type', values: devices });
  return samplePlan(ws, { base_request: base, group: { name }, strategy: { type: 'list', parameters } });
}

export interface Interval {
  run: string;
  start: number;
  end: number;
  device: string;
}

/** The intervals recorded in events.log by `timedCommand` jobs (ms). */
export function intervals(ws: string): Interval[] {
  let text: string;
  try {
    text = readFileSync(path.join(ws, 'events.log'), 'utf8');
  } catch {
    return [];
  }
  const map = new Map<string, Interval>();
  for (const line of text.split('\n')) {
    const [dir, what, ns, device] = line.split(' ');
    if (!dir || !ns) continue;
    const run = path.basename(dir);
    const entry = map.get(run) ?? { run, start: NaN, end: NaN, device: device ?? '' };
    if (what === 'start') {
      entry.start = Number(ns) / 1e6;
      entry.device = device ?? '';
    } else entry.end = Number(ns) / 1e6;
    map.set(run, entry);
  }
  return [...map.values()];
}

/** The most intervals overlapping at any instant (optionally only those matching `filter`). */
export function maxConcurrency(list: Interval[], filter: (i: Interval) => boolean = () => true): number {
  const points = list.filter(filter).flatMap((i) => [
    [i.start, 1],
    [Number.isNaN(i.end) ? Infinity : i.end, -1],
  ]);
  points.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let cur = 0;
  let max = 0;
  for (const [, d] of points) {
    cur += d!;
    max = Math.max(max, cur);
  }
  return max;
}

/**
 * A learnable CSV (two well separated classes `no`/`yes`) with a categorical column and ~10% missing
 * values, written to `<ws>/data/train.csv`.
 */
export function writeDataset(ws: string, rows = 200, name = 'train.csv'): string {
  let seed = 12345;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const gauss = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const lines = ['x1,x2,color,target'];
  for (let i = 0; i < rows; i++) {
    const cls = i % 2;
    const x1 = (cls ? 2.5 : -2.5) + gauss();
    const x2 = (cls ? -1 : 1) + gauss();
    const color = rand() < 0.8 ? (cls ? 'red' : 'blue') : 'green';
    lines.push(`${rand() < 0.1 ? '' : x1.toFixed(4)},${x2.toFixed(4)},${rand() < 0.1 ? '' : color},${cls ? 'yes' : 'no'}`);
  }
  mkdirSync(path.join(ws, 'data'), { recursive: true });
  const file = path.join(ws, 'data', name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
