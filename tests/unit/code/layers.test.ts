/**
 * Arrows only point down (STYLE.md, issue 15): each folder of src/ may import only the folders listed
 * for it here. A new arrow is a decision — add it here with the reason, or move the code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../../src');

const BASE = ['contracts', 'infra'];
/** Folder → the folders it may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  infra: [],
  contracts: ['infra'],
  queue: BASE, // pure logic: no fs, no clock, no processes
  process: [...BASE, 'queue'], // queue: the type of a daemon-liveness fact only
  workspace: BASE,
  'python-env': [...BASE, 'workspace'],
  gpu: [...BASE, 'python-env', 'workspace'],
  run: [...BASE, 'queue', 'process', 'workspace', 'python-env', 'gpu'],
  // The file store keeps its launch and end records in the run folder, through run/files.
  store: [...BASE, 'queue', 'process', 'workspace', 'run'],
  executor: [...BASE, 'process', 'run', 'gpu', 'python-env', 'workspace'],
  daemon: [...BASE, 'queue', 'process', 'workspace', 'python-env', 'gpu', 'run', 'store', 'executor'],
  ops: [...BASE, 'queue', 'process', 'workspace', 'python-env', 'gpu', 'run', 'store'],
  ui: [...BASE, 'queue', 'workspace', 'store', 'ops'],
  cli: [...BASE, 'queue', 'process', 'workspace', 'python-env', 'gpu', 'run', 'store', 'executor', 'daemon', 'ops', 'ui'],
};

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') || e.name.endsWith('.cts') ? [path.join(dir, e.name)] : [],
  );
}

/** Every `from '…'` and `import('…')` of a relative module, as the src/ folder it lands in. */
function importedFolders(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\(\s*)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specs
    .map((spec) => path.relative(SRC, path.resolve(path.dirname(file), spec)))
    .filter((rel) => !rel.startsWith('..'))
    .map((rel) => rel.split(path.sep)[0]!)
    .filter((first) => !first.endsWith('.js')); // src/version.ts and the like, at the top
}

describe('the layers of src/', () => {
  it('every folder of src/ has its rule', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.filter((f) => !(f in ALLOWED))).toEqual([]);
  });

  it('imports point only down', () => {
    const wrong: string[] = [];
    for (const file of tsFiles(SRC)) {
      const folder = path.relative(SRC, file).split(path.sep)[0]!;
      const allowed = ALLOWED[folder];
      if (!allowed) continue;
      for (const target of importedFolders(file)) {
        if (target !== folder && !allowed.includes(target)) wrong.push(`${path.relative(SRC, file)} → ${target}/`);
      }
    }
    expect([...new Set(wrong)]).toEqual([]);
  });
});
