// losses.wgsl: per-token stage of the fused LM loss (models/losses.py `stablemax_cross_entropy`,
// `softmax_cross_entropy`, and the argmax/`is_correct` metrics of ACTLossHead.forward).
//
// One invocation per token i = b*S + t, looping over V (HRM: V = 6..12):
//   preds[i]    = argmax_v logits[i, v] (first maximum wins, as torch.argmax)
//   tok[i]      = CE(logits[i], label[i])          (0 for an ignored label)
//   tok[BS + i] = 1 if valid and preds[i] == label[i] else 0
//   dlogits[i]  = grad_scale / max(1, valid[b]) * dCE/dlogits[i]   (when want_grad == 1)
// A label is valid iff 0 <= label < V (the reference's ignore id is -100; any other out-of-range
// label would make torch.gather fail, here it is ignored, matching losses_count.wgsl).
//
// Stablemax (STABLEMAX = true): s(x) = x >= 0 ? x + 1 : 1 / (1 - x)  (the reference's +1e-30 is
// below f32 and f64 resolution next to 1 - x >= 1); CE = -log(s_y / Σ s). Not shift-invariant,
// so nothing is subtracted. With rest = Σ_{j != y} s_j (summed separately, which avoids the
// cancellation in Σ s - s_y):  CE = log1p(rest / s_y);
//   dCE/dx_j = s'(x_j) / Σ s  (j != y),   dCE/dx_y = -s'(x_y) * rest / (Σ s * s_y),
//   s'(x) = 1 for x >= 0, s(x)² for x < 0.
// Softmax (STABLEMAX = false): e_j = exp(x_j - max); CE = log1p(rest / e_y) while e_y dominates,
// else log(Σ e) - (x_y - max); dCE/dx_j = e_j / Σ e,  dCE/dx_y = -rest / Σ e.
//
// Bindings: 0 logits [B*S*V] f32, 1 labels [B*S] i32, 2 valid [B] f32 (from losses_count),
//           3 tok [2*B*S] f32 (out), 4 preds [B*S] i32 (out), 5 dlogits [B*S*V] f32 (out; a
//           1-element dummy when want_grad == 0), 6 params.
// Constants: WG threads per workgroup; STABLEMAX picks the loss.
override WG: u32 = 64;
override STABLEMAX: bool = true;

struct Params { b: u32, s: u32, v: u32, want_grad: u32, grad_scale: f32 }

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read> valid: array<f32>;
@group(0) @binding(3) var<storage, read_write> tok: array<f32>;
@group(0) @binding(4) var<storage, read_write> preds: array<i32>;
@group(0) @binding(5) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

fn s_of(x: f32) -> f32 {
  return select(1.0 / (1.0 - min(x, 0.0)), x + 1.0, x >= 0.0);
}

// d s / d x
fn ds_of(x: f32) -> f32 {
  let s = 1.0 / (1.0 - min(x, 0.0));
  return select(s * s, 1.0, x >= 0.0);
}

// log(1 + r) for r >= 0: a series where 1 + r would lose r's low bits.
fn log1p_pos(r: f32) -> f32 {
  if (r < 0.05) {
    return r * (1.0 - r * (0.5 - r * (1.0 / 3.0 - r * (0.25 - r * (0.2 - r * (1.0 / 6.0))))));
  }
  return log(1.0 + r);
}

// Σ_{j != y} w(x_j) and w(x_y) for the token at `base`: w = s (stablemax) or exp(x - mx).
fn loss_terms(base: u32, y: u32, mx: f32) -> vec2<f32> {
  var rest = 0.0;
  var wy = 0.0;
  for (var j = 0u; j < p.v; j++) {
    let x = logits[base + j];
    var w: f32;
    if (STABLEMAX) { w = s_of(x); } else { w = exp(x - mx); }
    if (j == y) { wy = w; } else { rest += w; }
  }
  return vec2<f32>(rest, wy);
}

@compute @workgroup_size(WG)
fn lm_loss_tok(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  let bs = p.b * p.s;
  if (i >= bs) { return; }
  let b = i / p.s;
  let base = i * p.v;

  var best = logits[base];
  var arg = 0u;
  for (var j = 1u; j < p.v; j++) {
    let x = logits[base + j];
    if (x > best) { best = x; arg = j; }
  }
  preds[i] = i32(arg);

  let label = labels[i];
  let ok = label >= 0 && u32(label) < p.v;
  let y = select(0u, u32(label), ok);
  // rest/wy, for the true label only when valid (y = 0 otherwise keeps the loop in range).
  let t = loss_terms(base, y, best);
  let rest = t.x;
  let wy = t.y;
  let total = rest + wy;

  var ce = 0.0;
  if (ok) {
    if (rest <= wy) {
      ce = log1p_pos(rest / wy);
    } else if (STABLEMAX) {
      ce = log(total / wy);
    } else {
      ce = log(total) - (logits[base + y] - best);
    }
  }
  tok[i] = ce;
  tok[bs + i] = select(0.0, 1.0, ok && arg == y);

  if (p.want_grad == 0u) { return; }
  let k = select(0.0, p.grad_scale / max(1.0, valid[b]), ok);
  let inv = 1.0 / total;
  for (var j = 0u; j < p.v; j++) {
    let x = logits[base + j];
    var g: f32;
    if (STABLEMAX) {
      if (j == y) { g = -ds_of(x) * rest / (total * wy); } else { g = ds_of(x) * inv; }
    } else {
      if (j == y) { g = -rest * inv; } else { g = exp(x - best) * inv; }
    }
    dlogits[base + j] = k * g;
  }
}
