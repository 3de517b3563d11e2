/**
 * Judges a predicted maze path the way the paper scores Maze-Hard ("correct = valid and
 * optimal"), next to exact match: exact match also demands the label's A* tie-break, which is one
 * shortest path among many.
 *
 * @module
 */
import { GOAL, OPEN, PATH, START, WALL } from "./encoding.ts";
import { bfsDistance } from "./sampler.ts";

/** The verdict of {@linkcode checkMazePath}. */
export interface MazePathVerdict {
  /**
   * Every cell kept its input token except open cells marked `o`, and the marked cells are one
   * simple path: they can be walked from S to G, each visited once, by 4-neighbour steps.
   */
  valid: boolean;
  /** Valid and as short as possible: its move count equals the BFS shortest path length. */
  optimal: boolean;
  /** Why not valid or not optimal (absent when optimal). */
  reason?: string;
}

// a search for a walk through every marked cell gives up after this many steps (a blob of marks
// could make it exponential); a real path is walked in one pass
const WALK_BUDGET = 100_000;

/**
 * Checks a predicted path against its maze.
 *
 * @param inputTokens The maze: `size * size` tokens, walls/open/S/G (1..4).
 * @param predTokens The prediction: the same grid with the path's cells marked `o` (5).
 * @param size Side length.
 * @returns Whether the prediction is a valid path and whether it is a shortest one.
 * @throws {RangeError} when the input is not a maze of that size (wrong length, not exactly one
 * S and one G, tokens outside 1..4): a caller bug, not a bad prediction.
 *
 * @example The label passes, a path through a wall does not
 * ```ts
 * import { checkMazePath } from "./check.ts";
 * import { encodeMaze } from "./encoding.ts";
 * const input = encodeMaze("S  " + " # " + "  G");
 * const label = encodeMaze("Soo" + " #o" + "  G");
 * if (!checkMazePath(input, label, 3).optimal) throw new Error();
 * const broken = encodeMaze("S  " + "oo " + " oG");
 * if (checkMazePath(input, broken, 3).valid) throw new Error();
 * ```
 */
export function checkMazePath(
  inputTokens: ArrayLike<number>,
  predTokens: ArrayLike<number>,
  size: number,
): MazePathVerdict {
  const n2 = size * size;
  if (inputTokens.length !== n2) {
    throw new RangeError(`maze input has ${inputTokens.length} cells, expected ${size}x${size}`);
  }
  let start = -1, goal = -1;
  const blocked = new Uint8Array(n2);
  for (let i = 0; i < n2; i++) {
    const t = inputTokens[i];
    if (t === START) start = start < 0 ? i : -2;
    else if (t === GOAL) goal = goal < 0 ? i : -2;
    else if (t === WALL) blocked[i] = 1;
    else if (t !== OPEN) throw new RangeError(`maze input has token ${t} at cell ${i}`);
  }
  if (start < 0 || goal < 0) {
    throw new RangeError("maze input must have exactly one start and one goal");
  }
  const invalid = (reason: string): MazePathVerdict => ({ valid: false, optimal: false, reason });
  if (predTokens.length !== n2) {
    return invalid(`prediction has ${predTokens.length} cells, expected ${n2}`);
  }
  const marked = new Uint8Array(n2); // S, G and o cells
  let path = 0;
  for (let i = 0; i < n2; i++) {
    const t = inputTokens[i], p = predTokens[i];
    if (p === t || (t === OPEN && p === PATH)) {
      if (p === PATH || p === START || p === GOAL) marked[i] = 1;
      if (p === PATH) path++;
      continue;
    }
    const at = `(${(i / size) | 0}, ${i % size})`;
    const name = ["pad", "wall", "open cell", "start", "goal", "path"];
    return invalid(`${name[t]} at ${at} became ${name[p] ?? `token ${p}`}`);
  }
  const walk = walkMarks(marked, size, start, goal, path + 2);
  if (walk !== "ok") return invalid(walk);
  const moves = path + 1;
  const shortest = bfsDistance(blocked, size, start, goal);
  if (moves !== shortest) {
    return { valid: true, optimal: false, reason: `${moves} moves, shortest is ${shortest}` };
  }
  return { valid: true, optimal: true };
}

/**
 * Whether the marked cells form one walk from start to goal using each exactly once
 * (a Hamiltonian path of the marks, by depth-first search; linear for a real path).
 */
function walkMarks(
  marked: Uint8Array,
  size: number,
  start: number,
  goal: number,
  count: number,
): string {
  const used = new Uint8Array(marked.length);
  let steps = 0;
  const neighbours = (c: number): number[] => {
    const x = c % size, out: number[] = [];
    if (c >= size) out.push(c - size);
    if (c + size < marked.length) out.push(c + size);
    if (x > 0) out.push(c - 1);
    if (x < size - 1) out.push(c + 1);
    return out.filter((nb) => marked[nb]);
  };
  // connectivity first: a clear reason for the common failures
  const reach = new Uint8Array(marked.length);
  const stack = [start];
  reach[start] = 1;
  let reached = 1;
  while (stack.length > 0) {
    for (const nb of neighbours(stack.pop()!)) {
      if (!reach[nb]) (reach[nb] = 1, reached++, stack.push(nb));
    }
  }
  if (!reach[goal]) return "the path does not connect start to goal";
  if (reached !== count) return `${count - reached} marked cells are not connected to the path`;
  const dfs = (c: number, depth: number): boolean => {
    if (++steps > WALK_BUDGET) return false;
    if (c === goal) return depth === count;
    used[c] = 1;
    for (const nb of neighbours(c)) if (!used[nb] && dfs(nb, depth + 1)) return true;
    used[c] = 0;
    return false;
  };
  if (!dfs(start, 1)) return "the marked cells branch: they are not a single path";
  return "ok";
}
