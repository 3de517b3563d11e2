/**
 * Mini Sudoku (4×4 grid, 2×2 boxes) for the demo: small enough to train on a CPU in minutes,
 * still a constraint-satisfaction puzzle. At this size everything is exhaustive: all 288 solution
 * grids are enumerated, a puzzle is unique when exactly one grid matches its clues, and
 * equivalence is decided by a canonical form over all 3,072 symmetries (digit relabelling × band,
 * row-in-band, stack and column-in-stack swaps × transpose), so train and test are disjoint up to
 * symmetry. Tokens follow the 9×9 set: 0 PAD, 1 blank, digit d → d + 1 (vocab 6, seq_len 16).
 *
 * @module
 */
import { Rng } from "../rng.ts";
import { SplitWriter, writeIdentifiers } from "../../lib/io/dataset.ts";

const N = 4, CELLS = 16;

/** All 288 valid 4×4 grids, digits 1..4, row-major. */
export const MINI_GRIDS: readonly Uint8Array[] = (() => {
  const out: Uint8Array[] = [];
  const g = new Uint8Array(CELLS);
  const ok = (i: number, v: number) => {
    const r = i >> 2, c = i & 3, br = r & ~1, bc = c & ~1;
    for (let k = 0; k < N; k++) if (g[r * N + k] === v || g[k * N + c] === v) return false;
    for (let a = 0; a < 2; a++) {
      for (let b = 0; b < 2; b++) if (g[(br + a) * N + bc + b] === v) return false;
    }
    return true;
  };
  const fill = (i: number): void => {
    if (i === CELLS) {
      out.push(g.slice());
      return;
    }
    for (let v = 1; v <= N; v++) {
      if (ok(i, v)) {
        g[i] = v;
        fill(i + 1);
        g[i] = 0;
      }
    }
  };
  fill(0);
  return out;
})();

/** Number of grids consistent with a puzzle's clues (0 = blank), stopping at `limit`. */
export function countMiniSolutions(puzzle: ArrayLike<number>, limit = 2): number {
  let n = 0;
  for (const s of MINI_GRIDS) {
    let match = true;
    for (let i = 0; i < CELLS && match; i++) if (puzzle[i] && puzzle[i] !== s[i]) match = false;
    if (match && ++n >= limit) break;
  }
  return n;
}

// Positional symmetries as cell maps: out[i] = in[map[i]].
const POSITIONS: readonly Uint8Array[] = (() => {
  const maps: Uint8Array[] = [];
  const swaps = [[0, 1, 2, 3], [1, 0, 2, 3], [0, 1, 3, 2], [1, 0, 3, 2]];
  const bands = [[0, 1, 2, 3], [2, 3, 0, 1]];
  const lines: number[][] = [];
  for (const b of bands) for (const s of swaps) lines.push(s.map((x) => b[x]));
  for (const rows of lines) {
    for (const cols of lines) {
      for (const t of [false, true]) {
        const m = new Uint8Array(CELLS);
        for (let r = 0; r < N; r++) {
          for (let c = 0; c < N; c++) {
            m[r * N + c] = t ? cols[c] * N + rows[r] : rows[r] * N + cols[c];
          }
        }
        maps.push(m);
      }
    }
  }
  return maps;
})();

/**
 * A canonical string of a puzzle under all symmetries: the smallest over positional maps, with
 * digits relabelled in order of first appearance. Equivalent puzzles get the same string.
 */
export function miniCanonical(puzzle: ArrayLike<number>): string {
  let best = "";
  const cells = new Array<number>(CELLS);
  for (const m of POSITIONS) {
    const relabel = [0, 0, 0, 0, 0];
    let next = 1;
    for (let i = 0; i < CELLS; i++) {
      const v = puzzle[m[i]];
      if (v && !relabel[v]) relabel[v] = next++;
      cells[i] = relabel[v];
    }
    const s = cells.join("");
    if (!best || s < best) best = s;
  }
  return best;
}

/** One generated puzzle. */
export interface MiniPuzzle {
  /** Clues, 0 = blank. */
  puzzle: Uint8Array;
  /** The unique solution. */
  solution: Uint8Array;
}

/**
 * A random unique puzzle: a random grid, clues removed in random order while unique (minimal),
 * then `extraClues` solution cells given back (fewer blanks, easier).
 */
