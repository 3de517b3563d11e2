/**
 * The hard part of the set: a tdoku-style local search (`src/generate.cc`). A small pool of
 * puzzles, kept by loss; each step takes a random member, drops a few clues, re-constrains to a
 * unique solution, minimizes, and scores the result by the geometric mean of its guess counts over
 * random symmetries (limit 1). A candidate that beats the pool's worst replaces it. Starting from
 * random minimal puzzles the pool climbs to puzzles needing tens to hundreds of guesses.
 *
 * Loss = −exp(mean log(1 + guesses)) + U(0, 1): tdoku's `-c0 -g1` setting (clue count ignored,
 * guess weight 1, unit noise), with 10 evaluation symmetries as tdoku, but one dropped clue per
 * step where tdoku's measured run used two (see {@linkcode HardPoolOptions}).
 *
 * @module
 */
import type { Rng } from "../rng.ts";
import { CELLS } from "./board.ts";
import { applySymmetry, randomSymmetry } from "./augment.ts";
import { constrain, minimize, randomMinimalPuzzle, type SolvedPuzzle } from "./generate.ts";
import type { SudokuSolver } from "./solver.ts";

/** Tuning of one pool. */
export interface HardPoolOptions {
  /** Puzzles kept. @default {12} */
  poolSize?: number;
  /**
   * Clues dropped per step. One beat two clearly: 6 pools of 5000 steps reached hardest
   * geometric means 13-107 (median 36) with one, 9-35 (median 18) with two. @default {1}
   */
  drop?: number;
  /**
   * Random symmetries each candidate is solved under (limit 1) to estimate its difficulty. With
   * 4, lucky over-estimates entered the pool and stalled it; 10 is tdoku's value. @default {10}
   */
  evals?: number;
}

/** A pool member. */
export interface PoolEntry extends SolvedPuzzle {
  /** Geometric mean of guesses over the evaluation symmetries (exp(mean log(1+g)) − 1). */
  geoGuesses: number;
  /** Lower is better. */
  loss: number;
  /** The puzzle as text, for duplicate checks. */
  key: string;
}

/**
 * One local-search pool.
 *
 * @example A few steps keep every member unique
 * ```ts
 * import { Rng } from "../rng.ts";
 * import { SudokuSolver } from "./solver.ts";
 * import { HardPool } from "./hard_pool.ts";
 * const solver = new SudokuSolver();
 * const pool = new HardPool(new Rng(1), solver, { poolSize: 4 });
 * for (let i = 0; i < 5; i++) pool.step();
 * if (!pool.entries.every((e) => solver.solve(e.puzzle, 2) === 1)) throw new Error();
 * ```
 */
export class HardPool {
  /** Members, unordered. */
  readonly entries: PoolEntry[] = [];
  /** Steps taken. */
  steps = 0;
  /** Candidates accepted into the pool. */
  accepted = 0;
  readonly #rng: Rng;
  readonly #solver: SudokuSolver;
  readonly #drop: number;
  readonly #evals: number;
  readonly #keys = new Set<string>();

  /**
   * Fills the pool with random minimal puzzles.
   *
   * @param rng The pool's own generator.
   * @param solver A solver.
   * @param options See {@linkcode HardPoolOptions}.
   */
  constructor(rng: Rng, solver: SudokuSolver, options: HardPoolOptions = {}) {
    this.#rng = rng;
    this.#solver = solver;
    this.#drop = options.drop ?? 1;
    this.#evals = options.evals ?? 10;
    const size = options.poolSize ?? 12;
    while (this.entries.length < size) {
      const p = randomMinimalPuzzle(rng, solver);
      const e = this.#evaluate(p);
      if (this.#keys.has(e.key)) continue;
      this.#keys.add(e.key);
      this.entries.push(e);
    }
  }

  /** The member with the highest geometric-mean guess count. */
  hardest(): PoolEntry {
    let best = this.entries[0];
    for (const e of this.entries) if (e.geoGuesses > best.geoGuesses) best = e;
    return best;
  }

  /**
   * One local-search step.
   *
   * @returns The accepted candidate, or undefined when it was rejected.
   */
  step(): PoolEntry | undefined {
    this.steps++;
    const rng = this.#rng, solver = this.#solver;
    const parent = this.entries[rng.int(this.entries.length)];
    const puzzle = parent.puzzle.slice();
    let dropped = 0;
    for (const c of rng.permutation(CELLS)) {
      if (dropped === this.#drop) break;
      if (puzzle[c] !== 0) {
        puzzle[c] = 0;
        dropped++;
      }
    }
    if (!constrain(rng, solver, puzzle)) return undefined;
    minimize(rng, solver, puzzle);
    solver.solve(puzzle, 1);
    const cand = this.#evaluate({ puzzle, solution: solver.solution.slice() });
    if (this.#keys.has(cand.key)) return undefined;
    let worst = 0;
    for (let i = 1; i < this.entries.length; i++) {
      if (this.entries[i].loss > this.entries[worst].loss) worst = i;
    }
    if (cand.loss > this.entries[worst].loss) return undefined;
    this.#keys.delete(this.entries[worst].key);
    this.entries[worst] = cand;
    this.#keys.add(cand.key);
    this.accepted++;
    return cand;
  }

  #evaluate(p: SolvedPuzzle): PoolEntry {
    const rng = this.#rng, solver = this.#solver;
    let sumLog = 0;
    const buf = new Uint8Array(CELLS);
    for (let k = 0; k < this.#evals; k++) {
      solver.solve(applySymmetry(randomSymmetry(rng), p.puzzle, buf), 1);
      sumLog += Math.log1p(solver.guesses);
    }
    const geo = Math.exp(sumLog / this.#evals);
    let key = "";
    for (let c = 0; c < CELLS; c++) key += String.fromCharCode(48 + p.puzzle[c]);
    return { ...p, geoGuesses: geo - 1, loss: -geo + rng.float(), key };
  }
}
