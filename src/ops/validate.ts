/** `runforge validate`: checks any RunForge file against its contract. */
import path from 'node:path';
import type { SweepPlan } from '../contracts/plan.js';
import { DOCUMENT_KINDS, type DocumentKind, detectKind, parseJsonText, validateDocument } from '../contracts/index.js';
import { documentWarnings } from '../contracts/warnings.js';
import { MissingFilesError, UsageError } from '../infra/errors.js';
import { readTextIfExists } from '../workspace/json-file.js';
import { sweepProblems } from './plan-file.js';

export interface ValidationReport {
  kind: DocumentKind | undefined;
  /** Empty when the file is valid; else one line per problem, each naming the field. */
  problems: string[];
  /**
   * What is accepted but worth knowing (an artifact type the port does not know, a key no schema
   * names); one line each. Empty with `strict`, which reports them as problems.
   */
  warnings: string[];
}

export function parseKind(kind: string): DocumentKind {
  if (!(DOCUMENT_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`Unknown kind '${kind}': use one of ${DOCUMENT_KINDS.join(', ')}`);
  }
  return kind as DocumentKind;
}

/**
 * The kind a file's name tells, for a file whose content cannot (not JSON, or no telling field):
 * `plan.json`, `my-plan.json`, `sweep_plan.json` → plan; likewise request, queue, daemon, group, result.
 */
export function kindFromFileName(file: string): DocumentKind | undefined {
  const stem = path.basename(file).toLowerCase().replace(/\.json$/, '');
  return DOCUMENT_KINDS.find((k) => stem === k || stem.endsWith(`-${k}`) || stem.endsWith(`_${k}`) || stem.endsWith(`.${k}`));
}

export interface ValidateOptions {
  kind?: DocumentKind | undefined;
  /** Report every warning as a problem (`validate --strict`). */
  strict?: boolean | undefined;
}

/**
 * Everything RunForge would check of this file before using it: its contract, and for a plan what
 * `enqueue-sweep` checks of the sweep (the same function, ops/plan-file.ts `sweepProblems`).
 */
export async function validateFile(file: string, options: ValidateOptions = {}): Promise<ValidationReport> {
  let text: string | undefined;
  try {
    text = await readTextIfExists(file);
  } catch (err) {
    throw new MissingFilesError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (text === undefined) throw new MissingFilesError(`File not found: ${file}`);
  const json = parseJsonText(text);
  const effective = options.kind ?? (json.ok ? detectKind(json.value) : undefined) ?? kindFromFileName(file);
  if (!json.ok) return { kind: effective, problems: json.problems, warnings: [] };
  if (!effective) {
    return { kind: undefined, problems: [`cannot tell what kind of file this is; pass --kind (${DOCUMENT_KINDS.join(', ')})`], warnings: [] };
  }
  const checked = validateDocument(effective, json.value);
  const problems = !checked.ok ? checked.problems : effective === 'plan' ? await sweepProblems(checked.value as SweepPlan) : [];
  const warnings = documentWarnings(effective, json.value);
  if (options.strict) return { kind: effective, problems: [...problems, ...warnings], warnings: [] };
  return { kind: effective, problems, warnings };
}
