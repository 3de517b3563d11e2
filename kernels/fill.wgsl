// fill.wgsl: out[i] = bits for i < n, as raw 32-bit words so one kernel fills f32, i32 and u32.
override WG: u32 = 256;

struct Params { n: u32, bits: u32 }

@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i < p.n) { out[i] = p.bits; }
}
