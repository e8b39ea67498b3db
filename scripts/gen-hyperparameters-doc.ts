/**
 * Writes the hyperparameter tables of docs/training.md from src/contracts/hyperparameters.ts (between
 * the page's markers). Run: npx tsx scripts/gen-hyperparameters-doc.ts (a test fails while the page
 * is out of date).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withHyperparameterDoc } from '../src/contracts/hyperparameters-doc.js';

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'training.md');
const page = withHyperparameterDoc(readFileSync(file, 'utf8'));
if (page === undefined) {
  console.error('docs/training.md has no hyperparameter markers (see src/contracts/hyperparameters-doc.ts)');
  process.exit(1);
}
writeFileSync(file, page);
console.log('wrote the hyperparameter tables of docs/training.md');
