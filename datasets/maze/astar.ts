/**
 * The label's tie-break: shortest paths in these mazes are almost never unique, so the label is
 * the one path found by Searchformer's deterministic A* (facebookresearch/searchformer
 * `astar.py` with `maze.py`'s `AStarMazeState`), which the reference maze data descends from.
 *
 * That search, restated:
 * - cell (x, y) has x = column and y = row (their `GridPos.to_idx` is `x + y * width`, our
 *   row-major index); moves are 4-neighbour, the grid edge is a wall;
 * - f = g + Manhattan distance to the goal; the open node with the lowest f is expanded first,
 *   ties going to the lower `x + 100000 * y`, i.e. the lower row, then the lower column (the
 *   lower row-major index);
 * - a node already open is replaced only by a strictly lower f, so among equal-cost routes the
 *   first parent to reach a cell keeps it (closed nodes are never reopened: the heuristic is
 *   consistent);
 * - the search stops when the goal is popped; the path is the goal's parent chain.
 * Child order ((x, y+1), (x, y−1), (x−1, y), (x+1, y)) only orders their trace, not the path,
 * because the heap order above is total.
 *
 * @module
 */

/**
 * Finds the reference A*'s shortest path.
 *
 * @param blocked `size * size` cells, non-zero = wall, row-major.
 * @param size Side length.
 * @param start Start cell index (row-major).
 * @param goal Goal cell index.
 * @returns Cell indices from start to goal inclusive, or null when the goal is unreachable.
 *
 * @example A 3×3 maze with one wall in the middle
 * ```ts
 * import { astarPath } from "./astar.ts";
 * const blocked = new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0, 0]);
 * const path = astarPath(blocked, 3, 0, 8)!;
 * // equal-f ties go to the lower row, so the path runs along the top row first
 * if (path.join() !== "0,1,2,5,8") throw new Error(path.join());
 * ```
 */
export function astarPath(
  blocked: ArrayLike<number>,
  size: number,
  start: number,
  goal: number,
): number[] | null {
  const n2 = size * size;
  const gx = goal % size, gy = (goal / size) | 0;
  const g = new Int32Array(n2).fill(-1); // best cost from start seen so far, -1 = never opened
  const closed = new Uint8Array(n2);
  const parent = new Int32Array(n2).fill(-1);
  const heap = new MinHeap();
  // key = f * n2 + index orders by f, then row, then column: the reference's comparison
  const h = (i: number): number => Math.abs((i % size) - gx) + Math.abs(((i / size) | 0) - gy);
  g[start] = 0;
  heap.push(h(start) * n2 + start);
  while (heap.size > 0) {
    const key = heap.pop();
    const cur = key % n2;
    // a stale entry: the cell was closed or re-opened with a lower f since this was pushed
    if (closed[cur] || (key - cur) / n2 !== g[cur] + h(cur)) continue;
    closed[cur] = 1;
    if (cur === goal) break;
    const x = cur % size, y = (cur / size) | 0;
    const gc = g[cur] + 1;
    for (let k = 0; k < 4; k++) {
      const nx = k === 2 ? x - 1 : k === 3 ? x + 1 : x;
      const ny = k === 0 ? y + 1 : k === 1 ? y - 1 : y;
      if (nx < 0 || ny < 0 || nx >= size || ny >= size) continue;
      const nb = ny * size + nx;
      if (blocked[nb]) continue;
      if (g[nb] >= 0 && g[nb] <= gc) continue; // open or closed with an equal or better cost
      closed[nb] = 0;
      g[nb] = gc;
      parent[nb] = cur;
      heap.push((gc + h(nb)) * n2 + nb);
    }
  }
  if (!closed[goal]) return null;
  const path: number[] = [];
  for (let c = goal; c !== -1; c = parent[c]) path.push(c);
  return path.reverse();
}

/** A binary min-heap of non-negative numbers. */
class MinHeap {
  #a: number[] = [];

  get size(): number {
    return this.#a.length;
  }

  push(v: number): void {
    const a = this.#a;
    let i = a.length;
    a.push(v);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= v) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = v;
  }

  pop(): number {
    const a = this.#a;
    const top = a[0];
    const last = a.pop()!;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && a[c + 1] < a[c]) c++;
        if (a[c] >= last) break;
        a[i] = a[c];
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
