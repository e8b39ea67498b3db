/** JSON Schema of every file format, generated from the zod contracts (for docs/schemas/). */
import { z } from 'zod';
import { DOCUMENT_KINDS, type DocumentKind, SCHEMAS } from './index.js';

const TITLES: Record<DocumentKind, string> = {
  request: 'RunForge run request (request.json, version 1)',
  plan: 'RunForge sweep plan (plan.json, version 1)',
  queue: 'RunForge execution queue (.runforge/queue/queue.json)',
  daemon: 'RunForge daemon heartbeat (.runforge/queue/daemon.json)',
  group: 'RunForge run group (.runforge/groups/<group-id>/group.json)',
  result: 'RunForge run result (result.json, version 1)',
};

export function jsonSchemas(): Record<DocumentKind, Record<string, unknown>> {
  const out = {} as Record<DocumentKind, Record<string, unknown>>;
  for (const kind of DOCUMENT_KINDS) {
    // `input`: what a file may contain (fields with defaults are optional there).
    const schema = z.toJSONSchema(SCHEMAS[kind], { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    out[kind] = { $id: `runforge/${kind}.schema.json`, title: TITLES[kind], ...schema };
  }
  return out;
}
