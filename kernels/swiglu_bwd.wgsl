// swiglu_bwd.wgsl: backward of swiglu.wgsl's h = silu(g) * u, with s = sigmoid(g):
//   dg = dh * u * s * (1 + g * (1 - s)),   du = dh * g * s
// swiglu_bwd: dh [N, F], gu [N, 2F] (read) -> dgu [N, 2F] (gate half, then up half);
// params { n = N*F, F }. One invocation per (n, f), writing both halves; folded as in swiglu.wgsl.
// (Separate file: an auto layout keeps only the bindings an entry uses, and this one uses three.)
override WG: u32 = 256;

struct Params { n: u32, F: u32 }

@group(0) @binding(0) var<storage, read> dh: array<f32>;
@group(0) @binding(1) var<storage, read> gu: array<f32>;
@group(0) @binding(2) var<storage, read_write> dgu: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn swiglu_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let row = i / p.F;
  let gi = i + row * p.F;
  let g = gu[gi];
  let u = gu[gi + p.F];
  let s = 1.0 / (1.0 + exp(-g));
  let d = dh[i];
  dgu[gi] = d * u * s * (1.0 + g * (1.0 - s));
  dgu[gi + p.F] = d * g * s;
}
