/**
 * "did you mean …?" for a name that is almost a known one: `hyperparamters` → `hyperparameters`,
 * `n_estimator` → `n_estimators`. Plain functions, no zod (the request rules use them on the fast path).
 */

/**
 * Edit distance with adjacent transpositions (optimal string alignment): the number of single
 * characters to insert, delete, substitute or swap to turn `a` into `b`.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known name closest to `name`, when it is close enough to be a typo of it: at most one edit per
 * three characters (at least one; none for a name shorter than three), case ignored; else a known name of which `name` is one whole
 * `_`-separated word (`depth` → `max_depth`) or the initials (`lr` → `learning_rate`). `undefined` when nothing is that close.
 */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  // A one- or two-letter name is close only to itself in another case (`c` → `C`), never to `y`.
  const limit = name.length < 3 ? 0 : Math.max(1, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  let byWord: string | undefined;
  for (const candidate of known) {
    if (candidate === name) continue;
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
    const words = candidate.toLowerCase().split('_');
    const initials = words.length > 1 ? words.map((w) => w[0]).join('') : undefined;
    if (byWord === undefined && ((name.length >= 3 && words.includes(lower)) || initials === lower)) byWord = candidate;
  }
  return best ?? byWord;
}

/** The `; did you mean \`x\`?` ending of a message, or '' when nothing is close. */
export function didYouMean(suggestion: string | undefined): string {
  return suggestion === undefined ? '' : `; did you mean \`${suggestion}\`?`;
}
