/**
 * Float64 reference for HRM's non-causal multi-head attention on a packed `qkv [B, T, 3·NH·HD]`
 * (`[q heads | k heads | v heads]`, each head contiguous): out = softmax(q kᵀ / sqrt(HD)) v per
 * (b, head), heads concatenated into `[B, T, NH·HD]`; `lse [B, NH, T]` is the log-sum-exp of each
 * score row. The backward materialises the full probability matrix (fine at test sizes) and uses
 * the textbook softmax Jacobian, not the kernels' `D_i = rowsum(dO·O)` shortcut.
 *
 * @module
 */

function offsets(T: number, NH: number, HD: number) {
  const row = 3 * NH * HD;
  return {
    q: (b: number, t: number, h: number) => (b * T + t) * row + h * HD,
    k: (b: number, t: number, h: number) => (b * T + t) * row + (NH + h) * HD,
    v: (b: number, t: number, h: number) => (b * T + t) * row + (2 * NH + h) * HD,
    o: (b: number, t: number, h: number) => (b * T + t) * NH * HD + h * HD,
  };
}

function probs(
  qkv: ArrayLike<number>,
  b: number,
  h: number,
  i: number,
  T: number,
  NH: number,
  HD: number,
): { p: Float64Array; lse: number } {
  const at = offsets(T, NH, HD), scale = 1 / Math.sqrt(HD);
  const s = new Float64Array(T);
  let m = -Infinity;
  for (let j = 0; j < T; j++) {
    let dot = 0;
    for (let d = 0; d < HD; d++) dot += qkv[at.q(b, i, h) + d] * qkv[at.k(b, j, h) + d];
    s[j] = dot * scale;
    m = Math.max(m, s[j]);
  }
  let sum = 0;
  for (let j = 0; j < T; j++) sum += Math.exp(s[j] - m);
  const lse = m + Math.log(sum);
  return { p: s.map((x) => Math.exp(x - lse)), lse };
}

/** Forward: `out [B,T,NH·HD]`, `lse [B,NH,T]`. */
export function attentionRef(
  qkv: ArrayLike<number>,
  B: number,
  T: number,
  NH: number,
  HD: number,
): { out: Float64Array; lse: Float64Array } {
  const at = offsets(T, NH, HD);
  const out = new Float64Array(B * T * NH * HD), lse = new Float64Array(B * NH * T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let i = 0; i < T; i++) {
        const r = probs(qkv, b, h, i, T, NH, HD);
        lse[(b * NH + h) * T + i] = r.lse;
        for (let j = 0; j < T; j++) {
          for (let d = 0; d < HD; d++) {
            out[at.o(b, i, h) + d] += r.p[j] * qkv[at.v(b, j, h) + d];
          }
        }
      }
    }
  }
  return { out, lse };
}

/** Backward: `dqkv [B,T,3·NH·HD]` from `dout [B,T,NH·HD]`. */
export function attentionBackwardRef(
  dout: ArrayLike<number>,
  qkv: ArrayLike<number>,
  B: number,
  T: number,
  NH: number,
  HD: number,
): Float64Array {
  const at = offsets(T, NH, HD), scale = 1 / Math.sqrt(HD);
  const dqkv = new Float64Array(B * T * 3 * NH * HD);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let i = 0; i < T; i++) {
        const { p } = probs(qkv, b, h, i, T, NH, HD);
        // dP_ij = dO_i·v_j; dS_ij = P_ij (dP_ij − Σ_k P_ik dP_ik).
        const dp = new Float64Array(T);
        let pdp = 0;
        for (let j = 0; j < T; j++) {
          for (let d = 0; d < HD; d++) dp[j] += dout[at.o(b, i, h) + d] * qkv[at.v(b, j, h) + d];
          pdp += p[j] * dp[j];
        }
        for (let j = 0; j < T; j++) {
          const ds = p[j] * (dp[j] - pdp) * scale;
          for (let d = 0; d < HD; d++) {
            dqkv[at.q(b, i, h) + d] += ds * qkv[at.k(b, j, h) + d];
            dqkv[at.k(b, j, h) + d] += ds * qkv[at.q(b, i, h) + d];
            dqkv[at.v(b, j, h) + d] += p[j] * dout[at.o(b, i, h) + d];
          }
        }
      }
    }
  }
  return dqkv;
}
