/**
 * Samples Maze-Hard tasks: the Lehnert et al. generator (facebookresearch/searchformer
 * `maze.py::generate`) with the HRM paper's difficulty filter, drawn by an exact fast sampler.
 *
 * The target distribution is rejection sampling over uniform (layout, start, goal): k walls with
 * k uniform in [3·⌊N²/10⌋, 5·⌊N²/10⌋] (the reference's `len(indices) // 10 * 3` ..
 * `// 10 * 5`, 270..450 for 30×30), placed uniformly without replacement; start and goal two
 * distinct uniform free cells; keep the task when the shortest path has more than `minPath`
 * moves. {@linkcode MazeSampler} draws exactly that distribution, but cheaply: see there.
 *
 * @module
 */
import type { Rng } from "../rng.ts";
import { astarPath } from "./astar.ts";
import { GOAL, OPEN, PATH, START, WALL } from "./encoding.ts";

/** One accepted task before labelling. */
export interface MazeSample {
  /** Side length N. */
  size: number;
  /** N*N cells, 1 = wall, row-major. */
  blocked: Uint8Array;
  /** Start cell (row-major index). */
  start: number;
  /** Goal cell. */
  goal: number;
  /** Shortest path length in moves (> minPath). */
  moves: number;
  /** Trials drawn to get this one (1 = the first was accepted). */
  trials: number;
}

/** A labelled task: the model's input and target, both N*N tokens. */
export interface MazeExample {
  /** Walls, open cells, S and G (tokens 1..4). */
  input: Uint8Array;
  /** The input with the A* path's intermediate cells marked `o` (token 5). */
  label: Uint8Array;
  /** Shortest path length in moves; the label has moves − 1 `o` cells. */
  moves: number;
}

/**
 * The reference's wall-count range for an N×N grid: [3·⌊N²/10⌋, 5·⌊N²/10⌋], capped so that two
 * cells stay free. Grids of 3×3 or less get no walls at all (⌊N²/10⌋ = 0).
 *
 * @param size Side length N.
 * @returns `[lo, hi]`, inclusive.
 *
 * @example
 * ```ts
 * import { wallCountRange } from "./sampler.ts";
 * if (wallCountRange(30).join() !== "270,450") throw new Error();
 * if (wallCountRange(3).join() !== "0,0") throw new Error();
 * ```
 */
export function wallCountRange(size: number): [number, number] {
  const n2 = size * size, tenth = Math.floor(n2 / 10);
  return [Math.min(3 * tenth, n2 - 2), Math.min(5 * tenth, n2 - 2)];
}

/**
 * Why `(size, minPath)` can never produce a task, or null when it can: a path of more than
 * `minPath` moves needs `minPath + 2` free cells, and the fewest walls leave N² − lo of them.
 *
 * @param size Side length.
 * @param minPath Paths must have more moves than this.
 * @returns A reason, or null.
 */
export function impossibleReason(size: number, minPath: number): string | null {
  if (!Number.isInteger(size) || size < 2) return `size must be an integer >= 2, got ${size}`;
  if (!Number.isInteger(minPath) || minPath < 0) {
    return `min path must be an integer >= 0, got ${minPath}`;
  }
  const free = size * size - wallCountRange(size)[0];
  if (minPath + 2 > free) {
    return `a ${size}x${size} maze has at most ${free} free cells, too few for a path of more ` +
      `than ${minPath} moves`;
  }
  return null;
}

const TWO32 = 4294967296;
const INV32 = 1 / TWO32;
// cell states in one Int32Array: (trial tag << 3) | flags; the padded ring is BORDER
const BORDER = -1, WALL_BIT = 1, SEEN_S = 2, SEEN_G = 4;

/**
 * Draws tasks for one (size, minPath); reuses its buffers, so keep one per thread. Each
 * {@linkcode MazeSampler.sample} call depends only on the Rng passed in.
 *
 * One trial: k uniform in {@linkcode wallCountRange}; an ordered pair (start, goal) of distinct
 * cells, uniform over the whole grid; the k walls a uniform subset of the other N² − 2 cells.
 * That is the reference's joint law (walls first, then two distinct free cells), by symmetry.
 * Walls are revealed lazily, cell by cell, as a search touches them: a fresh cell is a wall with
 * probability (walls left)/(cells left), which is sequential sampling of the same uniform subset.
 * The search is a bidirectional BFS, always growing the smaller frontier by one layer: when the
 * two balls meet the distance is known and at most `minPath` (rejected); when one frontier dies
 * the goal is unreachable (rejected); when their radii add up to `minPath` without meeting, the
 * distance exceeds `minPath`. Only then is the rest of the layout revealed and the task kept if
 * start and goal are connected. The acceptance rate is the distribution's own (about 1e-5 per
 * trial for 30×30 and 110 moves), but a rejected trial touches ~150 cells instead of 900.
 *
 * @example Accepted tasks are long enough
 * ```ts
 * import { Rng } from "../rng.ts";
 * import { MazeSampler } from "./sampler.ts";
 * const s = new MazeSampler(10, 12).sample(new Rng(1), 1e7)!;
 * if (s.moves <= 12) throw new Error();
 * ```
 */
