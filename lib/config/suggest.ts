/**
 * "Did you mean" for mistyped names: config keys, commands, flags and presets.
 *
 * @module
 */

/**
 * The candidate nearest to a mistyped word, if it is near enough to be a plausible typo.
 *
 * @param word What the user typed, e.g. `arch.L_cylces`.
 * @param candidates The names that exist.
 * @returns The nearest candidate (case-insensitive edit distance at most max(2, len/4)), or
 *   undefined.
 *
 * @example
 * ```ts
 * import { closest } from "./suggest.ts";
 * if (closest("trian", ["train", "eval"]) !== "train") throw new Error();
 * if (closest("zzzz", ["train", "eval"]) !== undefined) throw new Error();
 * ```
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) [best, bestDist] = [c, d];
  }
  return bestDist <= Math.max(2, Math.floor(word.length / 4)) ? best : undefined;
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
