/**
 * `RUNFORGE_PARAMS` (issue 16): what a run's program finds of its parameters in its environment, so
 * a script reads its swept values without parsing request.json. JSON of
 * `{"swept": {<dot path>: value}, "hyperparameters": {<name>: value}}`:
 * - `swept`: the values its sweep set (the request's `sweep_params`), `{}` for a run outside a sweep;
 * - `hyperparameters`: for the built-in trainer the ones it trains with (the family's defaults under
 *   the request's), for a custom command the request's `model.hyperparameters` (`{}` when none).
 */
import { FAMILY_DEFAULTS } from '../contracts/constants.js';
import type { RunRequest } from '../contracts/request.js';

/** The name of the environment variable. */
export const ENV_PARAMS = 'RUNFORGE_PARAMS';

/** The value of `RUNFORGE_PARAMS` for a run of `request`. */
export function runParams(request: RunRequest): string {
  const family = request.command === undefined ? request.model?.family : undefined;
  const own = request.model?.hyperparameters ?? {};
  const hyperparameters = family === undefined ? own : { ...FAMILY_DEFAULTS[family], ...own };
  return JSON.stringify({ swept: request.sweep_params ?? {}, hyperparameters });
}
