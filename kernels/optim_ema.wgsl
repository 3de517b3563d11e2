// optim_ema.wgsl: the exponential moving average of the weights (TRM's models/ema.py
// EMAHelper.update), after every optimizer step, one invocation per element:
//   shadow <- (1 - rate) * param + rate * shadow
// Bindings: 0 params [n] (read), 1 shadow [n] (read_write), 2 uniform.
// Workgroup counts over the 1-D limit fold into y: index = x + y * num_workgroups.x * WG.
override WG: u32 = 64;

struct Params { n: u32, rate: f32, one_minus_rate: f32 }

@group(0) @binding(0) var<storage, read> params: array<f32>;
@group(0) @binding(1) var<storage, read_write> shadow: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn ema(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  shadow[i] = p.one_minus_rate * params[i] + p.rate * shadow[i];
}
