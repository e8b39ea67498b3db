/** metrics.jsonl (SPEC §9): `{"step", "epoch"?, "name", "value", "time"}` per point. */
import { existsSync } from 'node:fs';
import { readTextIfExists } from '../workspace/json-file.js';

/** The last reported value of each metric, or an empty object when there is no metrics.jsonl. */
export async function lastMetricValues(file: string): Promise<Record<string, number>> {
  // Most runs write none: a stat, not a read that fails on the thread pool (the daemon concludes every run).
  if (!existsSync(file)) return {};
  const text = await readTextIfExists(file);
  const out: Record<string, number> = {};
  if (!text) return out;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const point = JSON.parse(line) as { name?: unknown; value?: unknown };
      if (typeof point.name === 'string' && typeof point.value === 'number' && Number.isFinite(point.value)) {
        out[point.name] = point.value;
      }
    } catch {
      // a line cut short by a kill: skip it
    }
  }
  return out;
}
