// losses_bce.wgsl: binary cross-entropy with logits, per element (torch
// F.binary_cross_entropy_with_logits with reduction "none"; ACTLossHead sums it for q_halt_loss and
// q_continue_loss):
//   loss[i]    = max(x, 0) - x * t + log(1 + exp(-|x|))
//   dlogits[i] = grad_scale * (sigmoid(x) - t)
// log(1 + e) uses a series for small e, where 1 + e would drop e's low bits; sigmoid is formed
// from exp(-|x|) so it never overflows.
// Bindings: 0 logits [n], 1 targets [n], 2 loss [n] (out), 3 dlogits [n] (out), 4 params.
override WG: u32 = 64;

struct Params { n: u32, grad_scale: f32 }

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<f32>;
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;
@group(0) @binding(3) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

fn log1p_pos(r: f32) -> f32 {
  if (r < 0.05) {
    return r * (1.0 - r * (0.5 - r * (1.0 / 3.0 - r * (0.25 - r * (0.2 - r * (1.0 / 6.0))))));
  }
  return log(1.0 + r);
}

@compute @workgroup_size(WG)
fn bce_logits(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let x = logits[i];
  let t = targets[i];
  let e = exp(-abs(x));
  loss[i] = max(x, 0.0) - x * t + log1p_pos(e);
  let sig = select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
  dlogits[i] = p.grad_scale * (sig - t);
}