export function randomMiniPuzzle(rng: Rng, extraClues: number): MiniPuzzle {
  const solution = MINI_GRIDS[rng.int(MINI_GRIDS.length)];
  const puzzle = solution.slice();
  for (const i of rng.permutation(CELLS)) {
    const v = puzzle[i];
    puzzle[i] = 0;
    if (countMiniSolutions(puzzle) !== 1) puzzle[i] = v;
  }
  const blanks = rng.shuffle([...puzzle.keys()].filter((i) => puzzle[i] === 0));
  for (const i of blanks.slice(0, extraClues)) puzzle[i] = solution[i];
  return { puzzle, solution: solution.slice() };
}

/**
 * A random symmetry of a puzzle and its solution (positional map and digit relabelling), as the
 * reference augments 9×9 Sudoku: the same transform applied to both.
 */
export function shuffleMini(rng: Rng, p: MiniPuzzle): MiniPuzzle {
  const map = POSITIONS[rng.int(POSITIONS.length)];
  const digits = [0, ...rng.permutation(N).map((d) => d + 1)];
  const puzzle = new Uint8Array(CELLS), solution = new Uint8Array(CELLS);
  for (let i = 0; i < CELLS; i++) {
    puzzle[i] = digits[p.puzzle[map[i]]];
    solution[i] = digits[p.solution[map[i]]];
  }
  return { puzzle, solution };
}

/** Options of {@linkcode generateMiniSudokuDataset}. */
export interface MiniSudokuOptions {
  /** Output folder (HRM dataset layout). */
  out: string;
  /** Training puzzles. */
  train: number;
  /** Test puzzles (never equivalent to a training puzzle under any symmetry). */
  test: number;
  /** Clues given back after minimising (0 = minimal puzzles, ~4.4 clues). @default {4} */
  extraClues?: number;
  /** Symmetric variants added to each training puzzle's group (the test split is never augmented). @default {0} */
  aug?: number;
  /** Seed. */
  seed: number;
}

/**
 * Writes a mini-Sudoku dataset: test classes first, then training puzzles from the remaining
 * symmetry classes. Each puzzle is a group; with `aug`, a training group also holds that many
 * random symmetric variants of its puzzle (each its own puzzle), as the reference's augmentation.
 *
 * @returns Counts, and the mean number of blanks per puzzle.
 * @throws {RangeError} when there are not enough distinct symmetry classes for the request.
 */
export async function generateMiniSudokuDataset(
  o: MiniSudokuOptions,
): Promise<{ train: number; test: number; meanBlanks: number }> {
  const rng = new Rng(o.seed);
  const extra = o.extraClues ?? 4;
  const byClass = new Map<string, MiniPuzzle>();
  const want = o.train + o.test;
  for (let tries = 0; byClass.size < want; tries++) {
    if (tries > want * 200) {
      throw new RangeError(
        `only ${byClass.size} distinct mini-Sudoku classes found; ask for fewer`,
      );
    }
    const p = randomMiniPuzzle(rng, extra);
    const key = miniCanonical(p.puzzle);
    if (!byClass.has(key)) byClass.set(key, p);
  }
  const all = [...byClass.values()];
  const splits = { test: all.slice(0, o.test), train: all.slice(o.test) };
  let blanks = 0;
  for (const [split, rows] of Object.entries(splits) as ["train" | "test", MiniPuzzle[]][]) {
    await Deno.mkdir(`${o.out}/${split}`, { recursive: true });
    const w = new SplitWriter(o.out, split, {
      seq_len: CELLS,
      vocab_size: N + 2,
      ignore_label_id: 0,
    });
    try {
      for (const r of rows) {
        blanks += r.puzzle.filter((x) => x === 0).length;
        const variants = [r];
        if (split === "train") {
          for (let k = 0; k < (o.aug ?? 0); k++) variants.push(shuffleMini(rng, r));
        }
        await w.addGroup(variants.map((v) => ({
          puzzle_identifier: 0,
          examples: [{ input: v.puzzle.map((x) => x + 1), label: v.solution.map((x) => x + 1) }],
        })));
      }
      await w.finish({ num_puzzle_identifiers: 1 });
    } catch (e) {
      await w.abort();
      throw e;
    }
  }
  await writeIdentifiers(o.out, ["<blank>"]);
  return { train: o.train, test: o.test, meanBlanks: blanks / want };
}
