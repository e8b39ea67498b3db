/**
 * `serialize` (two-space indent, trailing newline) as bytes, for the state files the daemon rewrites
 * at every job start and end: queue.json holds every active job and a sweep's group.json every run,
 * and between two updates only a few of them change. The elements of a document's top-level arrays
 * (jobs, runs) are kept serialised, each beside a copy of what it was serialised from, and serialised
 * again only when they differ from that copy (compared field by field, in order, nested values too).
 * The output is byte for byte what `serialize` gives (tests/unit/workspace/serialize-cache.test.ts).
 */

/**
 * A copy of a JSON value as it was serialised, to compare the value with later without allocating:
 * primitives as they are, objects as their keys in order beside copies of their values.
 */
type Copy = null | boolean | number | string | undefined | ObjectCopy | ArrayCopy;

class ObjectCopy {
  constructor(
    readonly keys: readonly string[],
    readonly values: readonly Copy[],
  ) {}
}

class ArrayCopy {
  constructor(readonly items: readonly Copy[]) {}
}

interface Cached {
  /** The element as it was serialised. */
  copy: ObjectCopy;
  bytes: Buffer;
}

/** Arrays shorter than this are serialised whole: the cache would cost more than it saves. */
const MIN_CACHED_ARRAY = 16;
const cache = new WeakMap<object, Cached>();
const COMMA = Buffer.from(',\n');
const ELEMENT_INDENT = '    ';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function copyOf(value: unknown): Copy {
  if (value === null || typeof value !== 'object') return value as Copy;
  if (Array.isArray(value)) return new ArrayCopy(value.map(copyOf));
  return objectCopyOf(value as Record<string, unknown>);
}

function objectCopyOf(value: Record<string, unknown>): ObjectCopy {
  const keys = Object.keys(value);
  return new ObjectCopy(
    keys,
    keys.map((k) => copyOf(value[k])),
  );
}

/** Whether `value` would serialise as `copy` did: same keys in the same order, same values. */
function same(value: unknown, copy: Copy): boolean {
  if (value === copy) return true;
  if (copy instanceof ObjectCopy) {
    return value !== null && typeof value === 'object' && !Array.isArray(value) && sameObject(value as Record<string, unknown>, copy);
  }
  if (copy instanceof ArrayCopy) {
    if (!Array.isArray(value) || value.length !== copy.items.length) return false;
    for (let i = 0; i < value.length; i++) if (!same(value[i], copy.items[i])) return false;
    return true;
  }
  return typeof value === 'number' && typeof copy === 'number' && Number.isNaN(value) && Number.isNaN(copy);
}

function sameObject(value: Record<string, unknown>, copy: ObjectCopy): boolean {
  const { keys, values } = copy;
  let i = 0;
  for (const key in value) {
    if (key !== keys[i] || !same(value[key], values[i])) return false;
    i++;
  }
  return i === keys.length;
}

function elementBytes(element: Record<string, unknown>): Buffer {
  const cached = cache.get(element);
  if (cached && sameObject(element, cached.copy)) return cached.bytes;
  const bytes = Buffer.from(ELEMENT_INDENT + JSON.stringify(element, null, 2).replaceAll('\n', `\n${ELEMENT_INDENT}`));
  cache.set(element, { copy: objectCopyOf(element), bytes });
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
