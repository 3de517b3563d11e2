// optim_sign_sgd.wgsl: SignSGD with decoupled weight decay for the sparse puzzle embedding
// (models/sparse_embedding.py `_sparse_emb_signsgd_dist`, world size 1):
//   G[id] = Σ_{b : ids[b] = id} grad[b]       (torch: unique ids, then scatter_add_)
//   W[id] <- W[id] * (1 - lr * wd) - lr * sign(G[id])      for each id in the batch
// Rows not in the batch are untouched (no decay). One invocation per (b, d): it returns unless b
// is the first batch row holding its id, then sums the grads of that id over b' >= b in
// ascending order and is the only writer of W[id, d]: deterministic, no atomics. Cost is
// O(B² · Dp) id comparisons (B = 768, Dp = 512 in HRM: a fraction of a millisecond on a GPU).
// An id outside [0, num_ids) is skipped. sign(0) = 0, so an id whose summed grad is 0 only decays.
// Bindings: 0 ids [B] i32, 1 grad [B, Dp] f32, 2 W [num_ids, Dp] f32 (read_write), 3 params.
override WG: u32 = 64;

struct Params { b: u32, dp: u32, num_ids: u32, lr: f32, wd_factor: f32 }

@group(0) @binding(0) var<storage, read> ids: array<i32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> w: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn sign_sgd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.b * p.dp) { return; }
  let b = i / p.dp;
  let col = i - b * p.dp;
  let id = ids[b];
  if (id < 0 || u32(id) >= p.num_ids) { return; }
  for (var k = 0u; k < b; k++) {
    if (ids[k] == id) { return; }
  }
  var g = 0.0;
  for (var k = b; k < p.b; k++) {
    if (ids[k] == id) { g += grad[k * p.dp + col]; }
  }
  let j = u32(id) * p.dp + col;
  w[j] = w[j] * p.wd_factor - p.lr * sign(g);
}
