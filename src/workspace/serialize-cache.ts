/**
 * `serialize` (two-space indent, trailing newline) as bytes, for the state files the daemon rewrites
 * at every job start and end: queue.json holds every active job and a sweep's group.json every run,
 * and between two updates only a few of them change. The elements of a document's top-level arrays
 * (jobs, runs) are kept serialised, each beside a copy of what it was serialised from, and serialised
 * again only when they differ from that copy (compared field by field, in order, nested values too).
 * The output is byte for byte what `serialize` gives (tests/unit/workspace/serialize-cache.test.ts).
 */

interface Cached {
  /** The element's keys and values as it was serialised (object values as deep copies). */
  keys: string[];
  values: unknown[];
  bytes: Buffer;
}

/** Arrays shorter than this are serialised whole: the cache would cost more than it saves. */
const MIN_CACHED_ARRAY = 16;
const cache = new WeakMap<object, Cached>();
const COMMA = Buffer.from(',\n');
const ELEMENT_INDENT = '    ';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function copyOf(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(copyOf);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = copyOf((value as Record<string, unknown>)[key]);
  return out;
}

/** Whether `value` would serialise as `copy` did: same keys in the same order, same values. */
function same(value: unknown, copy: unknown): boolean {
  if (value === copy) return true;
  if (value === null || copy === null || typeof value !== 'object' || typeof copy !== 'object') {
    return typeof value === 'number' && typeof copy === 'number' && Number.isNaN(value) && Number.isNaN(copy);
  }
  if (Array.isArray(value) !== Array.isArray(copy)) return false;
  const a = Object.keys(value);
  const b = Object.keys(copy);
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const key = a[i]!;
    if (key !== b[i] || !same((value as Record<string, unknown>)[key], (copy as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** Whether an element is still what `cached` was serialised from (no allocation for flat elements). */
function unchanged(element: Record<string, unknown>, cached: Cached): boolean {
  let i = 0;
  for (const key in element) {
    if (key !== cached.keys[i]) return false;
    const value = element[key];
    const was = cached.values[i];
    if (value !== was && (typeof value !== 'object' || value === null || !same(value, was))) return false;
    i++;
  }
  return i === cached.keys.length;
}

function elementBytes(element: Record<string, unknown>): Buffer {
  const cached = cache.get(element);
  if (cached && unchanged(element, cached)) return cached.bytes;
  const bytes = Buffer.from(ELEMENT_INDENT + JSON.stringify(element, null, 2).replaceAll('\n', `\n${ELEMENT_INDENT}`));
  const keys = Object.keys(element);
  cache.set(element, { keys, values: keys.map((k) => copyOf(element[k])), bytes });
  return bytes;
}

const cacheable = (value: unknown): value is Record<string, unknown>[] =>
  Array.isArray(value) && value.length >= MIN_CACHED_ARRAY && value.every((e) => e !== null && typeof e === 'object' && !Array.isArray(e));

/** `serialize(doc)` as UTF-8 bytes, with the elements of the top-level arrays serialised only when changed. */
export function serializeBytes(doc: unknown): Buffer {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return Buffer.from(`${JSON.stringify(doc, null, 2)}\n`);
  const parts: Buffer[] = [];
  let text = '{';
  let first = true;
  for (const key of Object.keys(doc)) {
    const value = (doc as Record<string, Json | undefined>)[key];
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
    text += `${first ? '' : ','}\n  ${JSON.stringify(key)}: `;
    first = false;
    if (!cacheable(value)) {
      text += JSON.stringify(value, null, 2).replaceAll('\n', '\n  ');
      continue;
    }
    parts.push(Buffer.from(`${text}[\n`));
    value.forEach((element, i) => {
      if (i > 0) parts.push(COMMA);
      parts.push(elementBytes(element));
    });
    text = '\n  ]';
  }
  text += first ? '}\n' : '\n}\n';
  parts.push(Buffer.from(text));
  return Buffer.concat(parts);
}
