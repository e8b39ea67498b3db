/**
 * The fields a contract knows, read from its zod schema (the one definition of every format): what
 * `validate` warns about when a document has a key no schema names, and what a sweep path may name.
 * Loaded only by commands that load zod anyway (validate, the sweep check).
 */
import type { z } from 'zod';
import { PlanSchema } from './plan.js';
import { RequestSchema } from './request.js';

/** A field as a schema describes it: an object with named fields, a record (any key), a list, or a value. */
export type FieldNode =
  | { kind: 'object'; fields: ReadonlyMap<string, FieldNode> }
  | { kind: 'record' }
  | { kind: 'array'; element: FieldNode }
  | { kind: 'value' };

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The field tree of `schema`; wrappers (optional, nullable, default, pipe) are looked through. */
export function fieldTree(schema: z.ZodType): FieldNode {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return fieldTree(def.innerType!);
    case 'pipe':
      return fieldTree(def.in!);
    case 'object':
      return { kind: 'object', fields: new Map(Object.entries(def.shape!).map(([k, v]) => [k, fieldTree(v)])) };
    case 'record':
      return { kind: 'record' };
    case 'array':
      return { kind: 'array', element: fieldTree(def.element!) };
    default:
      return { kind: 'value' };
  }
}

let requestTree: FieldNode | undefined;
let planTree: FieldNode | undefined;
/** The fields of request.json (SPEC §2), built once. */
export const requestFields = (): FieldNode => (requestTree ??= fieldTree(RequestSchema));
/** The fields of plan.json (SPEC §3), built once. */
export const planFields = (): FieldNode => (planTree ??= fieldTree(PlanSchema));

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface UnknownKey {
  /** Where the key is, as `validate` names fields: `base_request.model.hyperparamters`. */
  where: string;
  key: string;
  /** The known fields next to it (for a suggestion). */
  known: readonly string[];
}

/** Every key of `doc` that its schema does not name, at any depth (records take any key). */
export function unknownKeys(node: FieldNode, doc: unknown, where = ''): UnknownKey[] {
  const found: UnknownKey[] = [];
  if (node.kind === 'array' && Array.isArray(doc)) {
    doc.forEach((item, i) => found.push(...unknownKeys(node.element, item, `${where}[${i}]`)));
  } else if (node.kind === 'object' && isPlainObject(doc)) {
    for (const [key, value] of Object.entries(doc)) {
      const path = where === '' ? key : `${where}.${key}`;
      const child = node.fields.get(key);
      if (child === undefined) found.push({ where: path, key, known: [...node.fields.keys()] });
      else found.push(...unknownKeys(child, value, path));
    }
  }
  return found;
}
