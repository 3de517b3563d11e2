// rope.wgsl: rotary position embedding, rotate-half form (models/layers.py apply_rotary_pos_emb),
// IN PLACE on the q and k heads of a packed qkv [B, T, 3*NH*HD] = [q heads | k heads | v heads]
// (each head HD contiguous values). Element j pairs with j + HD/2 (h = HD/2, t = position):
//   rope_fwd:  y_j     = x_j cos[t,j]         - x_{j+h} sin[t,j]
//              y_{j+h} = x_{j+h} cos[t,j+h]   + x_j sin[t,j+h]
//   rope_bwd (the transpose, applied to dq and dk):
//              dx_j     = dy_j cos[t,j]       + dy_{j+h} sin[t,j+h]
//              dx_{j+h} = dy_{j+h} cos[t,j+h] - dy_j sin[t,j]
// Bindings: qkv [B, T, 3*NH*HD] (read_write), cos [>=T, HD], sin [>=T, HD] (read);
// params { B, T, NH }; HD is an override (a constant divisor: llvmpipe divides per lane otherwise).
// A 3-D grid: x = (q/k head, pair) over 2*NH*HD/2 = NH*HD, y = position t, z = batch row b, so
// no index needs a division by a runtime value; v heads are never touched.
override WG: u32 = 64;
override HD: u32 = 16;

struct Params { B: u32, T: u32, NH: u32 }

@group(0) @binding(0) var<storage, read_write> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> cos_t: array<f32>;
@group(0) @binding(2) var<storage, read> sin_t: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

struct Pair { a: u32, b: u32, ta: u32, tb: u32, live: bool }

// Buffer indices of the pair (x_j, x_{j+h}) and their table entries.
fn pair_at(gid: vec3<u32>) -> Pair {
  let half = HD / 2u;
  let head = gid.x / half;
  let j = gid.x % half;
  let t = gid.y;
  let base = (gid.z * p.T + t) * 3u * p.NH * HD + head * HD + j;
  let tbase = t * HD + j;
  return Pair(base, base + half, tbase, tbase + half, gid.x < p.NH * HD);
}

@compute @workgroup_size(WG)
fn rope_fwd(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = pair_at(gid);
  if (!e.live) { return; }
  let x1 = qkv[e.a];
  let x2 = qkv[e.b];
  qkv[e.a] = x1 * cos_t[e.ta] - x2 * sin_t[e.ta];
  qkv[e.b] = x2 * cos_t[e.tb] + x1 * sin_t[e.tb];
}

@compute @workgroup_size(WG)
fn rope_bwd(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = pair_at(gid);
  if (!e.live) { return; }
  let d1 = qkv[e.a];
  let d2 = qkv[e.b];
  qkv[e.a] = d1 * cos_t[e.ta] + d2 * sin_t[e.tb];
  qkv[e.b] = d2 * cos_t[e.tb] - d1 * sin_t[e.ta];
}
