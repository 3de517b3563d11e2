/**
 * Float64 reference for HRM's rotary embedding (models/layers.py `RotaryEmbedding`,
 * `apply_rotary_pos_emb`): inv_freq[i] = 1/theta^(2i/HD), emb = cat(freqs, freqs),
 * q' = q·cos + rotate_half(q)·sin with rotate_half(q) = cat(−q[HD/2:], q[:HD/2]), on the q and k
 * heads of a packed `qkv [B, T, 3·NH·HD]` (`[q heads | k heads | v heads]`).
 *
 * @module
 */

/** `cos`, `sin` tables `[T, HD]` for positions 0..T−1. */
export function ropeTablesRef(
  T: number,
  HD: number,
  theta: number,
): { cos: Float64Array; sin: Float64Array } {
  const cos = new Float64Array(T * HD), sin = new Float64Array(T * HD);
  const half = HD / 2;
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < HD; j++) {
      const i = j % half;
      const a = t / theta ** (2 * i / HD);
      cos[t * HD + j] = Math.cos(a);
      sin[t * HD + j] = Math.sin(a);
    }
  }
  return { cos, sin };
}

/**
 * Applies the rotation (or, with `transpose`, its transpose, which is the backward) to the q and k
 * heads; v is copied unchanged. Returns a new array.
 */
export function ropeRef(
  qkv: ArrayLike<number>,
  B: number,
  T: number,
  NH: number,
  HD: number,
  cos: ArrayLike<number>,
  sin: ArrayLike<number>,
  transpose = false,
): Float64Array {
  const out = Float64Array.from(qkv);
  const half = HD / 2, row = 3 * NH * HD;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let head = 0; head < 2 * NH; head++) {
        const base = (b * T + t) * row + head * HD;
        for (let j = 0; j < HD; j++) {
          // y_j = x_j cos_j + r_j sin_j with r = rotate_half(x): r_j = -x_{j+h} (j < h), x_{j-h}.
          // Its transpose sends sin_j·x_j to the partner index with the opposite sign.
          const partner = j < half ? j + half : j - half;
          const sign = j < half ? -1 : 1;
          const c = cos[t * HD + j];
          if (!transpose) {
            out[base + j] = qkv[base + j] * c + sign * qkv[base + partner] * sin[t * HD + j];
          } else {
            out[base + j] = qkv[base + j] * c - sign * qkv[base + partner] * sin[t * HD + partner];
          }
        }
      }
    }
  }
  return out;
}
