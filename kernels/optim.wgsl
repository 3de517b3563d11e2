// optim.wgsl: AdamATan2 (pip `adam-atan2`, imoneoi; models/pretrain.py uses it for every model
// parameter) over flat f32 buffers, one invocation per element:
//   p <- p * wd_factor                          wd_factor = 1 - lr * weight_decay
//   m <- b1 * m + (1 - b1) * g
//   v <- b2 * v + (1 - b2) * g²
//   p <- p - step_size * atan2(m / m_div, sqrt(v) / bc2_sqrt)
// with bc2_sqrt = sqrt(1 - b2^t) and either the golden-fixture form (step_size = lr,
// m_div = 1 - b1^t) or the CUDA package's form (step_size = lr / (1 - b1^t), m_div = 1); the
// wrapper picks by uniforms, the code is the same. No epsilon: atan2 is bounded. atan2(0, 0) is
// taken as 0 explicitly (WGSL leaves it unspecified), so a zero-gradient entry only decays.
// g = grads * grad_scale undoes a static loss scale (float16 mixed precision); 1 otherwise.
// Bindings: 0 grads [n], 1 params [n], 2 m [n], 3 v [n] (1-3 read_write), 4 uniform.
// Workgroup counts over the 1-D limit fold into y: index = x + y * num_workgroups.x * WG.
override WG: u32 = 64;

struct Params {
  n: u32,
  step_size: f32,
  m_div: f32,
  bc2_sqrt: f32,
  wd_factor: f32,
  b1: f32,
  b2: f32,
  one_minus_b1: f32,
  one_minus_b2: f32,
  grad_scale: f32,
}

@group(0) @binding(0) var<storage, read> grads: array<f32>;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<uniform> u: Params;

@compute @workgroup_size(WG)
fn adam_atan2(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= u.n) { return; }
  let g = grads[i] * u.grad_scale;
  let mi = u.b1 * m[i] + u.one_minus_b1 * g;
  let vi = u.b2 * v[i] + u.one_minus_b2 * g * g;
  m[i] = mi;
  v[i] = vi;
  let num = mi / u.m_div;
  let den = sqrt(vi) / u.bc2_sqrt;
  let angle = select(atan2(num, den), 0.0, num == 0.0);
  params[i] = params[i] * u.wd_factor - u.step_size * angle;
}
