// attention_bwd_dkv.wgsl: attention backward, part 2 of 2: dk and dv per key row, recomputing
// P from the forward's lse and reading D_i from attention_bwd_dq (see there for the maths):
//   dv_j = sum_i P_ij dO_i;   dk_j = scale * sum_i P_ij (dO_i . v_j - D_i) q_i
// One invocation per (b, head, key row j); each dk/dv row has one writer, so no atomics.
// Bindings: qkv [B, T, 3*NH*HD], dout [B, T, NH*HD], lse [B, NH, T], delta [B, NH, T] (read),
//           dqkv [B, T, 3*NH*HD] (this kernel writes the k and v heads only);
//           params { B, T, NH, scale }.
// Grid [ceil(T / WG), NH, B]. Overrides HD (<= HD_MAX), WG, KT (here: query rows per
// workgroup-memory tile; 0 = read q and dO straight from the storage buffers).
const HD_MAX: u32 = 64u;
override HD: u32 = 64u;
override WG: u32 = 64u;
override KT: u32 = 0u;

struct Params { B: u32, T: u32, NH: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> lse: array<f32>;
@group(0) @binding(3) var<storage, read> delta: array<f32>;
@group(0) @binding(4) var<storage, read_write> dqkv: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

var<workgroup> q_tile: array<f32, max(KT, 1u) * HD>;
var<workgroup> go_tile: array<f32, max(KT, 1u) * HD>;
var<workgroup> l_tile: array<f32, max(KT, 1u)>;
var<workgroup> d_tile: array<f32, max(KT, 1u)>;

fn head_at(b: u32, t: u32, head: u32) -> u32 {
  return (b * p.T + t) * 3u * p.NH * HD + head * HD;
}

@compute @workgroup_size(WG)
fn attention_bwd_dkv(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let T = p.T;
  let NH = p.NH;
  let h = wid.y;
  let b = wid.z;
  let j = wid.x * WG + lid;
  let live = j < T;
  let jk = min(j, T - 1u);
  var k: array<f32, HD_MAX>;
  var v: array<f32, HD_MAX>;
  var dk: array<f32, HD_MAX>;
  var dv: array<f32, HD_MAX>;
  let ko = head_at(b, jk, NH + h);
  let vo = ko + NH * HD;
  for (var d = 0u; d < HD; d++) {
    k[d] = qkv[ko + d] * p.scale;
    v[d] = qkv[vo + d];
    dk[d] = 0.0;
    dv[d] = 0.0;
  }
  let rows = (b * NH + h) * T;
  if (KT == 0u) {
    for (var i = 0u; i < T; i++) {
      let qo = head_at(b, i, h);
      let oo = (b * T + i) * NH * HD + h * HD;
      var s = 0.0;
      var dp = 0.0;
      for (var d = 0u; d < HD; d++) {
        s += k[d] * qkv[qo + d];
        dp += v[d] * dout[oo + d];
      }
      let P = exp(s - lse[rows + i]);
      let ds = P * (dp - delta[rows + i]);
      for (var d = 0u; d < HD; d++) {
        dv[d] += P * dout[oo + d];
        dk[d] += ds * qkv[qo + d];
      }
    }
  } else {
    for (var i0 = 0u; i0 < T; i0 += KT) {
      let n = min(KT, T - i0);
      workgroupBarrier();
      for (var x = lid; x < n * HD; x += WG) {
        let r = i0 + x / HD;
        q_tile[x] = qkv[head_at(b, r, h) + x % HD];
        go_tile[x] = dout[(b * T + r) * NH * HD + h * HD + x % HD];
      }
      for (var x = lid; x < n; x += WG) {
        l_tile[x] = lse[rows + i0 + x];
        d_tile[x] = delta[rows + i0 + x];
      }
      workgroupBarrier();
      for (var r = 0u; r < n; r++) {
        var s = 0.0;
        var dp = 0.0;
        for (var d = 0u; d < HD; d++) {
          s += k[d] * q_tile[r * HD + d];
          dp += v[d] * go_tile[r * HD + d];
        }
        let P = exp(s - l_tile[r]);
        let ds = P * (dp - d_tile[r]);
        for (var d = 0u; d < HD; d++) {
          dv[d] += P * go_tile[r * HD + d];
          dk[d] += ds * q_tile[r * HD + d];
        }
      }
    }
  }
  if (live) {
    for (var d = 0u; d < HD; d++) {
      dqkv[ko + d] = dk[d] * p.scale;
      dqkv[vo + d] = dv[d];
    }
  }
}
