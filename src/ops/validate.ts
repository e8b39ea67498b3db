/** `runforge validate`: checks any RunForge file against its contract. */
import { DOCUMENT_KINDS, type DocumentKind, detectKind, parseJsonText, validateDocument } from '../contracts/index.js';
import { documentWarnings } from '../contracts/warnings.js';
import { MissingFilesError, UsageError } from '../infra/errors.js';
import { readTextIfExists } from '../workspace/json-file.js';

export interface ValidationReport {
  kind: DocumentKind | undefined;
  /** Empty when the file is valid; else one line per problem, each naming the field. */
  problems: string[];
  /** What is accepted but worth knowing (e.g. an artifact type the port does not know); one line each. */
  warnings: string[];
}

export function parseKind(kind: string): DocumentKind {
  if (!(DOCUMENT_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`Unknown kind '${kind}': use one of ${DOCUMENT_KINDS.join(', ')}`);
  }
  return kind as DocumentKind;
}

export async function validateFile(file: string, kind?: DocumentKind): Promise<ValidationReport> {
  let text: string | undefined;
  try {
    text = await readTextIfExists(file);
  } catch (err) {
    throw new MissingFilesError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (text === undefined) throw new MissingFilesError(`File not found: ${file}`);
  const json = parseJsonText(text);
  if (!json.ok) return { kind, problems: json.problems, warnings: [] };
  const effective = kind ?? detectKind(json.value);
  if (!effective) {
    return { kind: undefined, problems: [`cannot tell what kind of file this is; pass --kind (${DOCUMENT_KINDS.join(', ')})`], warnings: [] };
  }
  const checked = validateDocument(effective, json.value);
  return { kind: effective, problems: checked.ok ? [] : checked.problems, warnings: documentWarnings(effective, json.value) };
}
