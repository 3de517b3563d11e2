// q_head.wgsl: the Q head (q_head = nn.Linear(hidden, 2) with bias, on z_H[:, 0]) and its
// backward: two outputs per row are far too narrow for a matmul, whose dispatch, operand copies
// and bias pass cost more than these few dot products.
//
// q_head_fwd, one invocation per (b, j), j = 0 (halt) or 1 (continue):
//   q_j[b] = bias[j] + Σ_d W[j, d] · z[b, 0, d]        (z is [B, T, D]; row b starts at b·T·D)
// q_head_bwd_x, one invocation per element of dz[:, 0] (B·D):
//   dz[b, 0, d] += dq[b, 0]·W[0, d] + dq[b, 1]·W[1, d]
// q_head_bwd_w, one invocation per element of dW (2·D), then of dbias (2):
//   dW[j, d]    += Σ_b dq[b, j] · z[b, 0, d]
//   dbias[j]    += Σ_b dq[b, j]
// (Both backward parts in one kernel ran ~50x slower on lavapipe than these two dispatches.)
// Params { B, T·D, D }. Invocation index = gid.x + gid.y · nwg.x · WG.
override WG: u32 = 64;

struct Params { B: u32, row: u32, D: u32 }

// ---- q_head_fwd ----
@group(0) @binding(0) var<storage, read> f_z: array<f32>;
@group(0) @binding(1) var<storage, read> f_w: array<f32>;
@group(0) @binding(2) var<storage, read> f_bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> f_q_halt: array<f32>;
@group(0) @binding(4) var<storage, read_write> f_q_continue: array<f32>;
@group(0) @binding(5) var<uniform> f_p: Params;

@compute @workgroup_size(WG)
fn q_head_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= 2u * f_p.B) { return; }
  let b = i / 2u;
  let j = i % 2u;
  var s = 0.0;
  for (var d = 0u; d < f_p.D; d++) { s += f_w[j * f_p.D + d] * f_z[b * f_p.row + d]; }
  let q = s + f_bias[j];
  if (j == 0u) { f_q_halt[b] = q; } else { f_q_continue[b] = q; }
}

// ---- q_head_bwd_x: dz[:, 0] += dq·W ----
@group(0) @binding(0) var<storage, read> x_w: array<f32>;
@group(0) @binding(1) var<storage, read> x_dq: array<f32>;
@group(0) @binding(2) var<storage, read_write> x_dz: array<f32>;
@group(0) @binding(3) var<uniform> x_p: Params;

@compute @workgroup_size(WG)
fn q_head_bwd_x(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = gid.x + gid.y * nwg.x * WG;
  let D = x_p.D;
  if (k >= x_p.B * D) { return; }
  let b = k / D;
  let d = k % D;
  x_dz[b * x_p.row + d] += x_dq[2u * b] * x_w[d] + x_dq[2u * b + 1u] * x_w[D + d];
}

// ---- q_head_bwd_w: dW += dqᵀ·z[:, 0] (2·D invocations), dbias += Σ_b dq[b] (2 more) ----
@group(0) @binding(0) var<storage, read> w_z: array<f32>;
@group(0) @binding(1) var<storage, read> w_dq: array<f32>;
@group(0) @binding(2) var<storage, read_write> w_dw: array<f32>;
@group(0) @binding(3) var<storage, read_write> w_dbias: array<f32>;
@group(0) @binding(4) var<uniform> w_p: Params;

@compute @workgroup_size(WG)
fn q_head_bwd_w(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = gid.x + gid.y * nwg.x * WG;
  let D = w_p.D;
  if (k < 2u * D) {
    let j = k / D;
    let d = k % D;
    var s = 0.0;
    for (var b = 0u; b < w_p.B; b++) { s += w_dq[2u * b + j] * w_z[b * w_p.row + d]; }
    w_dw[k] += s;
  } else if (k < 2u * D + 2u) {
    let j = k - 2u * D;
    var s = 0.0;
    for (var b = 0u; b < w_p.B; b++) { s += w_dq[2u * b + j]; }
    w_dbias[j] += s;
  }
}
