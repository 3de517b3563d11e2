// attention.wgsl: non-causal multi-head softmax attention, forward (models/layers.py Attention
// with flash_attn_func(causal=False); scale = 1/sqrt(HD)), flash-style: one invocation per
// (b, head, query row i) keeps q_i and an output accumulator in registers and walks the keys once
// with an online max/sum, so the [T, T] score matrix never exists.
//   s_ij = scale * q_i . k_j;  m_i = max_j s_ij;  l_i = sum_j exp(s_ij - m_i)
//   out_i = sum_j exp(s_ij - m_i) v_j / l_i;  lse_i = m_i + log(l_i)
// Bindings: qkv [B, T, 3*NH*HD] (read; [q heads | k heads | v heads], head-contiguous),
//           out [B, T, NH*HD], lse [B, NH, T]; params { B, T, NH, scale }.
// Grid: [ceil(T / WG), NH, B]; a workgroup holds query rows of one (b, head).
// Overrides: HD (head dim, <= HD_MAX: WGSL sizes per-thread arrays only by const-expressions, so
// they are HD_MAX long and loops run to HD; the driver drops the unused tail), WG (threads per
// workgroup), KT (keys per workgroup-memory tile; 0 = read k and v straight from the storage
// buffer, the right choice on llvmpipe where workgroup memory and barriers are slow; > 0 = the
// workgroup stages KT keys at a time with coalesced loads, for real GPUs).
const HD_MAX: u32 = 64u;
override HD: u32 = 64u;
override WG: u32 = 64u;
override KT: u32 = 0u;

struct Params { B: u32, T: u32, NH: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> lse: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

var<workgroup> k_tile: array<f32, max(KT, 1u) * HD>;
var<workgroup> v_tile: array<f32, max(KT, 1u) * HD>;

// Offset of element 0 of head `head` (0..3*NH-1) at position t of batch row b.
fn head_at(b: u32, t: u32, head: u32) -> u32 {
  return (b * p.T + t) * 3u * p.NH * HD + head * HD;
}

@compute @workgroup_size(WG)
fn attention_fwd(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let T = p.T;
  let NH = p.NH;
  let h = wid.y;
  let b = wid.z;
  let i = wid.x * WG + lid;
  let live = i < T;
  // Rows past T still take part in tile loads and barriers; they compute on row T-1 and store
  // nothing.
  let iq = min(i, T - 1u);
  var q: array<f32, HD_MAX>;
  var acc: array<f32, HD_MAX>;
  let qo = head_at(b, iq, h);
  for (var d = 0u; d < HD; d++) {
    q[d] = qkv[qo + d] * p.scale;
    acc[d] = 0.0;
  }
  var m = -3.0e38;
  var l = 0.0;
  if (KT == 0u) {
    for (var j = 0u; j < T; j++) {
      let ko = head_at(b, j, NH + h);
      let vo = ko + NH * HD;
      var s = 0.0;
      for (var d = 0u; d < HD; d++) { s += q[d] * qkv[ko + d]; }
      if (s > m) {
        let c = exp(m - s);
        l *= c;
        for (var d = 0u; d < HD; d++) { acc[d] *= c; }
        m = s;
      }
      let e = exp(s - m);
      l += e;
      for (var d = 0u; d < HD; d++) { acc[d] += e * qkv[vo + d]; }
    }
  } else {
    for (var j0 = 0u; j0 < T; j0 += KT) {
      let n = min(KT, T - j0);
      workgroupBarrier();
      for (var x = lid; x < n * HD; x += WG) {
        let ko = head_at(b, j0 + x / HD, NH + h) + x % HD;
        k_tile[x] = qkv[ko];
        v_tile[x] = qkv[ko + NH * HD];
      }
      workgroupBarrier();
      for (var r = 0u; r < n; r++) {
        var s = 0.0;
        for (var d = 0u; d < HD; d++) { s += q[d] * k_tile[r * HD + d]; }
        if (s > m) {
          let c = exp(m - s);
          l *= c;
          for (var d = 0u; d < HD; d++) { acc[d] *= c; }
          m = s;
        }
        let e = exp(s - m);
        l += e;
        for (var d = 0u; d < HD; d++) { acc[d] += e * v_tile[r * HD + d]; }
      }
    }
  }
  if (live) {
    let oo = (b * T + i) * NH * HD + h * HD;
    let inv = 1.0 / l;
    for (var d = 0u; d < HD; d++) { out[oo + d] = acc[d] * inv; }
    lse[(b * NH + h) * T + i] = m + log(l);
  }
}
