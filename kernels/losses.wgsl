// losses.wgsl: ACTLossHead's losses and per-row metrics in one pass (models/losses.py: the LM loss
// `stablemax_cross_entropy` / `softmax_cross_entropy` with its argmax metrics, and the binary
// cross-entropy of the Q heads), with the gradients of both.
//
// One workgroup per row b (row = wid.x + wid.y * nwg.x), its threads striding over the row's S
// tokens, each token looping over V (HRM: V = 6..12):
//   valid        = #{t : 0 <= labels[b, t] < V}                 (loss_counts; a workgroup sum)
//   preds[b, t]  = argmax_v logits[b, t, v] (first maximum wins, as torch.argmax)
//   dlogits[b,t] = grad_scale / max(1, valid) * dCE/dlogits     (when want_grad == 1)
//   rows[0, b]   = Σ_t CE(logits[b, t], labels[b, t]) / max(1, valid)   (per-sequence mean CE)
//   rows[1, b]   = #valid tokens with argmax == label;  rows[2, b] = valid
//   rows[3, b]   = seq_correct = (rows[1, b] == valid)              (1 for a row without labels)
//   rows[4, b]   = BCE(q_halt[b], seq_correct)
//   rows[5, b]   = BCE(q_continue[b], target[b]) when has_target, else 0
//   dq[b, 0..1]  = q_scale * (sigmoid(q) - target) of both (0 for q_continue without a target)
// A label is valid iff 0 <= label < V (the reference's ignore id is -100; any other out-of-range
// label would make torch.gather fail, here it is ignored too). Each thread sums its tokens, then
// the workgroup adds the partial sums as a tree, so rounding grows with ~S/WG + log2(WG) terms.
//
// Stablemax (STABLEMAX = true): s(x) = x >= 0 ? x + 1 : 1 / (1 - x)  (the reference's +1e-30 is
// below f32 and f64 resolution next to 1 - x >= 1); CE = -log(s_y / Σ s). Not shift-invariant,
// so nothing is subtracted. With rest = Σ_{j != y} s_j (summed separately, which avoids the
// cancellation in Σ s - s_y):  CE = log1p(rest / s_y);
//   dCE/dx_j = s'(x_j) / Σ s  (j != y),   dCE/dx_y = -s'(x_y) * rest / (Σ s * s_y),
//   s'(x) = 1 for x >= 0, s(x)² for x < 0.
// Softmax (STABLEMAX = false): e_j = exp(x_j - max); CE = log1p(rest / e_y) while e_y dominates,
// else log(Σ e) - (x_y - max); dCE/dx_j = e_j / Σ e,  dCE/dx_y = -rest / Σ e.
// BCE with logits (torch F.binary_cross_entropy_with_logits): max(x, 0) - x t + log(1 + e^-|x|),
// gradient sigmoid(x) - t; log(1 + e) by a series where 1 + e would drop e's low bits.
//
// Bindings: 0 logits [B*S*V] f32, 1 labels [B*S] i32, 2 q_halt [B], 3 q_continue [B],
//           4 target [B] (a 1-element dummy without one), 5 dlogits [B*S*V] (out; a 1-element
//           dummy when want_grad == 0), 6 preds [B*S] i32 (out), 7 rows [6*B] (out),
//           8 dq [B*2] (out; a dummy when want_grad == 0), 9 params.
// Constants: WG threads per workgroup (a power of two); STABLEMAX picks the loss.
override WG: u32 = 64;
override STABLEMAX: bool = true;

struct Params {
  b: u32,
  s: u32,
  v: u32,
  want_grad: u32,
  has_target: u32,
  grad_scale: f32,
  q_scale: f32,
}

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read> q_halt: array<f32>;
@group(0) @binding(3) var<storage, read> q_continue: array<f32>;
@group(0) @binding(4) var<storage, read> q_target: array<f32>;
@group(0) @binding(5) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(6) var<storage, read_write> preds: array<i32>;
@group(0) @binding(7) var<storage, read_write> rows: array<f32>;
@group(0) @binding(8) var<storage, read_write> dq: array<f32>;
@group(0) @binding(9) var<uniform> p: Params;

var<workgroup> red: array<vec2<f32>, WG>;

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

// BCE with logits of x against t, and sigmoid(x) - t.
fn bce(x: f32, t: f32) -> vec2<f32> {
  let e = exp(-abs(x));
  let sig = select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
  return vec2<f32>(max(x, 0.0) - x * t + log1p_pos(e), sig - t);
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

// Sums `v` over the workgroup; every thread gets the total.
fn workgroup_sum(lid: u32, v: vec2<f32>) -> vec2<f32> {
  red[lid] = v;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k = k / 2u) {
    if (lid < k) { red[lid] += red[lid + k]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(WG)
fn act_loss(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid3: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let b = wid.x + wid.y * nwg.x;
  // Uniform per workgroup: the whole group leaves together (barriers follow).
  if (b >= p.b) { return; }
  let lid = lid3.x;
  let row = b * p.s;

  var n = 0.0;
  for (var t = lid; t < p.s; t += WG) {
    let label = labels[row + t];
    if (label >= 0 && u32(label) < p.v) { n += 1.0; }
  }
  let valid = workgroup_sum(lid, vec2<f32>(n, 0.0)).x;
  let k = p.grad_scale / max(1.0, valid);

  var ce_sum = 0.0;
  var hits = 0.0;
  for (var t = lid; t < p.s; t += WG) {
    let i = row + t;
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
    // y = 0 for an ignored label keeps the loop in range; its terms are not used.
    let y = select(0u, u32(label), ok);
    let terms = loss_terms(base, y, best);
    let rest = terms.x;
    let wy = terms.y;
    let total = rest + wy;
    if (ok) {
      if (rest <= wy) {
        ce_sum += log1p_pos(rest / wy);
      } else if (STABLEMAX) {
        ce_sum += log(total / wy);
      } else {
        ce_sum += log(total) - (logits[base + y] - best);
      }
      if (arg == y) { hits += 1.0; }
    }

    if (p.want_grad != 0u) {
      let kk = select(0.0, k, ok);
      let inv = 1.0 / total;
      for (var j = 0u; j < p.v; j++) {
        let x = logits[base + j];
        var g: f32;
        if (STABLEMAX) {
          if (j == y) { g = -ds_of(x) * rest / (total * wy); } else { g = ds_of(x) * inv; }
        } else {
          if (j == y) { g = -rest * inv; } else { g = exp(x - best) * inv; }
        }
        dlogits[base + j] = kk * g;
      }
    }
  }
  let sums = workgroup_sum(lid, vec2<f32>(ce_sum, hits));
  if (lid != 0u) { return; }

  let seq = select(0.0, 1.0, sums.y == valid);
  let halt = bce(q_halt[b], seq);
  var cont = vec2<f32>(0.0, 0.0);
  if (p.has_target != 0u) { cont = bce(q_continue[b], q_target[b]); }
  rows[b] = sums.x / max(1.0, valid);
  rows[p.b + b] = sums.y;
  rows[2u * p.b + b] = valid;
  rows[3u * p.b + b] = seq;
  rows[4u * p.b + b] = halt.x;
  rows[5u * p.b + b] = cont.x;
  if (p.want_grad != 0u) {
    dq[2u * b] = p.q_scale * halt.y;
    dq[2u * b + 1u] = select(0.0, p.q_scale * cont.y, p.has_target != 0u);
  }
}
