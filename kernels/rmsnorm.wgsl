// rmsnorm.wgsl: weightless RMSNorm, HRM's post-norm (models/layers.py rms_norm, in f32), with the
// residual add before it fused in (the block's rms(h + sublayer(h))):
//   v[n,d] = x[n,d] + res[n,d]  (RESIDUAL; else v = x)
//   rstd[n] = 1 / sqrt(mean_d(v[n,d]^2) + eps),   y[n,d] = v[n,d] * rstd[n]
// rmsnorm_fwd: x [N, D], res [N, D] (read; bind x again when !RESIDUAL) -> y [N, D], rstd [N];
// params { N, D, eps }. Row geometry (WG, TPR) from row_reduce.wgsl. The first pass stores v into
// y, the second scales it, so x and res are read once.
override RESIDUAL: bool = false;

struct Params { N: u32, D: u32, eps: f32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> res: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn rmsnorm_fwd(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  // No early return: rows past N still reach the barriers, they just load and store nothing.
  let row = row_index(wid, nwg, lid);
  let lane = lid % TPR;
  let live = row < p.N;
  let base = row * p.D;
  var ss = 0.0;
  if (live) {
    for (var c = lane; c < p.D; c += TPR) {
      var v = x[base + c];
      if (RESIDUAL) { v += res[base + c]; }
      y[base + c] = v;
      ss += v * v;
    }
  }
  let r = inverseSqrt(row_sum(ss, lid) / f32(p.D) + p.eps);
  if (live) {
    for (var c = lane; c < p.D; c += TPR) {
      y[base + c] = y[base + c] * r;
    }
    if (lane == 0u) { rstd[row] = r; }
  }
}
