/**
 * The house rule of issue 15, held: no source file over 400 lines (generated ones excepted), no
 * function over 80 lines — so a newcomer finds one concept per file and reads a function at once.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;
/** Written by scripts, not by hand. */
const GENERATED = new Set(['src/contracts/compiled.ts']);

function filesUnder(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(rel, ext));
    else if (entry.name.endsWith(ext)) out.push(rel);
  }
  return out;
}

const sources = [...filesUnder('src', '.ts'), ...filesUnder('python', '.py').filter((f) => !f.includes('/tests/'))].filter((f) => !GENERATED.has(f));

/** Every function, method, constructor and arrow function longer than the limit, as `file:line name (n lines)`. */
function longFunctions(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      const name = node.name && ts.isIdentifier(node.name) ? node.name.text : '(anonymous)';
      if (lines > MAX_FUNCTION_LINES) found.push(`${file}:${start + 1} ${name} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('size limits of the source', () => {
  it(`no source file is over ${MAX_FILE_LINES} lines`, () => {
    const long = sources
      .map((f) => ({ f, n: readFileSync(path.join(ROOT, f), 'utf8').split('\n').length - 1 }))
      .filter(({ n }) => n > MAX_FILE_LINES)
      .map(({ f, n }) => `${f} (${n} lines)`);
    expect(long).toEqual([]);
  });

  it(`no TypeScript function is over ${MAX_FUNCTION_LINES} lines`, () => {
    expect(sources.filter((f) => f.endsWith('.ts')).flatMap(longFunctions)).toEqual([]);
  });
});
