/**
 * `runforge demo`: a workspace with a real small dataset (scikit-learn's wine data, 178 rows,
 * 13 features, 3 classes, exported to CSV with text labels) and a sweep across families and
 * hyperparameters, including PyTorch MLPs, two of them asking for a GPU.
 */
import { accessSync, constants, realpathSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { OperationFailedError, UsageError } from '../infra/errors.js';
import { formatTimestamp } from '../infra/time.js';
import { cliEntry } from '../infra/install.js';
import { findTrainerPython } from '../python-env/find-python.js';
import { CREATED_BY } from '../version.js';
import { workspacePaths, type WorkspacePaths } from '../workspace/paths.js';

const EXPORT_WINE = `
import sys
from sklearn.datasets import load_wine
data = load_wine(as_frame=True)
frame = data.frame
frame["target"] = frame["target"].map(lambda i: str(data.target_names[i]))
frame.to_csv(sys.argv[1], index=False)
print(len(frame))
`;

/** The demo sweep: one run per entry (a `list` strategy over family, hyperparameters and device). */
export const DEMO_RUNS: { family: string; hyperparameters: Record<string, unknown>; device: 'cpu' | 'gpu' }[] = [
  { family: 'logistic_regression', hyperparameters: { C: 0.05 }, device: 'cpu' },
  { family: 'logistic_regression', hyperparameters: { C: 1.0 }, device: 'cpu' },
  { family: 'random_forest', hyperparameters: { n_estimators: 50, max_depth: 3 }, device: 'cpu' },
  { family: 'random_forest', hyperparameters: { n_estimators: 200, max_depth: 10 }, device: 'cpu' },
  { family: 'linear_svc', hyperparameters: { C: 0.5 }, device: 'cpu' },
  { family: 'mlp', hyperparameters: { epochs: 40, hidden_sizes: [32], learning_rate: 0.01 }, device: 'cpu' },
  { family: 'mlp', hyperparameters: { epochs: 40, hidden_sizes: [64, 32], learning_rate: 0.005 }, device: 'gpu' },
  { family: 'mlp', hyperparameters: { epochs: 60, hidden_sizes: [128, 64], learning_rate: 0.002 }, device: 'gpu' },
];

/** The demo's plan (a test holds it valid, with no warning: tests/unit/queue/sweep-paths.test.ts). */
export function demoPlan(root: string, now: string): Record<string, unknown> {
  return {
    version: 1,
    kind: 'sweep_plan',
    created_at: now,
    created_by: CREATED_BY,
    workspace: root,
    group: { name: 'demo: wine, 4 families', notes: "scikit-learn's wine data; MLPs on the GPU when there is one" },
    base_request: {
      version: 1,
      preset: 'balanced',
      dataset: { path: 'data/wine.csv', label_column: 'target' },
      model: { family: 'logistic_regression', hyperparameters: {} },
      device: { type: 'cpu' },
      created_at: now,
      created_by: CREATED_BY,
      seed: 42,
    },
    strategy: {
      type: 'list',
      parameters: [
        { path: 'model.family', values: DEMO_RUNS.map((d) => d.family) },
        { path: 'model.hyperparameters', values: DEMO_RUNS.map((d) => d.hyperparameters) },
        { path: 'device.type', values: DEMO_RUNS.map((d) => d.device) },
      ],
    },
    execution: { max_parallel: 2, fail_fast: false, stop_on_cancel: true },
  };
}

export interface DemoWorkspace {
  ws: WorkspacePaths;
  planFile: string;
  rows: number;
}

export async function createDemoWorkspace(dir: string, env: NodeJS.ProcessEnv): Promise<DemoWorkspace> {
  const root = path.resolve(dir);
  await mkdir(root, { recursive: true });
  const existing = await readdir(root);
  if (existing.length > 0) throw new UsageError(`${root} is not empty; pass --dir with a new or empty folder`);
  const ws = workspacePaths(root);
  const python = await findTrainerPython(ws, env, true);
  await mkdir(path.join(root, 'data'), { recursive: true });
  const csv = path.join(root, 'data', 'wine.csv');
  const r = await execa(python, ['-c', EXPORT_WINE, csv], { reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new OperationFailedError(`Could not export the wine dataset with ${python}: ${String(r.stderr).trim().split('\n').pop()}`);
  const plan = demoPlan(root, formatTimestamp(Date.now()));
  const planFile = path.join(root, 'plan.json');
  await writeFile(planFile, `${JSON.stringify(plan, null, 2)}\n`);
  return { ws, planFile, rows: Number(String(r.stdout).trim()) };
}

/** `s` as one shell word: as it is when it needs no quoting, else in single quotes. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The first executable `name` on `env.PATH`, as a shell finds it; undefined when there is none. */
function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

const sameFile = (a: string, b: string): boolean => {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
};

/**
 * How a user starts this install's `runforge` from a shell with `env`'s PATH: `runforge` when the first
 * `runforge` on PATH is this install's binary (scripts/link-cli.sh links it), else `node <abs path>`
 * (also when PATH finds another install's `runforge` first), so a printed command works as printed.
 */
export function runforgeCommand(env: NodeJS.ProcessEnv): string {
  const found = findOnPath('runforge', env);
  if (found !== undefined && sameFile(found, cliEntry())) return 'runforge';
  const node = findOnPath('node', env) !== undefined ? 'node' : process.execPath;
  return `${shellWord(node)} ${shellWord(cliEntry())}`;
}

/** The demo's closing suggestion: a shell command that shows the demo workspace's queue. */
export function lookAroundCommand(root: string, env: NodeJS.ProcessEnv): string {
  return `cd ${shellWord(root)} && ${runforgeCommand(env)} queue-status`;
}
