// elementwise_add3.wgsl: out = a + (b + c) over n elements, in that order: HRM's L input
// z_L + (z_H + x) (the reference adds the injection z_H + x first, then the state), one pass
// instead of two adds. (Separate file: an auto layout keeps only the bindings an entry uses, and
// this one uses four.) Workgroup counts above the 1-D limit fold into y.
override WG: u32 = 256;

struct Params { n: u32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> c: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn add3(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i < p.n) { out[i] = a[i] + (b[i] + c[i]); }
}
