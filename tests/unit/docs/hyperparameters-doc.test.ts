/** docs/training.md's hyperparameter tables are the code's table (src/contracts/hyperparameters.ts). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOC_END, DOC_START, hyperparameterDoc } from '../../../src/contracts/hyperparameters-doc.js';
import { HYPERPARAMETERS } from '../../../src/contracts/hyperparameters.js';
import { REPO_ROOT } from '../../helpers/cli.js';

describe('docs/training.md', () => {
  const page = readFileSync(path.join(REPO_ROOT, 'docs', 'training.md'), 'utf8');

  it('shows the hyperparameter table of the code (else: npx tsx scripts/gen-hyperparameters-doc.ts)', () => {
    const start = page.indexOf(DOC_START);
    const end = page.indexOf(DOC_END);
    expect(start).toBeGreaterThan(0);
    expect(page.slice(start, end + DOC_END.length)).toBe(hyperparameterDoc());
  });

  it('has one row per hyperparameter of every family, with what it accepts', () => {
    const section = page.slice(page.indexOf(DOC_START), page.indexOf(DOC_END));
    const rows = [...section.matchAll(/^\| `([a-zA-Z0-9_]+)` \| ([^|]+) \|/gm)].map((m) => `${m[1]}: ${m[2]!.trim()}`);
    const expected = Object.values(HYPERPARAMETERS).flatMap((table) => Object.keys(table));
    expect(rows.map((r) => r.split(':')[0])).toEqual(expected);
    expect(rows).toContain('n_estimators: a positive integer');
    expect(rows).toContain('C: a number > 0');
    expect(rows).toContain('max_depth: a positive integer or null');
  });
});
