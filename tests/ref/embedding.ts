/**
 * Float64 reference for the scaled embedding gather and its scatter-add backward
 * (models/layers.py CastedEmbedding times HRM's embed_scale). Ids outside [0, V) give zero rows
 * and receive no gradient, as lib/ops/embedding.ts documents.
 *
 * @module
 */

/** `y[n, d] = scale * W[ids[n], d]` // [N, D] */
export function embeddingRef(
  ids: ArrayLike<number>,
  W: ArrayLike<number>,
  V: number,
  D: number,
  scale: number,
): Float64Array {
  const N = ids.length, y = new Float64Array(N * D);
  for (let n = 0; n < N; n++) {
    const id = ids[n];
    if (id < 0 || id >= V) continue;
    for (let d = 0; d < D; d++) y[n * D + d] = scale * W[id * D + d];
  }
  return y;
}

/** `dW[v, d] = scale * Σ_{n : ids[n] = v} dy[n, d]` // [V, D] */
export function embeddingBackwardRef(
  dy: ArrayLike<number>,
  ids: ArrayLike<number>,
  V: number,
  D: number,
  scale: number,
): Float64Array {
  const dW = new Float64Array(V * D);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n];
    if (id < 0 || id >= V) continue;
    for (let d = 0; d < D; d++) dW[id * D + d] += scale * dy[n * D + d];
  }
  return dW;
}
