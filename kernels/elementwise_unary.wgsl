// elementwise_unary.wgsl: flat in-place-capable ops with one input (separate file because an
// auto layout keeps only the bindings an entry uses, and these use two, not three).
// add_scaled: out = out + s * a     scale: out = s * a     fill: out = s (a unused)
override WG: u32 = 256;

struct Params { n: u32, m: u32, s: f32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(WG)
fn add_scaled(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i < p.n) { out[i] = out[i] + p.s * a[i]; }
}

@compute @workgroup_size(WG)
fn scale(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i < p.n) { out[i] = p.s * a[i]; }
}
