// losses_count.wgsl: valid[b] = #{t : 0 <= labels[b, t] < V}, the per-row divisor of the LM loss
// (models/losses.py ACTLossHead: loss_counts = (labels != IGNORE_LABEL_ID).sum(-1)). Runs before
// losses.wgsl, whose gradient needs 1 / max(1, valid[b]). One invocation per row.
// Bindings: 0 labels [B*S] i32, 1 valid [B] f32 (out), 2 params.
override WG: u32 = 64;

struct Params { b: u32, s: u32, v: u32 }

@group(0) @binding(0) var<storage, read> labels: array<i32>;
@group(0) @binding(1) var<storage, read_write> valid: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn lm_loss_count(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = gid.x + gid.y * nwg.x * WG;
  if (b >= p.b) { return; }
  var n = 0u;
  for (var t = 0u; t < p.s; t++) {
    let label = labels[b * p.s + t];
    if (label >= 0 && u32(label) < p.v) { n++; }
  }
  valid[b] = f32(n);
}
