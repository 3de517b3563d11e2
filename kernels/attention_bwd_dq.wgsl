// attention_bwd_dq.wgsl: attention backward, part 1 of 2: dq, and D_i for part 2.
// With P_ij = exp(s_ij - lse_i) recomputed from the forward's lse (s_ij = scale * q_i . k_j):
//   D_i   = sum_d dO_i[d] * O_i[d]          (= sum_j P_ij dP_ij)
//   dP_ij = dO_i . v_j;   dS_ij = P_ij (dP_ij - D_i)
//   dq_i  = scale * sum_j dS_ij k_j
// One invocation per (b, head, query row i), like attention_fwd; no atomics (each dq row has one
// writer). attention_bwd_dkv.wgsl then writes dk and dv, reading `delta`.
// Bindings: qkv [B, T, 3*NH*HD], out [B, T, NH*HD], dout [B, T, NH*HD], lse [B, NH, T] (read),
//           delta [B, NH, T], dqkv [B, T, 3*NH*HD] (this kernel writes the q heads only);
//           params { B, T, NH, scale }.
// Grid [ceil(T / WG), NH, B]. Overrides HD (<= HD_MAX), WG, KT: as in attention.wgsl.
const HD_MAX: u32 = 64u;
override HD: u32 = 64u;
override WG: u32 = 64u;
override KT: u32 = 0u;

struct Params { B: u32, T: u32, NH: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> out: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read> lse: array<f32>;
@group(0) @binding(4) var<storage, read_write> delta: array<f32>;
@group(0) @binding(5) var<storage, read_write> dqkv: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

var<workgroup> k_tile: array<f32, max(KT, 1u) * HD>;
var<workgroup> v_tile: array<f32, max(KT, 1u) * HD>;

fn head_at(b: u32, t: u32, head: u32) -> u32 {
  return (b * p.T + t) * 3u * p.NH * HD + head * HD;
}

@compute @workgroup_size(WG)
fn attention_bwd_dq(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let T = p.T;
  let NH = p.NH;
  let h = wid.y;
  let b = wid.z;
  let i = wid.x * WG + lid;
  let live = i < T;
  let iq = min(i, T - 1u);
  var q: array<f32, HD_MAX>;
  var go: array<f32, HD_MAX>;
  var dq: array<f32, HD_MAX>;
  let qo = head_at(b, iq, h);
  let oo = (b * T + iq) * NH * HD + h * HD;
  var D = 0.0;
  for (var d = 0u; d < HD; d++) {
    q[d] = qkv[qo + d] * p.scale;
    go[d] = dout[oo + d];
    D += go[d] * out[oo + d];
    dq[d] = 0.0;
  }
  let L = lse[(b * NH + h) * T + iq];
  if (KT == 0u) {
    for (var j = 0u; j < T; j++) {
      let ko = head_at(b, j, NH + h);
      let vo = ko + NH * HD;
      var s = 0.0;
      var dp = 0.0;
      for (var d = 0u; d < HD; d++) {
        s += q[d] * qkv[ko + d];
        dp += go[d] * qkv[vo + d];
      }
      let ds = exp(s - L) * (dp - D);
      for (var d = 0u; d < HD; d++) { dq[d] += ds * qkv[ko + d]; }
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
        var dp = 0.0;
        for (var d = 0u; d < HD; d++) {
          s += q[d] * k_tile[r * HD + d];
          dp += go[d] * v_tile[r * HD + d];
        }
        let ds = exp(s - L) * (dp - D);
        for (var d = 0u; d < HD; d++) { dq[d] += ds * k_tile[r * HD + d]; }
      }
    }
  }
  if (live) {
    for (var d = 0u; d < HD; d++) { dqkv[qo + d] = dq[d] * p.scale; }
    delta[(b * NH + h) * T + i] = D;
  }
}
