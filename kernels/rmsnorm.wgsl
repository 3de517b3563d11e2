// rmsnorm.wgsl: weightless RMSNorm, HRM's post-norm (models/layers.py rms_norm, in f32):
//   rstd[n] = 1 / sqrt(mean_d(x[n,d]^2) + eps),   y[n,d] = x[n,d] * rstd[n]
// rmsnorm_fwd: x [N, D] (read) -> y [N, D], rstd [N]; params { N, D, eps }.
// Each row is reduced by TPR threads (a power of two dividing WG): TPR = 1 is a thread per row
// (no barriers: best on llvmpipe, where barriers and workgroup memory are slow), TPR = WG is a
// workgroup per row (coalesced loads for real GPUs). Rows are [x, y]-folded: the workgroup index is
// wid.x + wid.y * nwg.x and it covers WG / TPR rows.
override WG: u32 = 64;   // threads per workgroup
override TPR: u32 = 64;  // threads per row (power of two, <= WG)

struct Params { N: u32, D: u32, eps: f32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

var<workgroup> part: array<f32, WG>;

@compute @workgroup_size(WG)
fn rmsnorm_fwd(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  // No early return: rows past N still reach the barriers, they just load and store nothing.
  let row = (wid.x + wid.y * nwg.x) * (WG / TPR) + lid / TPR;
  let lane = lid % TPR;
  let live = row < p.N;
  let base = row * p.D;
  var ss = 0.0;
  if (live) {
    for (var c = lane; c < p.D; c += TPR) {
      let v = x[base + c];
      ss += v * v;
    }
  }
  if (TPR > 1u) {
    part[lid] = ss;
    workgroupBarrier();
    for (var s = TPR / 2u; s > 0u; s >>= 1u) {
      if (lane < s) { part[lid] += part[lid + s]; }
      workgroupBarrier();
    }
    ss = part[lid - lane];
  }
  let r = inverseSqrt(ss / f32(p.D) + p.eps);
  if (live) {
    for (var c = lane; c < p.D; c += TPR) {
      y[base + c] = x[base + c] * r;
    }
    if (lane == 0u) { rstd[row] = r; }
  }
}
