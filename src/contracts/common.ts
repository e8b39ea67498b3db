/**
 * Building blocks shared by every file contract. All objects are "loose": unknown fields are kept
 * when a file is read and rewritten (forward compatibility, SPEC §1).
 */
import { z } from 'zod';
import { parseTimestamp } from '../infra/time.js';
import { SAFE_ID_PATTERN } from './constants.js';

export { SAFE_ID_PATTERN };

/** An ISO-8601 timestamp; naive ones (the original's local time) are accepted. */
export const Timestamp = z
  .string()
  .refine((s) => parseTimestamp(s) !== undefined, { message: 'must be an ISO-8601 timestamp' });

/** An id that is safe to use as one folder name (see SAFE_ID_PATTERN). */
export const SafeId = z
  .string()
  .regex(SAFE_ID_PATTERN, { message: 'must be 1-128 letters, digits, ".", "_" or "-", not starting with "." or "-"' });

export const NonEmptyString = z.string().min(1, { message: 'must not be empty' });

export const Int = z.int();
export const PositiveInt = z.int().min(1);
export const NonNegativeInt = z.int().min(0);