export class MazeSampler {
  /** Side length N. */
  readonly size: number;
  /** Accepted paths have more moves than this. */
  readonly minPath: number;
  #n2: number;
  #wp: number; // padded width: a ring of BORDER cells spares the bounds checks
  #lo: number;
  #hi: number;
  #cell: Int32Array;
  #fronts: Int32Array[];
  #rejectBelow: Float64Array; // 2^32 mod u: the exact bounded draw's rejection zone
  #stamp = 0;
  // walls still to place and cells still unrevealed in the current trial
  #wallsLeft = 0;
  #cellsLeft = 0;

  /**
   * @param size Side length N (>= 2).
   * @param minPath Accept paths with more moves than this.
   * @throws {RangeError} when no task can exist (see {@linkcode impossibleReason}).
   */
  constructor(size: number, minPath: number) {
    const why = impossibleReason(size, minPath);
    if (why) throw new RangeError(why);
    this.size = size;
    this.minPath = minPath;
    const n2 = this.#n2 = size * size;
    const wp = this.#wp = size + 2;
    [this.#lo, this.#hi] = wallCountRange(size);
    this.#cell = new Int32Array(wp * wp).fill(BORDER);
    for (let i = 0; i < n2; i++) this.#cell[this.#padded(i)] = 0;
    this.#fronts = [new Int32Array(n2), new Int32Array(n2), new Int32Array(n2)];
    this.#rejectBelow = new Float64Array(n2 + 1);
    for (let u = 1; u <= n2; u++) this.#rejectBelow[u] = TWO32 % u;
  }

  #padded(i: number): number {
    return (((i / this.size) | 0) + 1) * this.#wp + (i % this.size) + 1;
  }

  /**
   * Runs trials until one is accepted.
   *
   * @param rng The stream this task is drawn from.
   * @param maxTrials Give up after this many trials.
   * @returns The task, or null when `maxTrials` trials were all rejected.
   */
  sample(rng: Rng, maxTrials: number): MazeSample | null {
    const n2 = this.#n2, cell = this.#cell;
    for (let trial = 1; trial <= maxTrials; trial++) {
      this.#wallsLeft = rng.range(this.#lo, this.#hi);
      this.#cellsLeft = n2 - 2;
      const start = rng.int(n2);
      let goal = rng.int(n2 - 1);
      if (goal >= start) goal++;
      if (++this.#stamp >= 1 << 27) {
        this.#stamp = 1;
        for (let p = 0; p < cell.length; p++) if (cell[p] !== BORDER) cell[p] = 0;
      }
      const tag = this.#stamp << 3;
      if (!this.#farApart(rng, this.#padded(start), this.#padded(goal), tag)) continue;
      const blocked = this.#revealRest(rng, tag);
      const moves = bfsDistance(blocked, this.size, start, goal);
      if (moves < 0) continue;
      if (moves <= this.minPath) throw new Error(`maze search kept a path of ${moves} moves`);
      return { size: this.size, blocked, start, goal, moves, trials: trial };
    }
    return null;
  }

  /** Bidirectional layered BFS: true when start and goal are more than minPath apart. */
  #farApart(rng: Rng, sp: number, gp: number, tag: number): boolean {
    const cell = this.#cell;
    cell[sp] = tag | SEEN_S;
    cell[gp] = tag | SEEN_G;
    let [fs, fg, spare] = this.#fronts;
    fs[0] = sp;
    fg[0] = gp;
    let ns = 1, ng = 1;
    for (let radius = 0; radius < this.minPath; radius++) {
      if (ns <= ng) {
        const m = this.#expand(rng, fs, ns, spare, SEEN_S, SEEN_G, tag);
        if (m <= 0) return false; // met (-1) or the start's component is exhausted (0)
        const t = fs;
        fs = spare;
        spare = t;
        ns = m;
      } else {
        const m = this.#expand(rng, fg, ng, spare, SEEN_G, SEEN_S, tag);
        if (m <= 0) return false;
        const t = fg;
        fg = spare;
        spare = t;
        ng = m;
      }
    }
    return true;
  }

