/** The version the docs show is the one `runforge --version` prints (docs/cli.md once said v0.5.0). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../../src/version.js';
import { REPO_ROOT } from '../../helpers/cli.js';

describe('docs', () => {
  it("docs/cli.md shows RunForge's own version everywhere it shows one", () => {
    const text = readFileSync(path.join(REPO_ROOT, 'docs', 'cli.md'), 'utf8');
    const shown = [...text.matchAll(/runforge [a-z-]+ v(\d+\.\d+\.\d+)|runforge@(\d+\.\d+\.\d+)|prints the version, `(\d+\.\d+\.\d+)`/g)].map((m) => m[0]);
    expect(shown).toEqual([
      `prints the version, \`${VERSION}\``,
      `runforge@${VERSION}`,
      `runforge enqueue-sweep v${VERSION}`,
      `runforge daemon v${VERSION}`,
    ]);
  });
});
