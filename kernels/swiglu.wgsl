// swiglu.wgsl: HRM's SwiGLU activation (models/layers.py SwiGLU: gate, up = chunk(x W_gu^T, 2)):
//   h[n, f] = silu(g) * u,  silu(g) = g * sigmoid(g),  g = gu[n, f], u = gu[n, F + f]
// swiglu_fwd: gu [N, 2F] (read; first half gate, second half up) -> h [N, F];
// params { n = N*F, F }. One invocation per output element, folded into [x, y]:
// index = gid.x + gid.y * nwg.x * WG. sigmoid(g) = 1 / (1 + exp(-g)) saturates to exactly 0 or 1
// (exp overflows to +inf, 1/inf = 0), so no input gives NaN.
override WG: u32 = 256;

struct Params { n: u32, F: u32 }

@group(0) @binding(0) var<storage, read> gu: array<f32>;
@group(0) @binding(1) var<storage, read_write> h: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn swiglu_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let row = i / p.F;
  let gi = i + row * p.F;  // = row * 2F + f
  let g = gu[gi];
  h[i] = g / (1.0 + exp(-g)) * gu[gi + p.F];
}
