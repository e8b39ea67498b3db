/**
 * Finding a Python that can train: `RUNFORGE_PYTHON`, else the workspace setting
 * (`.runforge/config.json` `{"python": …}`), else the first of `python3`, `/usr/bin/python3`,
 * `python` that has the trainer's modules. When none has them, the error names what each lacks.
 *
 * Its own folder, below both of its users: run/ (the trainer's interpreter) and gpu/ (the PyTorch
 * probe runs in the same Python). In run/ it made gpu/ import run/ while run/ imports gpu/ (a cycle);
 * it is not infra/ either, which imports nothing of the workspace. Also used by ops/doctor and the warm
 * worker (executor/local).
 */
import path from 'node:path';
import { execa } from 'execa';
import { WorkspaceConfigSchema } from '../contracts/config.js';
import { describeIssues } from '../contracts/issues.js';
import { CorruptFileError, OperationFailedError } from '../infra/errors.js';
import { pythonDir } from '../infra/install.js';
import { readTextIfExists } from '../workspace/json-file.js';
import { displayPath, type WorkspacePaths } from '../workspace/paths.js';

/** The repository's python/ folder (trainer package and helper). */
export const PYTHON_DIR = pythonDir();

export const BASE_MODULES = ['numpy', 'pandas', 'sklearn', 'joblib'] as const;
export const TORCH_MODULE = 'torch';
export const CANDIDATES = ['python3', '/usr/bin/python3', 'python'];

const PROBE =
  'import importlib.util as u, json, sys; mods = sys.argv[1:]; ' +
  'print(json.dumps({"version": sys.version.split()[0], "executable": sys.executable, "missing": [m for m in mods if u.find_spec(m) is None]}))';

export interface PythonProbe {
  candidate: string;
  /** Absolute path of the interpreter, when it ran. */
  executable: string | null;
  version: string | null;
  /** Modules it lacks; null when it did not run at all. */
  missing: string[] | null;
}

export async function probePython(candidate: string, modules: readonly string[]): Promise<PythonProbe> {
  try {
    const r = await execa(candidate, ['-c', PROBE, ...modules], { reject: false, timeout: 30_000, stdin: 'ignore' });
    if (r.exitCode !== 0) return { candidate, executable: null, version: null, missing: null };
    const info = JSON.parse(String(r.stdout)) as { version: string; executable: string; missing: string[] };
    return { candidate, executable: info.executable, version: info.version, missing: info.missing };
  } catch {
    return { candidate, executable: null, version: null, missing: null };
  }
}

/** The configured interpreter, if any: RUNFORGE_PYTHON, then the workspace setting. */
export async function configuredPython(ws: WorkspacePaths, env: NodeJS.ProcessEnv): Promise<{ python: string; source: string } | undefined> {
  if (env.RUNFORGE_PYTHON) return { python: env.RUNFORGE_PYTHON, source: 'RUNFORGE_PYTHON' };
  const file = path.join(ws.stateDir, 'config.json');
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CorruptFileError(displayPath(ws, file), `invalid JSON: ${(err as Error).message}`);
  }
  const parsed = WorkspaceConfigSchema.safeParse(doc, { reportInput: true });
  if (!parsed.success) throw new CorruptFileError(displayPath(ws, file), describeIssues(parsed.error).join('; '));
  return parsed.data.python ? { python: parsed.data.python, source: displayPath(ws, file) } : undefined;
}

const describeProbe = (p: PythonProbe): string =>
  p.missing === null ? `${p.candidate} (not runnable)` : `${p.candidate} (${p.executable}) lacks ${p.missing.join(', ')}`;

/** The interpreter for the built-in trainer; throws a one-line error naming what is missing. */
export async function findTrainerPython(ws: WorkspacePaths, env: NodeJS.ProcessEnv, needTorch: boolean): Promise<string> {
  const modules = needTorch ? [...BASE_MODULES, TORCH_MODULE] : [...BASE_MODULES];
  const hint = 'install them with `bash scripts/install-system-deps.sh` (or `pip install -r python/requirements.txt`), or point RUNFORGE_PYTHON at a Python that has them';
  const configured = await configuredPython(ws, env);
  if (configured) {
    const probe = await probePython(configured.python, modules);
    if (probe.missing?.length === 0) return configured.python;
    throw new OperationFailedError(`The Python set by ${configured.source} cannot train: ${describeProbe(probe)}; ${hint}`);
  }
  const probes: PythonProbe[] = [];
  for (const candidate of CANDIDATES) {
    const probe = await probePython(candidate, modules);
    if (probe.missing?.length === 0) return candidate;
    probes.push(probe);
  }
  throw new OperationFailedError(`No Python that can train was found: ${probes.map(describeProbe).join('; ')}; ${hint}`);
}
