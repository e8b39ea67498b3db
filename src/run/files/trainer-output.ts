/**
 * What a run's program leaves for RunForge to read when it ends: metric points (`metrics.jsonl`), the
 * built-in trainer's summary (`.trainer-summary.json`) and the files in `artifacts/`.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ArtifactTypeLineSchema, type MetricPoint, MetricPointSchema, type TrainerSummary, TrainerSummarySchema } from '../../contracts/run-files.js';
import type { RunResult } from '../../contracts/result.js';
import { ensureDirSync, readTextIfExists, readTextIfExistsSync, removeFileSync } from '../../workspace/json-file.js';
import { artifactsDirOf, artifactTypesFileOf, metricsFileOf, trainerSummaryFileOf } from './names.js';

export type { MetricPoint, TrainerSummary };

/** Parses one JSON line; undefined for a blank line or one cut short by a kill. */
function parseJsonLine(line: string): unknown {
  if (line.trim() === '') return undefined;
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

/** Parses one line of metrics.jsonl; undefined for a blank line, a line cut short by a kill, or not a point. */
function parseMetricLine(line: string): MetricPoint | undefined {
  const point = MetricPointSchema.safeParse(parseJsonLine(line));
  return point.success ? point.data : undefined;
}

/** Every metric point of the run in `runDir`, in file order (lines that are not points are skipped). */
export async function readMetricPoints(runDir: string): Promise<MetricPoint[]> {
  const file = metricsFileOf(runDir);
  // Most runs write none: a stat, not a read that fails on the thread pool (the daemon concludes every run).
  if (!existsSync(file)) return [];
  const text = await readTextIfExists(file);
  if (!text) return [];
  const points: MetricPoint[] = [];
  for (const line of text.split('\n')) {
    const point = parseMetricLine(line);
    if (point) points.push(point);
  }
  return points;
}

/** The last reported value of each metric, or an empty object when there is no metrics.jsonl. */
export async function lastMetricValues(runDir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const point of await readMetricPoints(runDir)) out[point.name] = point.value;
  return out;
}

/**
 * Reads and removes the trainer's summary (it belongs to this attempt only). Undefined when the trainer
 * wrote none, or one that does not parse (cut short by a kill): the run then failed without a summary.
 */
export function takeTrainerSummary(runDir: string): TrainerSummary | undefined {
  const file = trainerSummaryFileOf(runDir);
  const text = readTextIfExistsSync(file);
  removeFileSync(file);
  if (!text) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const summary = TrainerSummarySchema.safeParse(doc);
  return summary.success ? summary.data : undefined;
}

/** Removes a summary left by an earlier attempt, before the trainer starts. */
export function removeTrainerSummary(runDir: string): void {
  removeFileSync(trainerSummaryFileOf(runDir));
}

/** Makes `artifacts/` for a user's command (the trainer makes its own). */
export function ensureArtifactsDir(runDir: string): void {
  ensureDirSync(artifactsDirOf(runDir));
}

/** An artifact's type from its file name, for files the program did not list itself. */
function artifactTypeOf(name: string): string {
  if (/\.(pkl|pt|pth|joblib|onnx|bin)$/.test(name)) return 'model';
  if (name.startsWith('metrics')) return 'metrics';
  if (/encoder/.test(name)) return 'encoder';
  if (/\.(ckpt)$/.test(name)) return 'checkpoint';
  if (/\.(log|txt)$/.test(name)) return 'log';
  return 'other';
}

/** The types the program gave its artifacts (`.artifacts.jsonl`), by path; the last line of a path wins. */
function recordedArtifactTypes(runDir: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const line of (readTextIfExistsSync(artifactTypesFileOf(runDir)) ?? '').split('\n')) {
    const entry = ArtifactTypeLineSchema.safeParse(parseJsonLine(line));
    if (entry.success) types.set(entry.data.path, entry.data.type);
  }
  return types;
}

/**
 * The files in `artifacts/` (not folders), by name, with their size and type: the one the program
 * recorded (`runforge.artifact`), else one from the name; [] without the folder.
 */
export function listArtifacts(runDir: string): NonNullable<RunResult['artifacts']> {
  const dir = artifactsDirOf(runDir);
  let names: string[];
  try {
    // Synchronous: a few entries, listed at the end of every run the daemon concludes.
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const recorded = recordedArtifactTypes(runDir);
  const out: NonNullable<RunResult['artifacts']> = [];
  for (const name of names.sort()) {
    const s = statSync(path.join(dir, name), { throwIfNoEntry: false });
    if (!s?.isFile()) continue;
    const relative = `artifacts/${name}`;
    out.push({ path: relative, type: recorded.get(relative) ?? artifactTypeOf(name), bytes: s.size });
  }
  return out;
}
