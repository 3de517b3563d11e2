// cast.wgsl: dst[i] = DST(src[i]) over n elements, between f32 and f16 (the float16 copies of
// mixed precision: weights before the matmuls, activations between them). SRC and DST are
// aliases prepended by lib/gpu/wgsl.ts (typeAliases). f32 -> f16 rounds to nearest even on the
// adapters tested (lavapipe); values past the f16 range become ±inf, as in torch's .half().
// Workgroup counts above the 1-D limit fold into y: index = x + y * num_workgroups.x * WG.
override WG: u32 = 256;

struct Params { n: u32 }

@group(0) @binding(0) var<storage, read> src: array<SRC>;
@group(0) @binding(1) var<storage, read_write> dst: array<DST>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn cast_elements(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i < p.n) { dst[i] = DST(src[i]); }
}
