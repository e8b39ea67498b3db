/** Loading a user's sweep plan: a missing file is exit 3, anything unusable in it exit 6. */
import { checkDocument, parseJsonText } from '../contracts/document.js';
import type { SweepPlan } from '../contracts/plan.js';
import { InvalidPlanError, MissingFilesError } from '../infra/errors.js';
import { readTextIfExists } from '../workspace/json-file.js';

export interface LoadedPlan {
  plan: SweepPlan;
  /** The document as written, unknown fields included, for the group's plan.json copy. */
  doc: Record<string, unknown>;
}

export async function loadPlan(file: string): Promise<LoadedPlan> {
  const text = await readTextIfExists(file).catch((err: NodeJS.ErrnoException) => {
    throw new MissingFilesError(`Cannot read plan ${file}: ${err.code ?? err.message}`);
  });
  if (text === undefined) throw new MissingFilesError(`Plan not found: ${file}`);
  const json = parseJsonText(text);
  const checked = json.ok ? await checkDocument('plan', json.value) : json;
  if (!checked.ok) {
    throw new InvalidPlanError(`${file} is not a valid plan: ${checked.problems[0]}`, checked.problems.slice(1));
  }
  return { plan: checked.value, doc: (json as { value: Record<string, unknown> }).value };
}
