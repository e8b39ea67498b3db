/**
 * What a reader accepts but a user may want to hear about: `runforge validate` prints these as
 * warnings (the file stays valid; `--strict` makes them problems). Which keys a request or a plan
 * knows comes from its zod schema (fields.ts): only `validate`, which loads zod anyway, calls this.
 */
import { ARTIFACT_TYPES, type DocumentKind, isKnownArtifactType } from './constants.js';
import { type FieldNode, planFields, requestFields, unknownKeys } from './fields.js';
import { closestName, didYouMean } from './suggest.js';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** One line per warning, naming the field: `artifacts[2].type "weights" is not a known artifact type (…); kept as is`. */
export function documentWarnings(kind: DocumentKind, doc: unknown): string[] {
  if (kind === 'request') return unknownKeyWarnings(requestFields(), doc);
  if (kind === 'plan') return unknownKeyWarnings(planFields(), doc);
  return artifactTypeWarnings(kind, doc);
}

/**
 * A key of a request or a plan that no schema names: kept when the file is rewritten (a newer
 * RunForge may have written it), but more often a typo that silently changes nothing, so it is named,
 * with the closest known key: `model.hyperparamters is not a known field (kept as is); did you mean \`hyperparameters\`?`.
 * Only requests and plans: the state files are RunForge's own writing.
 */
function unknownKeyWarnings(fields: FieldNode, doc: unknown): string[] {
  return unknownKeys(fields, doc).map((u) => `${u.where} is not a known field (kept as is)${didYouMean(closestName(u.key, u.known))}`);
}

function artifactTypeWarnings(kind: DocumentKind, doc: unknown): string[] {
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
