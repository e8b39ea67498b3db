/**
 * Turns zod issues into one line per problem that names the field:
 * `dataset.label_column is required`, `device.type must be one of "cpu", "gpu"`.
 */
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isFinite(value)) return 'non-finite number';
  return typeof value;
}

/** `an array`, `an object`, `a string`: the article a type name takes. */
const withArticle = (noun: string): string => `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;

/** zod's own wording starts like this; any other message was written by our schemas and is kept. */
const ZOD_DEFAULT = /^(Invalid|Too (small|big)|Expected|Unrecognized)/;

function describe(issue: Issue): string {
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'is required';
      const expected = issue.expected === 'int' ? 'an integer' : withArticle(issue.expected);
      return `must be ${expected} (got ${typeName(issue.input)})`;
    }
    case 'invalid_value': {
      if (issue.input === undefined) return 'is required';
      const values = issue.values.map((v) => JSON.stringify(v));
      return values.length === 1 ? `must be ${values[0]}` : `must be one of ${values.join(', ')}`;
    }
    case 'too_small': {
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return 'must not be empty';
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item(s)`;
      return `must be ${issue.inclusive === false ? '>' : '>='} ${issue.minimum}`;
    }
    case 'too_big': {
      if (issue.origin === 'array') return `must have at most ${issue.maximum} item(s)`;
      if (issue.origin === 'number' || issue.origin === 'int') {
        return Number(issue.maximum) >= Number.MAX_SAFE_INTEGER
          ? 'must be a safe integer'
          : `must be ${issue.inclusive === false ? '<' : '<='} ${issue.maximum}`;
      }
      return `must be at most ${issue.maximum} long`;
    }
    case 'invalid_format':
      return `has an invalid format (${issue.format})`;
    default:
      return issue.message;
  }
}

/** One line per problem, each naming the field (`(root)` for the document itself). */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const where = fieldPath(issue.path);
    const what = describe(issue as Issue);
    return where === '' ? `(root) ${what}` : `${where} ${what}`;
  });
}
