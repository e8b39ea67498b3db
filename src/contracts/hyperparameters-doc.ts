/**
 * The hyperparameter tables of docs/training.md, rendered from the one table (hyperparameters.ts):
 * `npx tsx scripts/gen-hyperparameters-doc.ts` writes them between the page's markers, and
 * tests/unit/docs/hyperparameters-doc.test.ts fails while the page says anything else.
 */
import { FAMILY_DEFAULTS, MODEL_FAMILIES, type ModelFamily } from './constants.js';
import { describeAccepted, HYPERPARAMETERS } from './hyperparameters.js';

export const DOC_START = '<!-- hyperparameters: generated from src/contracts/hyperparameters.ts; do not edit -->';
export const DOC_END = '<!-- hyperparameters: end -->';

const LIBRARY: Record<ModelFamily, string> = {
  logistic_regression: 'scikit-learn `LogisticRegression`',
  random_forest: 'scikit-learn `RandomForestClassifier`',
  linear_svc: 'scikit-learn `LinearSVC`',
  mlp: 'PyTorch, `python/runforge_trainer/mlp.py`',
};

const cell = (text: string): string => text.replaceAll('|', '\\|');
const code = (value: unknown): string => `\`${JSON.stringify(value)}\``;

function familyTable(family: ModelFamily): string[] {
  const ours = FAMILY_DEFAULTS[family];
  const lines = [
    `**\`${family}\`** (${LIBRARY[family]})`,
    '',
    '| hyperparameter | accepts | default | sets |',
    '|---|---|---|---|',
  ];
  for (const [name, spec] of Object.entries(HYPERPARAMETERS[family])) {
    // RunForge's own defaults (merged under the request's) in bold; the others are the library's.
    const fallback = Object.prototype.hasOwnProperty.call(ours, name) ? `**${code(ours[name])}**` : code(spec.default);
    lines.push(`| \`${name}\` | ${cell(describeAccepted(spec))} | ${fallback} | ${cell(spec.meaning)} |`);
  }
  return lines;
}

/** The generated part of docs/training.md, markers included. */
export function hyperparameterDoc(): string {
  const tables = MODEL_FAMILIES.flatMap((family) => [...familyTable(family), '']);
  return [DOC_START, '', ...tables, DOC_END].join('\n');
}

/** `page` with its generated part replaced by the current one; `undefined` when the markers are missing. */
export function withHyperparameterDoc(page: string): string | undefined {
  const start = page.indexOf(DOC_START);
  const end = page.indexOf(DOC_END);
  if (start < 0 || end < start) return undefined;
  return page.slice(0, start) + hyperparameterDoc() + page.slice(end + DOC_END.length);
}
