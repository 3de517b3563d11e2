/**
 * Eigenvalues of a real symmetric matrix in float64: Householder reduction to tridiagonal form,
 * then the implicit QL iteration with Wilkinson-style shifts (eigenvalues only). O(n³) for the
 * reduction and O(n²) for QL, so a 512×512 covariance takes well under a second.
 *
 * @module
 */

/**
 * Reduces a symmetric matrix to tridiagonal form by Householder reflections (H A H with
 * H = I − 2vvᵀ per column), keeping the eigenvalues.
 *
 * @param a `n×n` row-major; only read (a copy is reduced).
 * @param n Order.
 * @returns The diagonal `d` (n) and the sub-diagonal `e` (n, `e[i]` couples i and i+1; `e[n-1]` = 0).
 */
export function tridiagonalize(a: Float64Array, n: number): { d: Float64Array; e: Float64Array } {
  const m = a.slice(0, n * n);
  const d = new Float64Array(n), e = new Float64Array(n);
  const v = new Float64Array(n), p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    // x = m[k+1.., k]; reflect it onto −sign(x0)·|x|·e1.
    let norm2 = 0;
    for (let i = k + 1; i < n; i++) norm2 += m[i * n + k] * m[i * n + k];
    const x0 = m[(k + 1) * n + k];
    const alpha = x0 > 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    if (norm2 === 0 || norm2 - x0 * x0 <= 1e-300 * (norm2 || 1)) {
      e[k] = x0; // already reduced in this column
      continue;
    }
    for (let i = k + 1; i < n; i++) v[i] = m[i * n + k];
    v[k + 1] -= alpha;
    let vn = 0;
    for (let i = k + 1; i < n; i++) vn += v[i] * v[i];
    vn = Math.sqrt(vn);
    for (let i = k + 1; i < n; i++) v[i] /= vn;
    // p = 2·M v (trailing block), K = vᵀp, q = p − K v, M ← M − v qᵀ − q vᵀ.
    let K = 0;
    for (let i = k + 1; i < n; i++) {
      let s = 0;
      const row = i * n;
      for (let j = k + 1; j < n; j++) s += m[row + j] * v[j];
      p[i] = 2 * s;
      K += v[i] * p[i];
    }
    for (let i = k + 1; i < n; i++) p[i] -= K * v[i];
    for (let i = k + 1; i < n; i++) {
      const row = i * n, vi = v[i], qi = p[i];
      for (let j = k + 1; j < n; j++) m[row + j] -= vi * p[j] + qi * v[j];
    }
    e[k] = alpha;
    for (let i = k + 1; i < n; i++) m[i * n + k] = m[k * n + i] = 0;
  }
  for (let i = 0; i < n; i++) d[i] = m[i * n + i];
  if (n >= 2) e[n - 2] = m[(n - 1) * n + (n - 2)];
  e[n - 1] = 0;
  return { d, e };
}

/**
 * Eigenvalues of a symmetric tridiagonal matrix by the implicit QL iteration.
 *
 * @param d Diagonal (overwritten with the eigenvalues, unsorted).
 * @param e Sub-diagonal, `e[i]` between i and i+1 (destroyed).
 * @throws {Error} if an eigenvalue has not converged after 60 iterations (not seen in practice).
 */
export function tridiagonalEigenvalues(d: Float64Array, e: Float64Array): void {
  const n = d.length;
  // Off-diagonals below eps·‖T‖ are zero for the eigenvalues' accuracy (which is eps·‖T‖ at
  // best); the relative test alone can stall among many near-zero eigenvalues.
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(d[i]) + Math.abs(e[i]));
  const tiny = Number.EPSILON * norm;
  for (let l = 0; l < n; l++) {
    for (let iter = 0;; iter++) {
      // Find the first negligible sub-diagonal at or after l: the block l..m is unreduced.
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd || Math.abs(e[m]) <= tiny) break;
      }
      if (m === l) break;
      if (iter === 60) throw new Error(`eigenvalue ${l} did not converge in 60 QL iterations`);
      // Shift from the leading 2×2 block's eigenvalue nearer d[l].
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1, c = 1, p = 0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        const f = s * e[i], b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[m] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
      }
      if (underflow) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}

/**
 * All eigenvalues of a real symmetric matrix, largest first.
 *
 * @param a `n×n` row-major, symmetric (only read).
 * @param n Order.
 * @returns `n` eigenvalues in decreasing order.
 * @throws {RangeError} when `a` has fewer than n² elements.
 *
 * @example A 2×2 with eigenvalues 3 and 1
 * ```ts
 * import { symmetricEigenvalues } from "./eigen.ts";
 * const ev = symmetricEigenvalues(new Float64Array([2, 1, 1, 2]), 2);
 * if (Math.abs(ev[0] - 3) > 1e-12 || Math.abs(ev[1] - 1) > 1e-12) throw new Error();
 * ```
 */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  if (a.length < n * n) {
    throw new RangeError(`matrix has ${a.length} elements, ${n}x${n} needs ${n * n}`);
  }
  if (n === 0) return new Float64Array(0);
  const { d, e } = tridiagonalize(a, n);
  tridiagonalEigenvalues(d, e);
  return d.sort().reverse();
}
