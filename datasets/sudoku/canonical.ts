/**
 * Sudoku equivalence: two puzzles are equivalent when a symmetry of the augmentation family
 * (transpose, band/row and stack/column permutations, digit relabelling; 2·6^8·9! maps) turns
 * one into the other. A full canonical form costs millions of candidate maps per puzzle, so
 * puzzles are bucketed by an invariant hash (equal for equivalent puzzles) and only puzzles in
 * the same bucket get the exact check, which searches row and column maps that preserve clue
 * counts per line.
 *
 * @module
 */
import { CELLS } from "./board.ts";

/**
 * A key that is equal for equivalent puzzles (and rarely equal otherwise): line clue counts
 * grouped by band, box clue counts, and for each digit the multiset of (row count, column count,
 * box count) of its clues, with rows and columns unordered so transposition cannot change it.
 *
 * @param puzzle 81 cells, 0 = blank.
 * @returns The invariant key.
 *
 * @example A transpose keeps the key
 * ```ts
 * import { invariantKey } from "./canonical.ts";
 * const p = new Uint8Array(81); p[1] = 5; p[30] = 2;
 * const t = new Uint8Array(81);
 * for (let r = 0; r < 9; r++) for (let c = 0; c < 9; c++) t[c * 9 + r] = p[r * 9 + c];
 * if (invariantKey(p) !== invariantKey(t)) throw new Error();
 * ```
 */
export function invariantKey(puzzle: ArrayLike<number>): string {
  const rows = new Uint8Array(9), cols = new Uint8Array(9), boxes = new Uint8Array(9);
  for (let i = 0; i < CELLS; i++) {
    if (puzzle[i] === 0) continue;
    const r = (i / 9) | 0, c = i % 9;
    rows[r]++;
    cols[c]++;
    boxes[(r - (r % 3)) + ((c / 3) | 0)]++;
  }
  const lineSig = (counts: Uint8Array): string => {
    const bands: string[] = [];
    for (let b = 0; b < 3; b++) {
      bands.push([counts[b * 3], counts[b * 3 + 1], counts[b * 3 + 2]].sort().join(""));
    }
    return bands.sort().join(".");
  };
  const perDigit: string[][] = Array.from({ length: 10 }, () => []);
  for (let i = 0; i < CELLS; i++) {
    const v = puzzle[i];
    if (v === 0) continue;
    const r = (i / 9) | 0, c = i % 9;
    const a = rows[r], b = cols[c];
    perDigit[v].push(
      `${Math.min(a, b)}${Math.max(a, b)}${boxes[(r - (r % 3)) + ((c / 3) | 0)]}`,
    );
  }
  const digits = perDigit.slice(1).map((l) => l.sort().join(",")).sort().join("|");
  const lines = [lineSig(rows), lineSig(cols)].sort().join("/");
  return `${lines}/${Array.from(boxes).sort().join("")}/${digits}`;
}

/**
 * All line maps (new line i takes old line `map[i]`) that permute bands and lines within bands
 * and carry `from`'s clue counts onto `to`'s.
 */
function lineMaps(from: Uint8Array, to: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const map = new Uint8Array(9);
  const usedBand = [false, false, false];
  const band = (b: number): void => {
    if (b === 3) {
      out.push(map.slice());
      return;
    }
    for (let src = 0; src < 3; src++) {
      if (usedBand[src]) continue;
      usedBand[src] = true;
      for (const p of PERM3) {
        let ok = true;
        for (let k = 0; k < 3 && ok; k++) ok = from[src * 3 + p[k]] === to[b * 3 + k];
        if (!ok) continue;
        for (let k = 0; k < 3; k++) map[b * 3 + k] = src * 3 + p[k];
        band(b + 1);
      }
      usedBand[src] = false;
    }
  };
  band(0);
  return out;
}

const PERM3 = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];

/**
 * Whether some symmetry (transpose, line permutations, digit relabelling) maps `a` onto `b`.
 * Exact; fast unless clue counts are equal on most lines.
 *
 * @param a 81 cells, 0 = blank.
 * @param b 81 cells, 0 = blank.
 * @returns True when equivalent.
 *
 * @example A relabelled, row-swapped copy is equivalent
 * ```ts
 * import { areEquivalent } from "./canonical.ts";
 * const a = new Uint8Array(81); a[0] = 1; a[10] = 2; a[40] = 3;
 * const b = new Uint8Array(81); b[9] = 7; b[1] = 8; b[40] = 9; // rows 0 and 1 swapped
 * if (!areEquivalent(a, b)) throw new Error();
 * ```
 */
