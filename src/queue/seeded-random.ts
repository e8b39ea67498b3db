/**
 * A seeded pseudo-random number generator for the `random` sweep strategy: the same seed gives the
 * same sequence on every machine and every run, so a plan's trials are reproducible. Pure (no clock,
 * no global state). mulberry32, a 32-bit generator with a full 2^32 period: tiny, fast, and good
 * enough for drawing a few thousand hyperparameter trials (not for cryptography). Node's
 * `crypto`/`Math.random` cannot be seeded, hence our own.
 */

/** Draws uniform numbers in [0, 1), each from 53 random bits (two 32-bit outputs). */
export type Uniform = () => number;

const TWO_32 = 2 ** 32;

/** One 32-bit step of mulberry32 over `state` (mutated), as an unsigned integer. */
function mulberry32(state: { s: number }): number {
  state.s = (state.s + 0x6d2b79f5) | 0;
  let t = state.s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

/**
 * A generator seeded by `seed`, an integer ≥ 0 (a plan's `strategy.seed`, up to 2^53). The seed's
 * high and low 32 bits are mixed so that seeds differing only above bit 32 still differ.
 */
export function seededUniform(seed: number): Uniform {
  const low = seed >>> 0;
  const high = Math.floor(seed / TWO_32) >>> 0;
  const state = { s: (low ^ Math.imul(high, 0x9e3779b1)) | 0 };
  return () => {
    // 21 + 32 bits: every float in [0, 1) a double can hold at that spacing, never 1.
    const upper = mulberry32(state) >>> 11;
    const lower = mulberry32(state);
    return (upper * TWO_32 + lower) / 2 ** 53;
  };
}
