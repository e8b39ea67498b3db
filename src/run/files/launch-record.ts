/**
 * `<run>/.launch.json`: what was decided when a run started (contracts/launch.ts), kept until the run is
 * concluded, so that a later daemon can conclude a run the previous one started.
 */
import { parseJsonText } from '../../contracts/document.js';
import { type LaunchRecord, LaunchRecordSchema } from '../../contracts/launch.js';
import { readTextIfExistsSync, removeFileSync, replaceFileSync, serialize } from '../../workspace/json-file.js';
import { launchRecordFile } from './names.js';

export { launchRecordFile };

/**
 * Reads `<run>/.launch.json`; undefined when there is none or it is unusable — then the run is treated
 * as one started by an older version (its job is resolved from result.json, or failed and re-queued).
 */
export function readLaunchRecord(runDir: string): LaunchRecord | undefined {
  const json = parseJsonText(readTextIfExistsSync(launchRecordFile(runDir)) ?? '');
  const record = json.ok ? LaunchRecordSchema.safeParse(json.value) : undefined;
  return record?.success ? record.data : undefined;
}

/** Writes `<run>/.launch.json` (replaced in one rename: a reader sees the old record or the new one). */
export function writeLaunchRecord(runDir: string, record: LaunchRecord): void {
  replaceFileSync(launchRecordFile(runDir), serialize(record));
}

/** Removes the launch record once the run's result.json is in place. */
export function removeLaunchRecord(runDir: string): void {
  removeFileSync(launchRecordFile(runDir));
}
