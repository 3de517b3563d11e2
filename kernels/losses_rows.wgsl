// losses_rows.wgsl: per-row reduction of the fused LM loss (models/losses.py ACTLossHead):
//   loss[b]       = Σ_t tok[b, t] / max(1, valid[b])       (per-sequence mean CE, unscaled)
//   correct[b]    = Σ_t tok[BS + b*S + t]                  (#valid tokens with argmax == label)
//   seq_correct[b] = correct[b] == valid[b] ? 1 : 0        (1 for a row without valid labels)
// The CE sum runs over blocks of 32 tokens, summing each block then adding the block sums, so
// rounding grows with ~32 + S/32 terms rather than S (S is 900 for Maze/ARC). Counts are exact.
// One invocation per row.
// Bindings: 0 tok [2*B*S] f32, 1 valid [B] f32, 2 loss [B], 3 correct [B], 4 seq_correct [B]
//           (all f32 out), 5 params.
override WG: u32 = 64;

struct Params { b: u32, s: u32 }

@group(0) @binding(0) var<storage, read> tok: array<f32>;
@group(0) @binding(1) var<storage, read> valid: array<f32>;
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;
@group(0) @binding(3) var<storage, read_write> correct: array<f32>;
@group(0) @binding(4) var<storage, read_write> seq_correct: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

const BLOCK: u32 = 32u;

@compute @workgroup_size(WG)
fn lm_loss_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = gid.x + gid.y * nwg.x * WG;
  if (b >= p.b) { return; }
  let bs = p.b * p.s;
  let row = b * p.s;
  var sum = 0.0;
  var hits = 0.0;
  for (var t0 = 0u; t0 < p.s; t0 += BLOCK) {
    var part = 0.0;
    let end = min(p.s, t0 + BLOCK);
    for (var t = t0; t < end; t++) {
      part += tok[row + t];
      hits += tok[bs + row + t];
    }
    sum += part;
  }
  let n = valid[b];
  loss[b] = sum / max(1.0, n);
  correct[b] = hits;
  seq_correct[b] = select(0.0, 1.0, hits == n);
}
