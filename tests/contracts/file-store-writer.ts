/**
 * A writer in another process for the file store's contract tests: `node --import tsx
 * file-store-writer.ts <workspace> <prefix> <count>` appends `count` jobs (run ids `<prefix>-<i>`), one
 * update each, and prints each run id once its update has resolved (is durable).
 */
import { systemClock } from '../../src/infra/clock.js';
import { openFileStore } from '../../src/store/file/file-store.js';
import { workspacePaths } from '../../src/workspace/paths.js';
import { appendJob } from './store-updates.js';

const [root, prefix, count] = process.argv.slice(2);
const store = openFileStore(workspacePaths(root!), systemClock);
for (let i = 0; i < Number(count); i++) {
  const runId = `${prefix}-${i}`;
  await store.update(appendJob(runId));
  process.stdout.write(`${runId}\n`);
}
