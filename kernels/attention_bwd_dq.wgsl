// attention_bwd_dq.wgsl: attention backward, part 1 of 2: dq, and D_i for part 2.
// With P_ij = exp(s_ij - lse_i) recomputed from the forward's lse (s_ij = scale * q_i . k_j):
//   D_i   = sum_d dO_i[d] * O_i[d]          (= sum_j P_ij dP_ij)
//   dP_ij = dO_i . v_j;   dS_ij = P_ij (dP_ij - D_i)
//   dq_i  = scale * sum_j dS_ij k_j
// Each invocation owns QR query rows of one (b, head), like attention_fwd; each dq row has one
// writer, so no atomics. attention_bwd_dkv.wgsl then writes dk and dv, reading `delta`.
// With ROPE (attention_rope.wgsl, prepended), qkv holds the rotated q and k (the forward's `rot`)
// and dq goes back through the transposed rotation as it is stored (the gradient of the
// un-rotated q).
// Bindings: qkv [B, T, 3*NH*HD], the RoPE table (binding 1), out [B, T, NH*HD],
//           dout [B, T, NH*HD], lse [B, NH, T] (read),
//           delta [B, NH, T], dqkv [B, T, 3*NH*HD] (this kernel writes the q heads only);
//           params { B, T, NH, HD, scale }.
// Grid [ceil(T / (WG*QR)), NH, B]. Overrides HD (<= HD_MAX), WG, QR (<= QR_MAX), KT: as in
// attention.wgsl (KT = keys per workgroup-memory tile).
const HD_MAX: u32 = 64u;
const QR_MAX: u32 = 4u;
override HD: u32 = 0u;
override WG: u32 = 64u;
override QR: u32 = 1u;
override KT: u32 = 0u;

struct Params { B: u32, T: u32, NH: u32, HD: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read> out: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<f32>;
@group(0) @binding(4) var<storage, read> lse: array<f32>;
@group(0) @binding(5) var<storage, read_write> delta: array<f32>;
@group(0) @binding(6) var<storage, read_write> dqkv: array<f32>;
@group(0) @binding(7) var<uniform> p: Params;

var<workgroup> k_tile: array<f32, max(KT, 1u) * max(HD, 1u)>;
var<workgroup> v_tile: array<f32, max(KT, 1u) * max(HD, 1u)>;

// The head dimension: baked in when HD > 0, else read from params.
fn head_dim() -> u32 {
  return select(p.HD, HD, HD > 0u);
}

fn head_at(b: u32, t: u32, head: u32) -> u32 {
  let hd = head_dim();
  return (b * p.T + t) * 3u * p.NH * hd + head * hd;
}

@compute @workgroup_size(WG)
fn attention_bwd_dq(
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
  var go: array<f32, QR_MAX * HD_MAX>;
  var dq: array<f32, QR_MAX * HD_MAX>;
  var D: array<f32, QR_MAX>;
  var L: array<f32, QR_MAX>;
  var kj: array<f32, HD_MAX>;
  var vj: array<f32, HD_MAX>;
  for (var r = 0u; r < QR; r++) {
    let i = min(i0 + r, T - 1u);
    let qo = head_at(b, i, h);
    let oo = (b * T + i) * NH * hd + h * hd;
    var dsum = 0.0;
    for (var d = 0u; d < hd; d++) {
      q[r * hd + d] = qkv[qo + d] * p.scale;
      go[r * hd + d] = dout[oo + d];
      dsum += dout[oo + d] * out[oo + d];
      dq[r * hd + d] = 0.0;
    }
    D[r] = dsum;
    L[r] = lse[(b * NH + h) * T + i];
  }
  let step = select(T, KT, KT > 0u);
  for (var j0 = 0u; j0 < T; j0 += step) {
    let n = min(step, T - j0);
    if (KT > 0u) {
      workgroupBarrier();
      for (var x = lid; x < n * hd; x += WG) {
        let ko = head_at(b, j0 + x / hd, NH + h) + x % hd;
        k_tile[x] = qkv[ko];
        v_tile[x] = qkv[ko + NH * hd];
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
          kj[d] = qkv[ko + d];
          vj[d] = qkv[ko + NH * hd + d];
        }
      }
      for (var r = 0u; r < QR; r++) {
        var s = 0.0;
        var dp = 0.0;
        for (var d = 0u; d < hd; d++) {
          s += q[r * hd + d] * kj[d];
          dp += go[r * hd + d] * vj[d];
        }
        let ds = exp(s - L[r]) * (dp - D[r]);
        for (var d = 0u; d < hd; d++) { dq[r * hd + d] += ds * kj[d]; }
      }
    }
  }
  for (var r = 0u; r < QR; r++) {
    let i = i0 + r;
    if (i < T) {
      let qo = head_at(b, i, h);
      for (var d = 0u; d < hd; d++) {
        let g = rope_at(dq[r * hd + d], dq[r * hd + rope_partner(d, hd)], i, d, hd, -1.0);
        dqkv[qo + d] = g * p.scale;
      }
      delta[(b * NH + h) * T + i] = D[r];
    }
  }
}
