// elementwise.wgsl: flat elementwise ops over n elements.
// add:        out = a + b                      a, b, out [n]
// add_scaled: out = out + s * a                a, out [n]     (gradient accumulation, residuals)
// scale:      out = s * a                      a, out [n]
// mul:        out = a * b                      a, b, out [n]
// fill:       out = s                          out [n]
// add_rows:   out[r, j] = a[r, j] + b[j]       a, out [n = rows*m], b [m]   (H_init/L_init broadcast)
// Workgroup counts above the 1-D limit are folded into y; index = x + y * (num_workgroups.x * WG).
override WG: u32 = 256;

struct Params { n: u32, m: u32, s: f32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(WG)
fn add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i < p.n) { out[i] = a[i] + b[i]; }
}

@compute @workgroup_size(WG)
fn mul(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i < p.n) { out[i] = a[i] * b[i]; }
}

@compute @workgroup_size(WG)
fn add_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i < p.n) { out[i] = a[i] + b[i % p.m]; }
}
