// swiglu_bwd.wgsl: backward of swiglu.wgsl's h = silu(g) * u, with s = sigmoid(g):
//   dg = dh * u * s * (1 + g * (1 - s)),   du = dh * g * s
// swiglu_bwd: dh [N, F], gu [N, 2F] (read) -> dgu [N, 2F] (gate half, then up half);
// params { N, F }. The 2-D grid of swiglu.wgsl (4 columns per invocation, rows folded into z).
// (Separate file: an auto layout keeps only the bindings an entry uses, and this one uses three.)
// TG and TD (gu's and dgu's element types, f32 or f16: float16 mixed precision saves gu in f16
// and hands dgu to matmuls that round it to f16) are aliases prepended by lib/gpu/wgsl.ts
// (typeAliases); the arithmetic is f32.
override WG: u32 = 64;

struct Params { N: u32, F: u32 }

@group(0) @binding(0) var<storage, read> dh: array<f32>;
@group(0) @binding(1) var<storage, read> gu: array<TG>;
@group(0) @binding(2) var<storage, read_write> dgu: array<TD>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn swiglu_bwd(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let row = wid.y + wid.z * nwg.y;
  let f0 = gid.x * 4u;
  if (row >= p.N || f0 >= p.F) { return; }
  let gi = row * 2u * p.F + f0;
  let hi = row * p.F + f0;
  for (var j = 0u; j < 4u; j++) {
    if (f0 + j < p.F) {
      let g = f32(gu[gi + j]);
      let u = f32(gu[gi + j + p.F]);
      let s = 1.0 / (1.0 + exp(-g));
      let d = dh[hi + j];
      dgu[gi + j] = TD(d * u * s * (1.0 + g * (1.0 - s)));
      dgu[gi + j + p.F] = TD(d * g * s);
    }
  }
}
