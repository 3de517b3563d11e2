// attention.wgsl: non-causal multi-head softmax attention, forward (models/layers.py Attention
// with flash_attn_func(causal=False); scale = 1/sqrt(HD)), flash-style: each invocation owns QR
// query rows of one (b, head), keeps their q and output accumulators in registers and walks the
// keys once with an online max/sum, so the [T, T] score matrix never exists.
//   s_ij = scale * q_i . k_j;  m_i = max_j s_ij;  l_i = sum_j exp(s_ij - m_i)
//   out_i = sum_j exp(s_ij - m_i) v_j / l_i;  lse_i = m_i + log(l_i)
// q and k are rotated by RoPE as they are loaded (attention_rope.wgsl, prepended, when ROPE);
// with SAVE each query row i also stores its rotated q_i, k_i and v_i into `rot` for the backward.
// Bindings: qkv [B, T, 3*NH*HD] (read; [q heads | k heads | v heads], head-contiguous, not
//           rotated), the RoPE table (binding 1, attention_rope.wgsl), out [B, T, NH*HD],
//           lse [B, NH, T], rot [B, T, 3*NH*HD] (any other buffer when SAVE is false);
//           params { B, T, NH, HD, scale }.
// Grid: [ceil(T / (WG*QR)), NH, B]; invocation lid of workgroup x owns rows (x*WG + lid)*QR + r.
// Overrides:
//   HD  head dim, <= HD_MAX (WGSL sizes per-thread arrays only by const-expressions, so they are
//       sized for the maximum and loops run to HD; the compiler drops the unused tail)
//   WG  invocations per workgroup
//   QR  query rows per invocation (<= QR_MAX): each k_j/v_j load serves QR rows. Storage loads
//       are scalarised on llvmpipe, so QR = 4 there; 1 suits real GPUs (registers)
//   KT  keys per workgroup-memory tile; 0 = each invocation reads k_j, v_j itself (llvmpipe, where
//       workgroup memory and barriers are slow); > 0 = the workgroup stages KT keys with
//       coalesced loads between barriers (real GPUs)
const HD_MAX: u32 = 64u;
const QR_MAX: u32 = 4u;
override HD: u32 = 0u;
override WG: u32 = 64u;
override QR: u32 = 1u;
override KT: u32 = 0u;
override SAVE: bool = false;

struct Params { B: u32, T: u32, NH: u32, HD: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> lse: array<f32>;
@group(0) @binding(4) var<storage, read_write> rot: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

var<workgroup> k_tile: array<f32, max(KT, 1u) * max(HD, 1u)>;
var<workgroup> v_tile: array<f32, max(KT, 1u) * max(HD, 1u)>;

// Offset of element 0 of head `head` (0..3*NH-1) at position t of batch row b.
// The head dimension: baked in when HD > 0, else read from params.
fn head_dim() -> u32 {
  return select(p.HD, HD, HD > 0u);
}

fn head_at(b: u32, t: u32, head: u32) -> u32 {
  let hd = head_dim();
  return (b * p.T + t) * 3u * p.NH * hd + head * hd;
}

@compute @workgroup_size(WG)
fn attention_fwd(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let T = p.T;
  let hd = head_dim();
  let NH = p.NH;
  let h = wid.y;
  let b = wid.z;
  let i0 = (wid.x * WG + lid) * QR;
  var q: array<f32, QR_MAX * HD_MAX>;
  var acc: array<f32, QR_MAX * HD_MAX>;
  var m: array<f32, QR_MAX>;
  var l: array<f32, QR_MAX>;
  var kj: array<f32, HD_MAX>;
  var vj: array<f32, HD_MAX>;
  for (var r = 0u; r < QR; r++) {
    // Rows past T compute on row T-1 (they must still reach the barriers) and store nothing.
    let i = min(i0 + r, T - 1u);
    let qo = head_at(b, i, h);
    for (var d = 0u; d < hd; d++) {
      q[r * hd + d] = rope_at(qkv[qo + d], qkv[qo + rope_partner(d, hd)], i, d, hd, 1.0) * p.scale;
      acc[r * hd + d] = 0.0;
    }
    m[r] = -3.0e38;
    l[r] = 0.0;
  }
  let step = select(T, KT, KT > 0u);
  for (var j0 = 0u; j0 < T; j0 += step) {
    let n = min(step, T - j0);
    if (KT > 0u) {
      workgroupBarrier();
      for (var x = lid; x < n * hd; x += WG) {
        let j = j0 + x / hd;
        let d = x % hd;
        let ko = head_at(b, j, NH + h);
        k_tile[x] = rope_at(qkv[ko + d], qkv[ko + rope_partner(d, hd)], j, d, hd, 1.0);
        v_tile[x] = qkv[ko + NH * hd + d];
      }
      workgroupBarrier();
    }
    for (var jj = 0u; jj < n; jj++) {
      if (KT > 0u) {
        for (var d = 0u; d < hd; d++) {
          kj[d] = k_tile[jj * hd + d];
          vj[d] = v_tile[jj * hd + d];
        }
      } else {
        let ko = head_at(b, j0 + jj, NH + h);
        for (var d = 0u; d < hd; d++) {
          kj[d] = rope_at(qkv[ko + d], qkv[ko + rope_partner(d, hd)], j0 + jj, d, hd, 1.0);
          vj[d] = qkv[ko + NH * hd + d];
        }
      }
      for (var r = 0u; r < QR; r++) {
        var s = 0.0;
        for (var d = 0u; d < hd; d++) { s += q[r * hd + d] * kj[d]; }
        if (s > m[r]) {
          // A new running max: rescale what was summed so far.
          let c = exp(m[r] - s);
          l[r] *= c;
          for (var d = 0u; d < hd; d++) { acc[r * hd + d] *= c; }
          m[r] = s;
        }
        let e = exp(s - m[r]);
        l[r] += e;
        for (var d = 0u; d < hd; d++) { acc[r * hd + d] += e * vj[d]; }
      }
    }
  }
  for (var r = 0u; r < QR; r++) {
    let i = i0 + r;
    if (i < T) {
      let oo = (b * T + i) * NH * hd + h * hd;
      let inv = 1.0 / l[r];
      for (var d = 0u; d < hd; d++) { out[oo + d] = acc[r * hd + d] * inv; }
      lse[(b * NH + h) * T + i] = m[r] + log(l[r]);
      if (SAVE) {
        let qo = head_at(b, i, h);
        let ko = head_at(b, i, NH + h);
        let vo = head_at(b, i, 2u * NH + h);
        for (var d = 0u; d < hd; d++) {
          let pd = rope_partner(d, hd);
          rot[qo + d] = rope_at(qkv[qo + d], qkv[qo + pd], i, d, hd, 1.0);
          rot[ko + d] = rope_at(qkv[ko + d], qkv[ko + pd], i, d, hd, 1.0);
          rot[vo + d] = qkv[vo + d];
        }
      }
    }
  }
}
