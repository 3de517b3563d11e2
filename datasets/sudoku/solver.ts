/**
 * The sudoku solver behind uniqueness checks, generation and rating: 9-bit candidate masks per
 * cell (Uint16Array), propagation by naked singles, hidden singles and locked candidates
 * (pointing and claiming, i.e. tdoku's box/line "triads"), then binary branching on the most
 * constrained cell (MRV, ties broken towards the cell whose peers share most candidates with it):
 * try its lowest candidate, else exclude it. Each branch point counts one guess, as tdoku's
 * `num_guesses` does. A solution limit stops the search early: limit 2 proves
 * uniqueness, limit 1 gives the rating (see `rating.ts`).
 *
 * State lives in preallocated per-depth buffers, so solving allocates nothing; one solver per
 * thread.
 *
 * @module
 */
import { CELLS, UNIT_CELLS } from "./board.ts";

const ALL = 0x1ff;
/** Branching assigns a cell per level, so 81 levels plus the root suffice. */
const LEVELS = CELLS + 1;

/** PEERS[c*20 + k]: the 20 cells sharing a row, column or box with cell c. */
const PEERS: Uint8Array = (() => {
  const p = new Uint8Array(CELLS * 20);
  for (let c = 0; c < CELLS; c++) {
    const r = Math.floor(c / 9), col = c % 9;
    const br = r - (r % 3), bc = col - (col % 3);
    let n = 0;
    for (let o = 0; o < CELLS; o++) {
      if (o === c) continue;
      const or = Math.floor(o / 9), oc = o % 9;
      if (or === r || oc === col || (or - (or % 3) === br && oc - (oc % 3) === bc)) {
        p[c * 20 + n++] = o;
      }
    }
  }
  return p;
})();

/** POP[m]: number of set bits in a 9-bit mask. */
const POP: Uint8Array = (() => {
  const p = new Uint8Array(512);
  for (let m = 1; m < 512; m++) p[m] = p[m >> 1] + (m & 1);
  return p;
})();

/**
 * A reusable solver with a solution limit and a guess counter.
 *
 * @example Uniqueness and solution
 * ```ts
 * import { SudokuSolver } from "./solver.ts";
 * import { isValidSolution, parseBoard } from "./board.ts";
 * const s = new SudokuSolver();
 * const p = parseBoard(
 *   "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79",
 * )!;
 * if (s.solve(p, 2) !== 1 || !isValidSolution(s.solution)) throw new Error();
 * ```
 */
export class SudokuSolver {
  /** Branch points taken by the last call (tdoku's `num_guesses`). */
  guesses = 0;
  /** The first solution found by the last call that found one (digits 1..9). */
  readonly solution: Uint8Array = new Uint8Array(CELLS);
  /** Whether propagation uses locked candidates (off only to measure what they buy). */
  lockedCandidates = true;

  #cand = new Uint16Array(LEVELS * CELLS);
  #done = new Uint8Array(LEVELS * CELLS);
  #queue = new Uint8Array(4 * CELLS);
  #mini = new Uint16Array(54);
  #count = 0;
  #limit = 1;
  #queued = 0;

  /**
   * Counts solutions of `puzzle`, stopping at `limit`.
   *
   * @param puzzle 81 cells, 0 = blank, 1..9 = clue.
   * @param limit Stop after this many solutions (2 decides uniqueness, 1 rates).
   * @returns Solutions found, at most `limit`; 0 for a contradictory puzzle.
   */
  solve(puzzle: ArrayLike<number>, limit: number): number {
    const cand = this.#cand;
    for (let c = 0; c < CELLS; c++) {
      const v = puzzle[c];
      cand[c] = v === 0 ? ALL : 1 << (v - 1);
    }
    return this.#run(limit);
  }

  /**
   * Counts solutions consistent with candidate masks (bit d-1 set = digit d still possible).
   *
   * @param masks 81 candidate masks; not modified.
   * @param limit Stop after this many solutions.
   * @returns Solutions found, at most `limit`.
   */
  countMasks(masks: ArrayLike<number>, limit: number): number {
    const cand = this.#cand;
    for (let c = 0; c < CELLS; c++) cand[c] = masks[c];
    return this.#run(limit);
  }

