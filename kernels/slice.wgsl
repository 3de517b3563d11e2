// slice.wgsl: strided block copy between batched tensors, the one op behind sequence slicing,
// concatenation and their backward passes (see lib/ops/slice.ts).
// copy_rows: for b < nb, i < len:
//   dst[b*dst_stride + dst_start + i] (+)= scale * src[b*src_stride + src_start + i]
// src, dst: flat f32 arrays. ACCUMULATE adds instead of overwriting (gradient scatter).
override WG: u32 = 256;
override ACCUMULATE: bool = false;

struct Params {
  nb: u32,
  len: u32,
  src_stride: u32,
  src_start: u32,
  dst_stride: u32,
  dst_start: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn copy_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = gid.x + gid.y * nwg.x * WG;
  if (k >= p.nb * p.len) { return; }
  let b = k / p.len;
  let i = k % p.len;
  let v = p.scale * src[b * p.src_stride + p.src_start + i];
  let j = b * p.dst_stride + p.dst_start + i;
  if (ACCUMULATE) { dst[j] = dst[j] + v; } else { dst[j] = v; }
}
