/**
 * Float64 reference for weightless RMSNorm (HRM's post-norm, models/layers.py `rms_norm`):
 * y = x / sqrt(mean(x²) + eps) per row. The backward is written from x (not from the saved y the
 * GPU kernel uses), so the two derivations check each other.
 *
 * @module
 */

/** Forward: `y [N,D]` and `rstd [N] = 1/sqrt(mean(x²) + eps)`. */
export function rmsnormRef(
  x: ArrayLike<number>,
  N: number,
  D: number,
  eps: number,
): { y: Float64Array; rstd: Float64Array } {
  const y = new Float64Array(N * D), rstd = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let ss = 0;
    for (let d = 0; d < D; d++) ss += x[n * D + d] ** 2;
    const r = 1 / Math.sqrt(ss / D + eps);
    rstd[n] = r;
    for (let d = 0; d < D; d++) y[n * D + d] = x[n * D + d] * r;
  }
  return { y, rstd };
}

/** Backward: `dx_i = r·dy_i − r³·x_i·Σ_j(dy_j·x_j)/D` per row. */
export function rmsnormBackwardRef(
  dy: ArrayLike<number>,
  x: ArrayLike<number>,
  N: number,
  D: number,
  eps: number,
): Float64Array {
  const dx = new Float64Array(N * D);
  for (let n = 0; n < N; n++) {
    let ss = 0, dot = 0;
    for (let d = 0; d < D; d++) {
      ss += x[n * D + d] ** 2;
      dot += dy[n * D + d] * x[n * D + d];
    }
    const r = 1 / Math.sqrt(ss / D + eps);
    for (let d = 0; d < D; d++) {
      dx[n * D + d] = r * dy[n * D + d] - r ** 3 * x[n * D + d] * dot / D;
    }
  }
  return dx;
}
