/**
 * `runforge init`: scaffolds a workspace — a real small dataset, an example sweep plan and an
 * example run request that work as they are, the workspace config, and a RUNFORGE.md that explains
 * them (JSON has no comments, and an unknown `_comment` key would draw a `validate` warning; the
 * files use their real `notes` fields and the Markdown file says the rest).
 * Idempotent: a file that exists is kept as it is, never rewritten.
 */
import { link, mkdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../infra/clock.js';
import { UsageError } from '../infra/errors.js';
import { formatTimestamp } from '../infra/time.js';
import { CREATED_BY } from '../version.js';
import { runDir, workspacePaths, type WorkspacePaths } from '../workspace/paths.js';
import { requestFileOf } from '../run/files/names.js';
import { irisCsv } from './iris.js';

/** The example run's folder name under .ml/runs/. */
export const EXAMPLE_RUN_ID = 'example';

export interface InitOutcome {
  ws: WorkspacePaths;
  /** Workspace-relative paths written now. */
  created: string[];
  /** Workspace-relative paths that existed and were left as they were. */
  kept: string[];
}

const json = (doc: unknown): string => `${JSON.stringify(doc, null, 2)}\n`;

function exampleRequest(now: string): Record<string, unknown> {
  return {
    version: 1,
    name: 'iris logistic regression',
    notes: 'An example run: edit dataset, model and device, then `runforge enqueue-run --run-id example`. See RUNFORGE.md.',
    dataset: { path: 'data/iris.csv', label_column: 'species' },
    model: { family: 'logistic_regression', hyperparameters: { C: 1.0 } },
    device: { type: 'cpu' },
    seed: 42,
    created_at: now,
    created_by: CREATED_BY,
  };
}

function examplePlan(root: string, now: string): Record<string, unknown> {
  return {
    version: 1,
    kind: 'sweep_plan',
    created_at: now,
    created_by: CREATED_BY,
    workspace: root,
    group: {
      name: 'iris random forest',
      notes: 'An example sweep: 2 x 2 random forests on data/iris.csv. `runforge validate plan.json`, then `runforge enqueue-sweep --plan plan.json`. See RUNFORGE.md.',
    },
    base_request: { ...exampleRequest(now), name: null, notes: null, model: { family: 'random_forest', hyperparameters: {} } },
    strategy: {
      type: 'grid',
      parameters: [
        { path: 'model.hyperparameters.n_estimators', values: [50, 200] },
        { path: 'model.hyperparameters.max_depth', values: [3, 10] },
      ],
    },
    execution: { max_parallel: 2, fail_fast: false, stop_on_cancel: true },
  };
}

const GUIDE = `# This RunForge workspace

Made by \`runforge init\`; running it again keeps every file that exists.

- \`data/iris.csv\` — a real small dataset (Fisher's iris, 150 rows, label column \`species\`).
  Put your own CSV files in \`data/\`; requests name them workspace-relative (\`data/train.csv\`).
- \`.ml/runs/example/request.json\` — one run. \`runforge run --run-dir .ml/runs/example\` trains it
  in the foreground; \`runforge enqueue-run --run-id example\` queues it for the daemon.
  \`preset\` may be left out: it is recorded in result.json but changes no training (docs/training.md).
- \`plan.json\` — a sweep: \`strategy.parameters\` are dot paths into \`base_request\` with the values
  to try (\`grid\`: every combination; \`list\`: the i-th value of each). \`workspace\` is this folder;
  \`--workspace\` overrides it. Check it with \`runforge validate plan.json\`, queue it with
  \`runforge enqueue-sweep --plan plan.json\`, or run it in the foreground with \`runforge sweep --plan plan.json\`.
- \`.runforge/config.json\` — workspace settings. Today one: \`"python"\`, the interpreter of the
  built-in trainer (RUNFORGE_PYTHON, when set, wins). Empty means: find python3 with scikit-learn.

Start the daemon with \`runforge daemon\`; watch with \`runforge watch\` or \`runforge ui\`.
`;

const DATA_README = `Put training data here as CSV files with a header row. Requests name them workspace-relative,
e.g. "dataset": {"path": "data/train.csv", "label_column": "label"}. iris.csv is an example.
`;

/**
 * Writes `text` to `file` unless it exists; records which. Written whole to a temp file and linked
 * into place: link fails on an existing file, so it is atomic and never replaces what is there.
 */
async function writeNew(ws: WorkspacePaths, file: string, text: string, outcome: InitOutcome): Promise<void> {
  const rel = path.relative(ws.root, file).split(path.sep).join('/');
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.init-${process.pid}.tmp`;
  await writeFile(temp, text, { flush: true });
  try {
    await link(temp, file);
    outcome.created.push(rel);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    outcome.kept.push(rel);
  } finally {
    await unlink(temp);
  }
}

export async function initWorkspace(dir: string, clock: Clock): Promise<InitOutcome> {
  const root = path.resolve(dir);
  const info = await stat(root).catch(() => undefined);
  if (info !== undefined && !info.isDirectory()) throw new UsageError(`${root} is a file, not a folder; pass --workspace with a folder`);
  await mkdir(root, { recursive: true });
  const ws = workspacePaths(root);
  const now = formatTimestamp(clock.now());
  const outcome: InitOutcome = { ws, created: [], kept: [] };
  await writeNew(ws, path.join(root, 'data', 'iris.csv'), irisCsv(), outcome);
  await writeNew(ws, path.join(root, 'data', 'README.txt'), DATA_README, outcome);
  await writeNew(ws, requestFileOf(runDir(ws, EXAMPLE_RUN_ID)), json(exampleRequest(now)), outcome);
  await writeNew(ws, path.join(root, 'plan.json'), json(examplePlan(root, now)), outcome);
  await writeNew(ws, path.join(ws.stateDir, 'config.json'), json({}), outcome);
  await writeNew(ws, path.join(root, 'RUNFORGE.md'), GUIDE, outcome);
  return outcome;
}
