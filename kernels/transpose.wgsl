// transpose.wgsl: swaps the last two axes of a batched tensor, the layout change around TRM's
// mlp_t sub-layer (h.transpose(1, 2): [B, T, D] <-> [B, D, T]); its backward is the same swap.
// transpose: x [B, R, C] -> y [B, C, R]; params { B, R, C }. One invocation per output element,
// folded into [x, y]: index = gid.x + gid.y * nwg.x * WG.
override WG: u32 = 256;

struct Params { B: u32, R: u32, C: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn transpose(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = gid.x + gid.y * nwg.x * WG;
  if (k >= p.B * p.R * p.C) { return; }
  let rc = p.R * p.C;
  let b = k / rc;
  let j = k % rc;   // y index inside the batch: c * R + r
  let c = j / p.R;
  let r = j % p.R;
  y[k] = x[b * rc + r * p.C + c];
}
