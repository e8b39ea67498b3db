/** Writes docs/schemas/<kind>.schema.json from the zod contracts. Run: npm run schemas */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonSchemas } from '../src/contracts/json-schema.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'schemas');
mkdirSync(dir, { recursive: true });
for (const [kind, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(path.join(dir, `${kind}.schema.json`), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote docs/schemas/${kind}.schema.json`);
}