export function areEquivalent(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const bRows = new Uint8Array(9), bCols = new Uint8Array(9);
  for (let i = 0; i < CELLS; i++) {
    if (b[i] !== 0) {
      bRows[(i / 9) | 0]++;
      bCols[i % 9]++;
    }
  }
  const src = new Uint8Array(CELLS);
  const fwd = new Uint8Array(10), bwd = new Uint8Array(10);
  for (let t = 0; t < 2; t++) {
    const rows = new Uint8Array(9), cols = new Uint8Array(9);
    for (let r = 0; r < 9; r++) {
      for (let c = 0; c < 9; c++) {
        const v = t === 0 ? a[r * 9 + c] : a[c * 9 + r];
        src[r * 9 + c] = v;
        if (v !== 0) {
          rows[r]++;
          cols[c]++;
        }
      }
    }
    const rowMaps = lineMaps(rows, bRows);
    if (rowMaps.length === 0) continue;
    const colMaps = lineMaps(cols, bCols);
    for (const rm of rowMaps) {
      for (const cm of colMaps) {
        fwd.fill(0);
        bwd.fill(0);
        let ok = true;
        for (let i = 0; i < 9 && ok; i++) {
          const base = rm[i] * 9;
          for (let j = 0; j < 9; j++) {
            const x = src[base + cm[j]], y = b[i * 9 + j];
            if (x === 0 || y === 0) {
              if (x !== y) {
                ok = false;
                break;
              }
              continue;
            }
            if (fwd[x] === 0 && bwd[y] === 0) {
              fwd[x] = y;
              bwd[y] = x;
            } else if (fwd[x] !== y) {
              ok = false;
              break;
            }
          }
        }
        if (ok) return true;
      }
    }
  }
  return false;
}

/**
 * Every pair (i, j) with `a[i]` equivalent to `b[j]`: the train/test disjointness check.
 *
 * @param a Puzzles (e.g. train).
 * @param b Puzzles (e.g. test).
 * @returns Index pairs, ordered by j then i; empty when the sets are symmetry-disjoint.
 *
 * @example
 * ```ts
 * import { findEquivalentPairs } from "./canonical.ts";
 * const a = new Uint8Array(81); a[0] = 1;
 * const b = new Uint8Array(81); b[80] = 9;
 * if (findEquivalentPairs([a], [b]).length !== 1) throw new Error();
 * ```
 */
export function findEquivalentPairs(
  a: readonly ArrayLike<number>[],
  b: readonly ArrayLike<number>[],
): [number, number][] {
  const buckets = new Map<string, number[]>();
  a.forEach((p, i) => {
    const key = invariantKey(p);
    const list = buckets.get(key);
    if (list) list.push(i);
    else buckets.set(key, [i]);
  });
  const pairs: [number, number][] = [];
  b.forEach((q, j) => {
    for (const i of buckets.get(invariantKey(q)) ?? []) {
      if (areEquivalent(a[i], q)) pairs.push([i, j]);
    }
  });
  return pairs;
}

/**
 * A set of puzzles up to symmetry: invariant-hash buckets with an exact check inside a bucket.
 *
 * @example Catches an equivalent copy
 * ```ts
 * import { SymmetrySet } from "./canonical.ts";
 * const set = new SymmetrySet();
 * const a = new Uint8Array(81); a[0] = 1; a[10] = 2;
 * set.add(a);
 * const b = new Uint8Array(81); b[0] = 3; b[10] = 4;
 * if (!set.has(b)) throw new Error();
 * ```
 */
export class SymmetrySet {
  #buckets = new Map<string, Uint8Array[]>();
  #size = 0;

  /** Number of distinct classes stored. */
  get size(): number {
    return this.#size;
  }

  /**
   * Whether a puzzle equivalent to `puzzle` is in the set.
   *
   * @param puzzle 81 cells, 0 = blank.
   * @returns True when present up to symmetry.
   */
  has(puzzle: ArrayLike<number>): boolean {
    const bucket = this.#buckets.get(invariantKey(puzzle));
    return bucket !== undefined && bucket.some((q) => areEquivalent(q, puzzle));
  }

  /**
   * Adds `puzzle` unless an equivalent one is present.
   *
   * @param puzzle 81 cells, 0 = blank (copied).
   * @returns True when added, false when an equivalent puzzle was already there.
   */
  add(puzzle: ArrayLike<number>): boolean {
    const key = invariantKey(puzzle);
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = [];
      this.#buckets.set(key, bucket);
    } else if (bucket.some((q) => areEquivalent(q, puzzle))) {
      return false;
    }
    bucket.push(Uint8Array.from(puzzle));
    this.#size++;
    return true;
  }
}
