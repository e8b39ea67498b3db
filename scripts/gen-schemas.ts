/**
 * Writes what is generated from the zod contracts: docs/schemas/<kind>.schema.json (JSON Schema, for
 * people and editors) and src/contracts/compiled.ts (the validators the CLI runs on valid files).
 * Run: npm run schemas (a test fails while either is out of date).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compiledValidatorsSource } from '../src/contracts/compile.js';
import { jsonSchemas } from '../src/contracts/json-schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'docs', 'schemas');
mkdirSync(dir, { recursive: true });
for (const [kind, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(path.join(dir, `${kind}.schema.json`), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote docs/schemas/${kind}.schema.json`);
}
writeFileSync(path.join(root, 'src', 'contracts', 'compiled.ts'), compiledValidatorsSource());
console.log('wrote src/contracts/compiled.ts');
