/**
 * Compiles the zod contracts into plain validator functions (src/contracts/compiled.ts, written by
 * `npm run schemas`). The zod schemas stay the one definition of every file format; the compiled
 * form only answers "valid, and here is the parsed value (defaults applied, keys in zod's order)" or
 * "invalid", so that a command reading valid files never loads zod (~25 ms of a CLI start here).
 * An invalid file is then handed to zod for its problems, one per line.
 *
 * Only what the contracts use is supported; anything else throws at generation time, so a new kind
 * of check cannot be silently skipped. tests/unit/contracts/compiled.test.ts holds the two forms to
 * the same verdict and the same output over a corpus of valid and broken documents.
 */
import type { z } from 'zod';
import { Timestamp } from './common.js';
import { DOCUMENT_KINDS } from './constants.js';
import { SCHEMAS } from './index.js';
import { PlanSchema } from './plan.js';
import { JobSchema } from './queue.js';
import { RequestSchema } from './request.js';

/** zod v4's definition objects, as far as the compiler reads them. */
interface Def {
  type: string;
  checks?: { _zod: { def: CheckDef } }[];
  format?: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  innerType?: z.ZodType;
  defaultValue?: unknown;
  values?: unknown[];
  entries?: Record<string, unknown>;
}
interface CheckDef {
  check: string;
  minimum?: number;
  maximum?: number;
  value?: number;
  inclusive?: boolean;
  format?: string;
  pattern?: RegExp;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;
const isOptionalIn = (schema: z.ZodType): boolean =>
  (schema as unknown as { _zod: { optin?: string } })._zod.optin === 'optional';

/** Cross-field rules (rules.ts) by the schema whose `superRefine` runs them. */
const RULES = new Map<z.ZodType, string>([
  [RequestSchema, 'requestProblems'],
  [PlanSchema, 'planProblems'],
]);

class Compiler {
  private readonly names = new Map<z.ZodType, string>();
  private readonly byBody = new Map<string, string>();
  private readonly functions: string[] = [];
  private readonly constants: string[] = [];
  private readonly patterns = new Map<string, string>();

  /** The name of the function that checks `schema` (one function per distinct body). */
  fn(schema: z.ZodType): string {
    const known = this.names.get(schema);
    if (known) return known;
    // The contracts have no recursive schemas (no z.lazy), so the children are compiled first.
    const body = this.body(schema);
    let name = this.byBody.get(body);
    if (!name) {
      name = `v${this.byBody.size}`;
      this.byBody.set(body, name);
      this.functions.push(`function ${name}(x: any): any {\n${body}\n}`);
    }
    this.names.set(schema, name);
    return name;
  }

  private pattern(re: RegExp): string {
    if (re.global || re.sticky) throw new Error(`cannot compile a /g or /y pattern: ${re}`);
    const key = re.toString();
    let name = this.patterns.get(key);
    if (!name) {
      name = `P${this.patterns.size}`;
      this.patterns.set(key, name);
      this.constants.push(`const ${name} = ${key};`);
    }
    return name;
  }

  private body(schema: z.ZodType): string {
    const def = defOf(schema);
    const checks = (def.checks ?? []).map((c) => c._zod.def);
    const lines: string[] = [];
    const fail = (cond: string): void => {
      lines.push(`  if (${cond}) return F;`);
    };
    switch (def.type) {
      case 'string':
        this.stringChecks(schema, checks, fail);
        lines.push('  return x;');
        break;
      case 'number':
        this.numberChecks(def, checks, fail);
        lines.push('  return x;');
        break;
      case 'boolean':
        fail(`typeof x !== 'boolean'`);
        lines.push('  return x;');
        break;
      case 'unknown':
      case 'any':
        lines.push('  return x;');
        break;
      case 'literal':
      case 'enum': {
        const values = def.type === 'literal' ? def.values! : Object.values(def.entries!);
        for (const v of values) {
          if (v !== null && !['string', 'number', 'boolean'].includes(typeof v)) throw new Error(`cannot compile literal ${String(v)}`);
        }
        fail(values.map((v) => `x !== ${JSON.stringify(v)}`).join(' && '));
        lines.push('  return x;');
        break;
      }
      case 'nullable':
        lines.push(`  return x === null ? null : ${this.fn(def.innerType!)}(x);`);
        break;
      case 'optional':
        lines.push(`  return x === undefined ? undefined : ${this.fn(def.innerType!)}(x);`);
        break;
      case 'default':
        lines.push(`  return x === undefined ? ${this.defaultValue(def)} : ${this.fn(def.innerType!)}(x);`);
        break;
      case 'array':
        this.arrayBody(def, checks, fail, lines);
        break;
      case 'record': {
        const key = defOf(def.keyType!);
        if (key.type !== 'string' || (key.checks ?? []).length > 0) throw new Error('cannot compile a record with checked keys');
        fail('!isPlainObject(x)');
        const value = this.fn(def.valueType!);
        lines.push('  const o: any = {};');
        lines.push(`  for (const k of Object.keys(x)) {\n    const v = ${value}(x[k]);\n    if (v === F) return F;\n    o[k] = v;\n  }`);
        lines.push('  return o;');
        break;
      }
      case 'object':
        this.object(schema, def, checks, lines);
        break;
      default:
        throw new Error(`cannot compile a zod ${def.type}`);
    }
    return lines.join('\n');
  }

