/**
 * Float64 references for the optimizers: AdamATan2 (pip adam-atan2, a = b = 1, no epsilon) in
 * both bias-correction placements, sparse SignSGD with decoupled decay
 * (models/sparse_embedding.py: unique ids, scatter_add of duplicate rows, touched rows only), and
 * TRM's EMA of the weights (models/ema.py EMAHelper.update).
 *
 * @module
 */

/** AdamATan2 state in float64. */
export interface AdamState {
  /** Parameters. */
  p: Float64Array;
  /** First moments. */
  m: Float64Array;
  /** Second moments. */
  v: Float64Array;
}

/** One AdamATan2 step in place; `inside` puts 1/(1−β1ᵗ) on m (golden), else on lr (package). */
export function adamAtan2Ref(
  s: AdamState,
  g: ArrayLike<number>,
  o: { lr: number; beta1: number; beta2: number; weightDecay: number; step: number },
  inside = true,
): void {
  const bc1 = 1 - o.beta1 ** o.step, bc2 = 1 - o.beta2 ** o.step;
  for (let i = 0; i < s.p.length; i++) {
    s.p[i] *= 1 - o.lr * o.weightDecay;
    s.m[i] = o.beta1 * s.m[i] + (1 - o.beta1) * g[i];
    s.v[i] = o.beta2 * s.v[i] + (1 - o.beta2) * g[i] * g[i];
    const den = Math.sqrt(s.v[i]) / Math.sqrt(bc2);
    // Math.atan2(0, 0) is 0, as the C library's.
    s.p[i] -= inside
      ? o.lr * Math.atan2(s.m[i] / bc1, den)
      : (o.lr / bc1) * Math.atan2(s.m[i], den);
  }
}

/** Sparse SignSGD step in place on `W [numIds, Dp]`; out-of-range ids are skipped. */
export function signSgdRef(
  W: Float64Array,
  numIds: number,
  Dp: number,
  ids: ArrayLike<number>,
  grad: ArrayLike<number>,
  o: { lr: number; weightDecay: number },
): void {
  const G = new Map<number, Float64Array>();
  for (let b = 0; b < ids.length; b++) {
    const id = ids[b];
    if (id < 0 || id >= numIds) continue;
    const row = G.get(id) ?? new Float64Array(Dp);
    for (let d = 0; d < Dp; d++) row[d] += grad[b * Dp + d];
    G.set(id, row);
  }
  for (const [id, row] of G) {
    for (let d = 0; d < Dp; d++) {
      const j = id * Dp + d;
      W[j] = W[j] * (1 - o.lr * o.weightDecay) - o.lr * Math.sign(row[d]);
    }
  }
}

/** EMA in place: `shadow ← (1 − rate)·param + rate·shadow` (EMAHelper.update with mu = rate). */
export function emaRef(shadow: Float64Array, param: ArrayLike<number>, rate: number): void {
  for (let i = 0; i < shadow.length; i++) shadow[i] = (1 - rate) * param[i] + rate * shadow[i];
}
