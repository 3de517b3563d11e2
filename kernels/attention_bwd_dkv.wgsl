// attention_bwd_dkv.wgsl: attention backward, part 2 of 2: dk and dv per key row, recomputing
// P from the forward's lse and reading D_i from attention_bwd_dq (see there for the maths):
//   dv_j = sum_i P_ij dO_i;   dk_j = scale * sum_i P_ij (dO_i . v_j - D_i) q_i
// Each invocation owns QR key rows of one (b, head); each dk/dv row has one writer, so no
// atomics.
// With ROPE (attention_rope.wgsl, prepended), qkv holds the rotated q and k (the forward's `rot`)
// and dk goes back through the transposed rotation as it is stored (the gradient of the
// un-rotated k).
// Bindings: qkv [B, T, 3*NH*HD], the RoPE table (binding 1), dout [B, T, NH*HD],
//           lse [B, NH, T], delta [B, NH, T] (read),
//           dqkv [B, T, 3*NH*HD] (this kernel writes the k and v heads only);
//           params { B, T, NH, HD, scale }.
// Grid [ceil(T / (WG*QR)), NH, B]. Overrides HD (<= HD_MAX), WG, QR (<= QR_MAX: key rows per
// invocation), KT (query rows per workgroup-memory tile; 0 = read q and dO straight from the
// storage buffers): see attention.wgsl.
const HD_MAX: u32 = 64u;
const QR_MAX: u32 = 4u;
override HD: u32 = 0u;
override WG: u32 = 64u;
override QR: u32 = 1u;
override KT: u32 = 0u;

struct Params { B: u32, T: u32, NH: u32, HD: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read> lse: array<f32>;
@group(0) @binding(4) var<storage, read> delta: array<f32>;
@group(0) @binding(5) var<storage, read_write> dqkv: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

var<workgroup> q_tile: array<f32, max(KT, 1u) * max(HD, 1u)>;
var<workgroup> go_tile: array<f32, max(KT, 1u) * max(HD, 1u)>;
var<workgroup> l_tile: array<f32, max(KT, 1u)>;
var<workgroup> d_tile: array<f32, max(KT, 1u)>;

// The head dimension: baked in when HD > 0, else read from params.
fn head_dim() -> u32 {
  return select(p.HD, HD, HD > 0u);
}

fn head_at(b: u32, t: u32, head: u32) -> u32 {
  let hd = head_dim();
  return (b * p.T + t) * 3u * p.NH * hd + head * hd;
}

@compute @workgroup_size(WG)
fn attention_bwd_dkv(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let T = p.T;
  let hd = head_dim();
  let NH = p.NH;
  let h = wid.y;
  let b = wid.z;
  let j0r = (wid.x * WG + lid) * QR;
  var k: array<f32, QR_MAX * HD_MAX>;
  var v: array<f32, QR_MAX * HD_MAX>;
  var dk: array<f32, QR_MAX * HD_MAX>;
  var dv: array<f32, QR_MAX * HD_MAX>;
  var qi: array<f32, HD_MAX>;
  var gi: array<f32, HD_MAX>;
  for (var r = 0u; r < QR; r++) {
    let j = min(j0r + r, T - 1u);
    let ko = head_at(b, j, NH + h);
    for (var d = 0u; d < hd; d++) {
      k[r * hd + d] = qkv[ko + d] * p.scale;
      v[r * hd + d] = qkv[ko + NH * hd + d];
      dk[r * hd + d] = 0.0;
      dv[r * hd + d] = 0.0;
    }
  }
  let rows = (b * NH + h) * T;
  let step = select(T, KT, KT > 0u);
  for (var i0 = 0u; i0 < T; i0 += step) {
    let n = min(step, T - i0);
    if (KT > 0u) {
      workgroupBarrier();
      for (var x = lid; x < n * hd; x += WG) {
        let i = i0 + x / hd;
        q_tile[x] = qkv[head_at(b, i, h) + x % hd];
        go_tile[x] = dout[(b * T + i) * NH * hd + h * hd + x % hd];
      }
      for (var x = lid; x < n; x += WG) {
        l_tile[x] = lse[rows + i0 + x];
        d_tile[x] = delta[rows + i0 + x];
      }
      workgroupBarrier();
    }
    for (var ii = 0u; ii < n; ii++) {
      var Li: f32;
      var Di: f32;
      if (KT > 0u) {
        for (var d = 0u; d < hd; d++) {
          qi[d] = q_tile[ii * hd + d];
          gi[d] = go_tile[ii * hd + d];
        }
        Li = l_tile[ii];
        Di = d_tile[ii];
      } else {
        let i = i0 + ii;
        let qo = head_at(b, i, h);
        let oo = (b * T + i) * NH * hd + h * hd;
        for (var d = 0u; d < hd; d++) {
          qi[d] = qkv[qo + d];
          gi[d] = dout[oo + d];
        }
        Li = lse[rows + i];
        Di = delta[rows + i];
      }
      for (var r = 0u; r < QR; r++) {
        var s = 0.0;
        var dp = 0.0;
        for (var d = 0u; d < hd; d++) {
          s += k[r * hd + d] * qi[d];
          dp += v[r * hd + d] * gi[d];
        }
        let P = exp(s - Li);
        let ds = P * (dp - Di);
        for (var d = 0u; d < hd; d++) {
          dv[r * hd + d] += P * gi[d];
          dk[r * hd + d] += ds * qi[d];
        }
      }
    }
  }
  for (var r = 0u; r < QR; r++) {
    let j = j0r + r;
    if (j < T) {
      let ko = head_at(b, j, NH + h);
      for (var d = 0u; d < hd; d++) {
        let g = rope_at(dk[r * hd + d], dk[r * hd + rope_partner(d, hd)], j, d, hd, -1.0);
        dqkv[ko + d] = g * p.scale;
        dqkv[ko + NH * hd + d] = dv[r * hd + d];
      }
    }
  }
}
