/**
 * `runforge add -- <command…>`: one run of the user's own command, made and queued in one step (like
 * `pueue add`). Its request records the caller's working directory and environment, so the command
 * runs as it would in the caller's shell: `python` is their venv's, relative paths resolve as there.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Job } from '../contracts/queue.js';
import type { RunRequest } from '../contracts/request.js';
import type { Clock } from '../infra/clock.js';
import { randomHex } from '../infra/random.js';
import { formatTimestamp } from '../infra/time.js';
import { formatRunId } from '../queue/ids.js';
import { writeRunRequests } from '../run/files/documents.js';
import type { Store } from '../store/store.js';
import { runDir, type WorkspacePaths } from '../workspace/paths.js';
import { CREATED_BY } from '../version.js';
import { enqueueRun } from './enqueue.js';
import { assertSafeId } from './ids.js';

/**
 * Variables RunForge sets for every run itself, so never recorded from the caller: the device it
 * assigns (CUDA_VISIBLE_DEVICES, CUDA_DEVICE_ORDER) and its own RUNFORGE_* (run folder, seed, device…).
 */
export const UNRECORDED_VARIABLES: readonly string[] = ['CUDA_VISIBLE_DEVICES', 'CUDA_DEVICE_ORDER'];
export const UNRECORDED_PREFIX = 'RUNFORGE_';

/** The environment `add` records: the caller's, minus what RunForge sets itself. */
export function recordedEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const recorded: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || name.startsWith(UNRECORDED_PREFIX) || UNRECORDED_VARIABLES.includes(name)) continue;
    recorded[name] = value;
  }
  return recorded;
}

export interface AddRunOptions {
  /** argv, run without a shell. */
  command: string[];
  /** The caller's working directory (absolute); the command runs there. */
  cwd: string;
  /** The environment to record (the caller's, with `--env`), or null for none (`--no-env`: the daemon's). */
  env: NodeJS.ProcessEnv | null;
  name?: string | undefined;
  groupId?: string | undefined;
  priority?: number | undefined;
  /** Seconds the run may take; the daemon stops it then. */
  timeoutS?: number | undefined;
}

export interface AddedRun {
  runId: string;
  job: Job;
  request: RunRequest;
}

/** The request of a command run (request.json, SPEC §2). */
export function commandRequest(options: AddRunOptions, createdAt: string): RunRequest {
  return {
    version: 1,
    preset: 'custom',
    device: { type: 'cpu' },
    created_at: createdAt,
    created_by: CREATED_BY,
    ...(options.name !== undefined ? { name: options.name } : {}),
    command: options.command,
    cwd: options.cwd,
    ...(options.env !== null ? { env: recordedEnvironment(options.env) } : {}),
    ...(options.timeoutS !== undefined ? { timeout_s: options.timeoutS } : {}),
  };
}

/**
 * Makes the run folder with its request.json and queues it the way `enqueue-run` does. Nothing is
 * left behind when it cannot be queued (a bad group id): the run folder is removed again.
 */
export async function addRun(store: Store, ws: WorkspacePaths, clock: Clock, options: AddRunOptions): Promise<AddedRun> {
  if (options.groupId !== undefined) assertSafeId('group id', options.groupId);
  let runId = formatRunId(clock.now(), randomHex());
  while (existsSync(runDir(ws, runId))) runId = formatRunId(clock.now(), randomHex());
  const request = commandRequest(options, formatTimestamp(clock.now()));
  try {
    await writeRunRequests(ws, [{ runId, request }]);
    const job = await enqueueRun(store, ws, { runId, groupId: options.groupId, priority: options.priority });
    return { runId, job, request };
  } catch (err) {
    await rm(runDir(ws, runId), { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}
