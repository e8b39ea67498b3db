/** Randomness, in one place: id suffixes that do not collide across processes. */
import { randomBytes } from 'node:crypto';

/** `bytes` random bytes as lowercase hex (6 bytes = 48 bits = 12 hex digits by default). */
export function randomHex(bytes = 6): string {
  return randomBytes(bytes).toString('hex');
}
