// rmsnorm_bwd.wgsl: backward of rmsnorm.wgsl from the saved output, with a second incoming
// gradient added first (the block's residual branch, d(h) = d(rms(...)) + d(next sublayer)):
//   g[n,d] = dy[n,d] + dy2[n,d]  (EXTRA; else g = dy)
//   with y = v * r:  dv[n,d] = r * (g[n,d] - y[n,d] * mean_d(g[n,:] * y[n,:]))
// dv is the gradient of both summands of v = x + res.
// rmsnorm_bwd: dy [N, D], dy2 [N, D] (bind dy again when !EXTRA), y [N, D], rstd [N] (read)
// -> dx [N, D]; params { N, D }. Row geometry (WG, TPR) from row_reduce.wgsl. TY (y's element
// type, f32 or f16: float16 mixed precision saves the norm outputs in f16) is an alias prepended
// by lib/gpu/wgsl.ts (typeAliases); the statistics and arithmetic are f32.
override EXTRA: bool = false;

struct Params { N: u32, D: u32 }

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> dy2: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<TY>;
@group(0) @binding(3) var<storage, read> rstd: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

fn grad_at(i: u32) -> f32 {
  if (EXTRA) { return dy[i] + dy2[i]; }
  return dy[i];
}

@compute @workgroup_size(WG)
fn rmsnorm_bwd(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = row_index(wid, nwg, lid);
  let lane = lid % TPR;
  let live = row < p.N;
  let base = row * p.D;
  var dot = 0.0;
  if (live) {
    for (var c = lane; c < p.D; c += TPR) {
      dot += grad_at(base + c) * f32(y[base + c]);
    }
  }
  let m = row_sum(dot, lid) / f32(p.D);
  if (live) {
    let r = rstd[row];
    for (var c = lane; c < p.D; c += TPR) {
      dx[base + c] = r * (grad_at(base + c) - f32(y[base + c]) * m);
    }
  }
}
