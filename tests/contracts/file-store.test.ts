/** The Store contract for the file store: a temp workspace per test; other writers run under tsx. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../src/infra/clock.js';
import { openFileStore } from '../../src/store/file/file-store.js';
import { runDir, workspacePaths } from '../../src/workspace/paths.js';
import { tempWorkspace } from '../helpers/workspace.js';
import { describeStoreContract } from './store.contract.js';

const WRITER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'file-store-writer.ts');

describeStoreContract('file store', async () => {
  const ws = workspacePaths(tempWorkspace());
  const open = () => openFileStore(ws, systemClock);
  return {
    store: open(),
    open,
    writerCommand: (prefix, count) => ({ command: process.execPath, args: ['--import', 'tsx', WRITER, ws.root, prefix, String(count)] }),
    prepareRun: async (runId) => {
      mkdirSync(runDir(ws, runId), { recursive: true });
    },
    corruptQueue: async () => {
      writeFileSync(ws.queueFile, '{"version": 1, "jobs": [');
      return { names: /\.runforge\/queue\/queue\.json is corrupt/, raw: async () => readFileSync(ws.queueFile, 'utf8') };
    },
  };
});
