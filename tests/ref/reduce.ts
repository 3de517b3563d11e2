/**
 * Float64 references for the reductions: row sums, row means and the total.
 *
 * @module
 */

/** `out[r] = scale · Σ_c x[r·C + c]` for an `[R, C]` array. */
export function sumRowsRef(x: ArrayLike<number>, R: number, C: number, scale = 1): Float64Array {
  const out = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += x[r * C + c];
    out[r] = scale * s;
  }
  return out;
}

/** `out[r] = Σ_c x[r·C + c] / C`. */
export function meanRowsRef(x: ArrayLike<number>, R: number, C: number): Float64Array {
  return sumRowsRef(x, R, C, 1 / C);
}

/** The sum of every element. */
export function sumAllRef(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}