  private stringChecks(schema: z.ZodType, checks: CheckDef[], fail: (cond: string) => void): void {
    fail(`typeof x !== 'string'`);
    for (const c of checks) {
      if (c.check === 'min_length') fail(`x.length < ${c.minimum}`);
      else if (c.check === 'max_length') fail(`x.length > ${c.maximum}`);
      else if (c.check === 'string_format' && c.format === 'regex' && c.pattern) fail(`!${this.pattern(c.pattern)}.test(x)`);
      else if (c.check === 'custom' && schema === Timestamp) fail('parseTimestamp(x) === undefined');
      else throw new Error(`cannot compile string check ${c.check}/${c.format ?? ''}`);
    }
  }

  private numberChecks(def: Def, checks: CheckDef[], fail: (cond: string) => void): void {
    if (def.format === 'safeint') fail('!Number.isSafeInteger(x)');
    else if (def.format === undefined) fail(`typeof x !== 'number' || !Number.isFinite(x)`);
    else throw new Error(`cannot compile number format ${def.format}`);
    for (const c of checks) {
      if (c.check === 'greater_than') fail(`x ${c.inclusive ? '<' : '<='} ${c.value}`);
      else if (c.check === 'less_than') fail(`x ${c.inclusive ? '>' : '>='} ${c.value}`);
      else throw new Error(`cannot compile number check ${c.check}`);
    }
  }

  private arrayBody(def: Def, checks: CheckDef[], fail: (cond: string) => void, lines: string[]): void {
    fail('!Array.isArray(x)');
    for (const c of checks) {
      if (c.check === 'min_length') fail(`x.length < ${c.minimum}`);
      else if (c.check === 'max_length') fail(`x.length > ${c.maximum}`);
      else throw new Error(`cannot compile array check ${c.check}`);
    }
    const el = this.fn(def.element!);
    lines.push('  const o = new Array(x.length);');
    lines.push(`  for (let i = 0; i < x.length; i++) {\n    const v = ${el}(x[i]);\n    if (v === F) return F;\n    o[i] = v;\n  }`);
    lines.push('  return o;');
  }

  private defaultValue(def: Def): string {
    const value = def.defaultValue;
    const text = JSON.stringify(value);
    if (text === undefined || JSON.stringify(JSON.parse(text)) !== text) throw new Error('cannot compile a default that is not JSON');
    return text;
  }

  private object(schema: z.ZodType, def: Def, checks: CheckDef[], lines: string[]): void {
    lines.push(`  if (typeof x !== 'object' || x === null || Array.isArray(x)) return F;`);
    lines.push('  const o: any = {};');
    lines.push('  let v: any;');
    const keys = Object.keys(def.shape!);
    for (const key of keys) {
      const child = def.shape![key]!;
      const k = JSON.stringify(key);
      const cdef = defOf(child);
      if (cdef.type === 'default') {
        lines.push(`  if (x[${k}] === undefined) o[${k}] = ${this.defaultValue(cdef)};`);
        lines.push(`  else {\n    v = ${this.fn(cdef.innerType!)}(x[${k}]);\n    if (v === F) return F;\n    o[${k}] = v;\n  }`);
      } else if (isOptionalIn(child)) {
        const inner = cdef.type === 'optional' ? cdef.innerType! : child;
        lines.push(`  if (x[${k}] !== undefined) {\n    v = ${this.fn(inner)}(x[${k}]);\n    if (v === F) return F;\n    o[${k}] = v;\n  }`);
      } else {
        lines.push(`  v = ${this.fn(child)}(x[${k}]);\n  if (v === F) return F;\n  o[${k}] = v;`);
      }
    }
    if (def.catchall) {
      if (defOf(def.catchall).type !== 'unknown') throw new Error('cannot compile a catchall other than unknown');
      const known = `K${this.constants.length}`;
      this.constants.push(`const ${known} = new Set<string>(${JSON.stringify(keys)});`);
      lines.push(`  for (const k of Object.keys(x)) if (!${known}.has(k)) o[k] = x[k];`);
    }
    const custom = checks.filter((c) => c.check === 'custom');
    if (custom.length > 0) {
      const rule = RULES.get(schema);
      if (!rule || custom.length !== 1) throw new Error('an object with a superRefine needs its rule function in RULES (compile.ts)');
      lines.push(`  if (${rule}(o).length > 0) return F;`);
    }
    if (checks.some((c) => c.check !== 'custom')) throw new Error('cannot compile object checks other than superRefine');
    lines.push('  return o;');
  }

  source(): string {
    const entries = DOCUMENT_KINDS.map((kind) => `  ${kind}: ${this.fn(SCHEMAS[kind])},`);
    const job = this.fn(JobSchema);
    return [
      '// GENERATED by `npm run schemas` from the zod contracts (src/contracts/compile.ts). Do not edit.',
      '/* eslint-disable */',
      "import { parseTimestamp } from '../infra/time.js';",
      "import type { DocumentKind } from './constants.js';",
      "import { planProblems, requestProblems } from './rules.js';",
      '',
      '/** What a compiled validator returns for a document its contract rejects. */',
      "export const INVALID: unique symbol = Symbol('invalid');",
      'const F = INVALID;',
      'const isPlainObject = (x: unknown): x is Record<string, any> =>',
      "  typeof x === 'object' && x !== null && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype;",
      ...this.constants,
      '',
      ...this.functions,
      '',
      '/** Per kind: the parsed document (defaults applied, keys in zod\'s order), or INVALID. */',
      'export const COMPILED: Record<DocumentKind, (doc: unknown) => unknown> = {',
      ...entries,
      '};',
      '',
      '/** One job of the queue (a line of history.jsonl). */',
      `export const compiledJob: (doc: unknown) => unknown = ${job};`,
      '',
    ].join('\n');
  }
}

/** The TypeScript source of src/contracts/compiled.ts. */
export function compiledValidatorsSource(): string {
  const compiler = new Compiler();
  return compiler.source();
}
