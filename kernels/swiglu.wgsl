// swiglu.wgsl: HRM's SwiGLU activation (models/layers.py SwiGLU: gate, up = chunk(x W_gu^T, 2)):
//   h[n, f] = silu(g) * u,  silu(g) = g * sigmoid(g),  g = gu[n, f], u = gu[n, F + f]
// swiglu_fwd: gu [N, 2F] (read; first half gate, second half up) -> h [N, F]; params { N, F }.
// A 2-D grid, so no invocation divides by F (a per-lane scalar division on llvmpipe): x covers
// columns, 4 per invocation, y covers rows, folded into z past the 65535 limit
// (row = wid.y + wid.z * nwg.y). sigmoid(g) = 1 / (1 + exp(-g)) saturates to exactly 0 or 1
// (exp overflows to +inf, 1/inf = 0), so no input gives NaN.
// TG and TH (gu's and h's element types, f32 or f16: float16 mixed precision stores both in f16)
// are aliases prepended by lib/gpu/wgsl.ts (typeAliases); the arithmetic is f32.
override WG: u32 = 64;

struct Params { N: u32, F: u32 }

@group(0) @binding(0) var<storage, read> gu: array<TG>;
@group(0) @binding(1) var<storage, read_write> h: array<TH>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn swiglu_fwd(
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
      h[hi + j] = TH(g / (1.0 + exp(-g)) * f32(gu[gi + j + p.F]));
    }
  }
}
