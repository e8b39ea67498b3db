/**
 * What a reader accepts but a user may want to hear about: `runforge validate` prints these as
 * warnings (the file stays valid). Plain functions, no zod, like rules.ts.
 */
import { ARTIFACT_TYPES, type DocumentKind, isKnownArtifactType } from './constants.js';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** One line per warning, naming the field: `artifacts[2].type "weights" is not a known artifact type (…); kept as is`. */
export function documentWarnings(kind: DocumentKind, doc: unknown): string[] {
  if (kind !== 'result' || !isObject(doc) || !Array.isArray(doc.artifacts)) return [];
  const warnings: string[] = [];
  doc.artifacts.forEach((artifact: unknown, i) => {
    if (!isObject(artifact) || typeof artifact.type !== 'string' || isKnownArtifactType(artifact.type)) return;
    warnings.push(
      `artifacts[${i}].type ${JSON.stringify(artifact.type)} is not a known artifact type (${ARTIFACT_TYPES.join(', ')}); kept as is`,
    );
  });
  return warnings;
}
