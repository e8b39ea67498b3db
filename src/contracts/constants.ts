/**
 * The values of the file contracts that code outside the schemas needs: states, defaults, patterns.
 * No zod here, so that a command that only reads and writes state files (queue-status, enqueue-run)
 * loads no schema library: valid files are checked by the compiled validators (compiled.ts), and zod
 * is loaded only to word the problems of an invalid one.
 */

/** Every file format RunForge reads or writes. */
export const DOCUMENT_KINDS = ['request', 'plan', 'queue', 'daemon', 'group', 'result'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/**
 * An id that is safe to use as one folder name: letters, digits, `.`, `_`, `-`, not starting with a
 * dot, at most 128 characters. Rejects path traversal such as `../x` and absolute paths.
 */
export const SAFE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** A dot path into a request: `model.hyperparameters.max_depth`. */
export const DOT_PATH_PATTERN = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;

// ---- queue.json (SPEC §4)
export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const TERMINAL_JOB_STATES: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'canceled']);
/** The group id that ungrouped jobs are scheduled under (as in the original). */
export const UNGROUPED = '__ungrouped__';
/** Defaults of a workspace's first queue (the original's). */
export const DEFAULT_MAX_PARALLEL = 2;
export const DEFAULT_GPU_SLOTS = 1;

// ---- group.json (SPEC §3)
export const GROUP_STATUSES = ['running', 'completed', 'failed', 'canceled'] as const;
export type GroupStatus = (typeof GROUP_STATUSES)[number];
export const RUN_STATUSES = ['pending', 'queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type GroupRunStatus = (typeof RUN_STATUSES)[number];

// ---- daemon.json (SPEC §6)
export const DAEMON_STATES = ['running', 'stopping', 'stopped'] as const;
/** A heartbeat older than this (ms) means the daemon is gone. SPEC §6. */
export const HEARTBEAT_STALE_MS = 30_000;

// ---- request.json (SPEC §2)
export const MODEL_FAMILIES = ['logistic_regression', 'random_forest', 'linear_svc', 'mlp'] as const;
export type ModelFamily = (typeof MODEL_FAMILIES)[number];
export const PRESETS = ['fast', 'balanced', 'thorough', 'custom'] as const;
/** Defaults merged under the request's hyperparameters (the original tool's values). */
export const FAMILY_DEFAULTS: Readonly<Record<ModelFamily, Readonly<Record<string, unknown>>>> = {
  logistic_regression: { max_iter: 1000, random_state: 42 },
  random_forest: { n_estimators: 100, max_depth: 10, random_state: 42 },
  linear_svc: { max_iter: 1000, random_state: 42 },
  mlp: { epochs: 20, hidden_sizes: [64, 32], learning_rate: 0.001, batch_size: 32 },
};
/** Seed used when a request has none. */
export const DEFAULT_SEED = 42;

// ---- result.json (SPEC §5)
export const RESULT_STATUSES = ['succeeded', 'failed', 'cancelled'] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];
/**
 * The artifact types of the original's result contract (RESULT_V1), in its order. The port writes
 * only these; a reader keeps any other type as it is (a newer writer may add one) and
 * `runforge validate` warns about it.
 */
export const ARTIFACT_TYPES = ['model', 'metrics', 'feature_importance', 'linear_coefficients', 'encoder', 'log', 'checkpoint', 'other'] as const;
export type ArtifactType = (typeof ARTIFACT_TYPES)[number];
export const isKnownArtifactType = (type: string): type is ArtifactType => (ARTIFACT_TYPES as readonly string[]).includes(type);
