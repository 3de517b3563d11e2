// rmsnorm_bwd.wgsl: backward of weightless RMSNorm (see rmsnorm.wgsl), from the saved output:
//   with y = x * r:  dx[n,d] = r * (dy[n,d] - y[n,d] * mean_d(dy[n,:] * y[n,:]))
// rmsnorm_bwd: dy [N, D], y [N, D], rstd [N] (read) -> dx [N, D]; params { N, D }.
// Same row/thread geometry and overrides as rmsnorm_fwd (separate file because an auto layout
// keeps only the bindings an entry uses, and this one uses four storage buffers, not three).
override WG: u32 = 64;   // threads per workgroup
override TPR: u32 = 64;  // threads per row (power of two, <= WG)

struct Params { N: u32, D: u32 }

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> rstd: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

var<workgroup> part: array<f32, WG>;

@compute @workgroup_size(WG)
fn rmsnorm_bwd(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = (wid.x + wid.y * nwg.x) * (WG / TPR) + lid / TPR;
  let lane = lid % TPR;
  let live = row < p.N;
  let base = row * p.D;
  var dot = 0.0;
  if (live) {
    for (var c = lane; c < p.D; c += TPR) {
      dot += dy[base + c] * y[base + c];
    }
  }
  if (TPR > 1u) {
    part[lid] = dot;
    workgroupBarrier();
    for (var s = TPR / 2u; s > 0u; s >>= 1u) {
      if (lane < s) { part[lid] += part[lid + s]; }
      workgroupBarrier();
    }
    dot = part[lid - lane];
  }
  if (live) {
    let r = rstd[row];
    let m = dot / f32(p.D);
    for (var c = lane; c < p.D; c += TPR) {
      dx[base + c] = r * (dy[base + c] - y[base + c] * m);
    }
  }
}
