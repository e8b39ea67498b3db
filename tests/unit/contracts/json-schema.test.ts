import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOCUMENT_KINDS } from '../../../src/contracts/index.js';
import { jsonSchemas } from '../../../src/contracts/json-schema.js';
import { REPO_ROOT } from '../../helpers/cli.js';

describe('docs/schemas', () => {
  it.each(DOCUMENT_KINDS)('%s.schema.json is generated from the current contract (npm run schemas)', (kind) => {
    const onDisk = JSON.parse(readFileSync(path.join(REPO_ROOT, 'docs', 'schemas', `${kind}.schema.json`), 'utf8'));
    expect(onDisk).toEqual(jsonSchemas()[kind]);
  });
});