  /**
   * Propagates candidate masks in place (singles and locked candidates, no guessing).
   *
   * @param masks 81 candidate masks, narrowed in place.
   * @returns False when a contradiction shows (masks are then partly narrowed, discard them).
   */
  propagate(masks: Uint16Array): boolean {
    const cand = this.#cand;
    cand.set(masks.subarray(0, CELLS), 0);
    this.#done.fill(0, 0, CELLS);
    const ok = this.#propagate(0);
    masks.set(cand.subarray(0, CELLS), 0);
    return ok;
  }

  /**
   * Whether `puzzle` has exactly one solution (solve with limit 2); the solution is then in
   * {@linkcode SudokuSolver.solution}.
   *
   * @param puzzle 81 cells, 0 = blank.
   * @returns True when unique.
   */
  isUnique(puzzle: ArrayLike<number>): boolean {
    return this.solve(puzzle, 2) === 1;
  }

  #run(limit: number): number {
    this.#done.fill(0, 0, CELLS);
    this.guesses = 0;
    this.#count = 0;
    this.#limit = limit;
    this.#search(0);
    return this.#count;
  }

  /** Returns true when the solution limit is reached and the search must stop. */
  #search(depth: number): boolean {
    const cand = this.#cand, done = this.#done;
    const off = depth * CELLS;
    for (;;) {
      if (!this.#propagate(off)) return false;
      // MRV, ties broken towards the cell whose unsolved peers share most candidates with it,
      // weighted 4/2/1 for peers with 2/3/4 candidates: branching where a choice propagates
      // furthest brings guess counts close to tdoku's band/value branching (see rating.ts).
      let first = -1, bestPop = 10;
      for (let c = 0; c < CELLS; c++) {
        if (done[off + c]) continue;
        const p = POP[cand[off + c]];
        if (p < bestPop) {
          bestPop = p;
          first = c;
          if (p === 2) break;
        }
      }
      let best = first, bestScore = -1;
      for (let c = first; c >= 0 && c < CELLS; c++) {
        const m = cand[off + c];
        if (POP[m] !== bestPop || done[off + c]) continue;
        let score = 0;
        const pb = c * 20;
        for (let k = 0; k < 20; k++) {
          const q = off + PEERS[pb + k];
          const v = cand[q];
          if ((v & m) !== 0 && done[q] === 0) score += 16 >> POP[v];
        }
        if (score > bestScore) {
          best = c;
          bestScore = score;
        }
      }
      if (best < 0) {
        if (++this.#count === 1) {
          for (let c = 0; c < CELLS; c++) this.solution[c] = 32 - Math.clz32(cand[off + c]);
        }
        return this.#count >= this.#limit;
      }
      const m = cand[off + best];
      const d = m & -m;
      this.guesses++;
      const next = off + CELLS;
      cand.copyWithin(next, off, next);
      done.copyWithin(next, off, next);
      cand[next + best] = d;
      if (this.#search(depth + 1)) return true;
      cand[off + best] = m & ~d;
    }
  }

  /** Propagates level `off` to a fixpoint; false on contradiction. */
  #propagate(off: number): boolean {
    const cand = this.#cand, done = this.#done, q = this.#queue;
    let qn = 0;
    for (let c = 0; c < CELLS; c++) {
      if (done[off + c]) continue;
      const m = cand[off + c];
      if (m === 0) return false;
      if ((m & (m - 1)) === 0) q[qn++] = c;
    }
    for (;;) {
      while (qn > 0) {
        const c = q[--qn];
        if (done[off + c]) continue;
        done[off + c] = 1;
        const m = cand[off + c];
        const pb = c * 20;
        for (let k = 0; k < 20; k++) {
          const p = off + PEERS[pb + k];
          const v = cand[p];
          if (v & m) {
            const nv = v & ~m;
            if (nv === 0) return false;
            cand[p] = nv;
            if ((nv & (nv - 1)) === 0) q[qn++] = p - off;
          }
        }
      }
      // Hidden singles: a digit with one place left in a unit goes there.
      for (let u = 0; u < 27; u++) {
        const ub = u * 9;
        let ones = 0, twos = 0;
        for (let k = 0; k < 9; k++) {
          const v = cand[off + UNIT_CELLS[ub + k]];
          twos |= ones & v;
          ones |= v;
        }
        if (ones !== ALL) return false;
        const once = ones & ~twos;
        if (once === 0) continue;
        for (let k = 0; k < 9; k++) {
          const c = UNIT_CELLS[ub + k];
          const v = cand[off + c];
          const h = v & once;
          if (h !== 0 && h !== v) {
            if (h & (h - 1)) return false;
            cand[off + c] = h;
            q[qn++] = c;
          }
        }
      }
      if (qn > 0) continue;
      if (!this.lockedCandidates) return true;
      const lc = this.#lockedCandidates(off);
      if (lc < 0) return false;
      if (lc === 0) return true;
      qn = this.#queued;
    }
  }

  /**
   * Pointing and claiming on every mini-row and mini-column: a digit confined to one mini-line
   * of a box leaves the rest of that line, and a digit confined to one mini-line of a line leaves
   * the rest of that box. Masks read before an elimination are supersets of the truth, so every
   * deduction is sound. Returns -1 on contradiction, 0 when nothing changed, else 1 with
   * `#queued` newly single cells at the front of the queue.
   */
  #lockedCandidates(off: number): number {
    const cand = this.#cand, mini = this.#mini;
    this.#queued = 0;
    let changed = 0;
    // mini[r*3+s]: mini-row of row r in stack s; mini[27 + c*3+b]: mini-column of col c in band b.
    for (let r = 0; r < 9; r++) {
      for (let s = 0; s < 3; s++) {
        const i = off + r * 9 + s * 3;
        mini[r * 3 + s] = cand[i] | cand[i + 1] | cand[i + 2];
        const j = off + s * 27 + r;
        mini[27 + r * 3 + s] = cand[j] | cand[j + 9] | cand[j + 18];
      }
    }
    for (let dir = 0; dir < 2; dir++) {
      const mb = dir * 27;
      // Cell (line, position) is line*9+pos for rows and pos*9+line for columns.
      const lineStride = dir === 0 ? 9 : 1, posStride = dir === 0 ? 1 : 9;
      for (let line = 0; line < 9; line++) {
        const band = line - (line % 3);
        const l1 = band + ((line + 1) % 3), l2 = band + ((line + 2) % 3);
        for (let s = 0; s < 3; s++) {
          const a = mini[mb + line * 3 + s];
          const s1 = (s + 1) % 3, s2 = (s + 2) % 3;
          const boxOthers = mini[mb + l1 * 3 + s] | mini[mb + l2 * 3 + s];
          const lineOthers = mini[mb + line * 3 + s1] | mini[mb + line * 3 + s2];
          const pointing = a & ~boxOthers & lineOthers;
          const claiming = a & ~lineOthers & boxOthers;
          if (pointing !== 0) {
            for (let t = 0; t < 3; t++) {
              const r1 = this.#eliminate(
                off,
                line * lineStride + (s1 * 3 + t) * posStride,
                pointing,
              );
              const r2 = this.#eliminate(
                off,
                line * lineStride + (s2 * 3 + t) * posStride,
                pointing,
              );
              if (r1 < 0 || r2 < 0) return -1;
              changed |= r1 | r2;
            }
          }
          if (claiming !== 0) {
            for (let t = 0; t < 3; t++) {
              const r1 = this.#eliminate(off, l1 * lineStride + (s * 3 + t) * posStride, claiming);
              const r2 = this.#eliminate(off, l2 * lineStride + (s * 3 + t) * posStride, claiming);
              if (r1 < 0 || r2 < 0) return -1;
              changed |= r1 | r2;
            }
          }
        }
      }
    }
    return changed;
  }

  /** Removes digits `x` from cell `c`: -1 if it empties, 1 if it changed (queues a new single). */
  #eliminate(off: number, c: number, x: number): number {
    const v = this.#cand[off + c];
    if ((v & x) === 0) return 0;
    const nv = v & ~x;
    if (nv === 0) return -1;
    this.#cand[off + c] = nv;
    if ((nv & (nv - 1)) === 0) this.#queue[this.#queued++] = c;
    return 1;
  }
}
