/** Checks of ids that users type, before they are used to build a path. */
import { SAFE_ID_PATTERN } from '../contracts/constants.js';
import { UsageError } from '../infra/errors.js';
import { quote } from '../infra/text.js';

/** Throws a UsageError (exit 2) unless `id` is safe as one folder name (no `../x`, no slashes). */
export function assertSafeId(what: string, id: string): string {
  if (!SAFE_ID_PATTERN.test(id)) {
    throw new UsageError(
      `Invalid ${what} ${quote(id)}: use 1-128 letters, digits, '.', '_' or '-', not starting with '.' or '-'`,
    );
  }
  return id;
}