  /**
   * Grows one side by a layer, revealing fresh cells. Returns the new frontier's size, or -1
   * when it touched the other side.
   */
  #expand(
    rng: Rng,
    front: Int32Array,
    n: number,
    out: Int32Array,
    mine: number,
    other: number,
    tag: number,
  ): number {
    const wp = this.#wp, cell = this.#cell, rejectBelow = this.#rejectBelow;
    const skip = WALL_BIT | mine;
    let r = this.#wallsLeft, u = this.#cellsLeft, m = 0;
    for (let i = 0; i < n; i++) {
      const c = front[i];
      for (let k = 0; k < 4; k++) {
        const nb = k === 0 ? c - wp : k === 1 ? c + wp : k === 2 ? c - 1 : c + 1;
        const v = cell[nb];
        if (v === BORDER) continue;
        if ((v & ~7) === tag) {
          if (v & skip) continue;
          if (v & other) {
            this.#wallsLeft = r;
            this.#cellsLeft = u;
            return -1;
          }
          cell[nb] = v | mine;
        } else {
          // a wall with probability r/u: an exact uniform draw in [0, u) (Lemire), compared to r
          let t: number, hi: number;
          do {
            t = rng.nextU32() * u;
            hi = Math.floor(t * INV32);
          } while (t - hi * TWO32 < rejectBelow[u]);
          u--;
          if (hi < r) {
            r--;
            cell[nb] = tag | WALL_BIT;
            continue;
          }
          cell[nb] = tag | mine;
        }
        out[m++] = nb;
      }
    }
    this.#wallsLeft = r;
    this.#cellsLeft = u;
    return m;
  }

  /** Reveals every untouched cell in row-major order; returns the full layout (1 = wall). */
  #revealRest(rng: Rng, tag: number): Uint8Array {
    const blocked = new Uint8Array(this.#n2);
    let r = this.#wallsLeft, u = this.#cellsLeft;
    for (let i = 0; i < this.#n2; i++) {
      const v = this.#cell[this.#padded(i)];
      if ((v & ~7) === tag) blocked[i] = v & WALL_BIT;
      else {
        const wall = rng.int(u) < r;
        u--;
        if (wall) (r--, blocked[i] = 1);
      }
    }
    if (r !== 0 || u !== 0) throw new Error(`maze reveal left ${r} walls for ${u} cells`);
    return blocked;
  }
}

/**
 * Shortest path length between two cells by BFS (4-neighbour, the grid edge is a wall).
 *
 * @param blocked `size * size` cells, non-zero = wall.
 * @param size Side length.
 * @param from Start cell (row-major index).
 * @param to Goal cell.
 * @returns Moves, or -1 when unreachable.
 *
 * @example
 * ```ts
 * import { bfsDistance } from "./sampler.ts";
 * if (bfsDistance(new Uint8Array([0, 1, 0, 0]), 2, 0, 1) !== -1) throw new Error();
 * if (bfsDistance(new Uint8Array([0, 1, 0, 0]), 2, 0, 3) !== 2) throw new Error();
 * ```
 */
export function bfsDistance(
  blocked: ArrayLike<number>,
  size: number,
  from: number,
  to: number,
): number {
  const dist = bfsDistances(blocked, size, from);
  return dist[to];
}

/**
 * BFS distances from one cell to every cell.
 *
 * @param blocked `size * size` cells, non-zero = wall.
 * @param size Side length.
 * @param from Start cell.
 * @returns Moves per cell, -1 where unreachable (walls included).
 */
export function bfsDistances(blocked: ArrayLike<number>, size: number, from: number): Int32Array {
  const n2 = size * size;
  const dist = new Int32Array(n2).fill(-1);
  const queue = new Int32Array(n2);
  dist[from] = 0;
  queue[0] = from;
  let head = 0, tail = 1;
  while (head < tail) {
    const c = queue[head++];
    const x = c % size, d = dist[c] + 1;
    const visit = (nb: number): void => {
      if (!blocked[nb] && dist[nb] < 0) (dist[nb] = d, queue[tail++] = nb);
    };
    if (c >= size) visit(c - size);
    if (c < n2 - size) visit(c + size);
    if (x > 0) visit(c - 1);
    if (x < size - 1) visit(c + 1);
  }
  return dist;
}

/**
 * Labels a task: the input grid and the label with the reference A*'s shortest path marked.
 *
 * @param s The task.
 * @returns Input and label tokens.
 * @throws {Error} if A* disagrees with the BFS length (a bug, never a user error).
 *
 * @example
 * ```ts
 * import { Rng } from "../rng.ts";
 * import { labelMaze, MazeSampler } from "./sampler.ts";
 * const ex = labelMaze(new MazeSampler(8, 10).sample(new Rng(3), 1e6)!);
 * if (ex.label.filter((t) => t === 5).length !== ex.moves - 1) throw new Error();
 * ```
 */
export function labelMaze(s: MazeSample): MazeExample {
  const input = new Uint8Array(s.size * s.size);
  for (let i = 0; i < input.length; i++) input[i] = s.blocked[i] ? WALL : OPEN;
  input[s.start] = START;
  input[s.goal] = GOAL;
  const path = astarPath(s.blocked, s.size, s.start, s.goal);
  if (!path || path.length - 1 !== s.moves) {
    throw new Error(
      `maze A* found ${path ? path.length - 1 : "no"} moves where BFS found ${s.moves}`,
    );
  }
  const label = input.slice();
  for (let i = 1; i < path.length - 1; i++) label[path[i]] = PATH;
  return { input, label, moves: s.moves };
}
