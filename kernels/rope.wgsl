// rope.wgsl: rotary position embedding, rotate-half form (models/layers.py apply_rotary_pos_emb),
// IN PLACE on the q and k heads of a packed qkv [B, T, 3*NH*HD] = [q heads | k heads | v heads]
// (each head HD contiguous values). Element j pairs with j + HD/2 (h = HD/2, t = position):
//   rope_fwd:  y_j     = x_j cos[t,j]         - x_{j+h} sin[t,j]
//              y_{j+h} = x_{j+h} cos[t,j+h]   + x_j sin[t,j+h]
//   rope_bwd (the transpose, applied to dq and dk):
//              dx_j     = dy_j cos[t,j]       + dy_{j+h} sin[t,j+h]
//              dx_{j+h} = dy_{j+h} cos[t,j+h] - dy_j sin[t,j]
// Bindings: qkv [B, T, 3*NH*HD] (read_write), cos [>=T, HD], sin [>=T, HD] (read);
// params { n = B*T*NH*HD (= B*T * 2*NH heads * HD/2 pairs), T, NH, HD }.
// One invocation per (row, q/k head, pair): v heads are never touched. Launches are folded into
// [x, y]; index = gid.x + gid.y * nwg.x * WG.
override WG: u32 = 256;

struct Params { n: u32, T: u32, NH: u32, HD: u32 }

@group(0) @binding(0) var<storage, read_write> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> cos_t: array<f32>;
@group(0) @binding(2) var<storage, read> sin_t: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

struct Pair { a: u32, b: u32, ta: u32, tb: u32 }

// Buffer indices of the pair (x_j, x_{j+h}) and their table entries.
fn pair_at(i: u32) -> Pair {
  let half = p.HD / 2u;
  let j = i % half;
  let rest = i / half;
  let head = rest % (2u * p.NH);
  let row = rest / (2u * p.NH);
  let base = row * 3u * p.NH * p.HD + head * p.HD + j;
  let tbase = (row % p.T) * p.HD + j;
  return Pair(base, base + half, tbase, tbase + half);
}

@compute @workgroup_size(WG)
fn rope_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let e = pair_at(i);
  let x1 = qkv[e.a];
  let x2 = qkv[e.b];
  qkv[e.a] = x1 * cos_t[e.ta] - x2 * sin_t[e.ta];
  qkv[e.b] = x2 * cos_t[e.tb] + x1 * sin_t[e.tb];
}

@compute @workgroup_size(WG)
fn rope_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let e = pair_at(i);
  let d1 = qkv[e.a];
  let d2 = qkv[e.b];
  qkv[e.a] = d1 * cos_t[e.ta] + d2 * sin_t[e.tb];
  qkv[e.b] = d2 * cos_t[e.tb] - d1 * sin_t[e.ta];
}
