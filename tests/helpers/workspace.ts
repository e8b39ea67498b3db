/** Temp workspaces with requests and plans, as a user would write them. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

const created: string[] = [];

/** A fresh empty workspace folder, removed after the test. */
export function tempWorkspace(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runforge-test-'));
  created.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

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
