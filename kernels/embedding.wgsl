// embedding.wgsl: token-embedding gather and its deterministic scatter-add backward.
// Mirrors models/layers.py CastedEmbedding (`embedding_weight[ids]`) times the caller's scale
// (HRM: embed_scale = sqrt(hidden_size), hrm_act_v1.py `_input_embeddings`).
//
// embedding_fwd:         y[n, d] = scale * W[ids[n], d]
//                        ids [N] i32, W [V, D], y [N, D]; an id outside [0, V) gives a zero row.
// embedding_bwd_partial: direct == 0: part[c, v, d] = Σ_{n in chunk c, ids[n] = v} dy[n, d]
//                        direct == 1 (one chunk): dW[v, d] += scale * (the same sum)
//                        ids [N], dy [N, D], part [C, V, D] | dW [V, D]
// embedding_bwd_reduce:  dW[v, d] += scale * Σ_c part[c, v, d], c ascending
//                        part [C, V, D], dW [V, D]  (ids bound but unused)
// Rows of y (forward) and dy (backward) may be placed inside a larger tensor: row n sits at
// element (n / g) * gs + g0 + (n % g) * D (g rows per block, blocks gs apart, starting at g0), as
// the token rows of x = [puzzle slots | tokens] are; g = N, gs = 0, g0 = 0 is the plain layout.
// No float atomics in WGSL, so every output element has exactly one writer and sums run in a
// fixed order (n ascending within a chunk, chunks ascending): the result is bit-reproducible.
// The partial pass scans each chunk once per (v, d); V is small in HRM (6..12), and the chunk
// count gives the parallelism that a single scan over all N would lack.
//
// Bindings (the same for every entry, so one auto layout shape fits all):
//   0 ids  (i32, read)   1 src (f32, read: W | dy | part)   2 dst (f32, read_write: y | part | dW)
//   3 params
// Workgroup counts over the 1-D limit fold into y: index = x + y * num_workgroups.x * WG.
override WG: u32 = 256;

struct Params {
  n: u32,       // N rows (ids)
  d: u32,       // D
  v: u32,       // V rows of W
  chunk: u32,   // rows of ids per partial chunk
  chunks: u32,  // C
  direct: u32,  // 1: accumulate straight into dW (C == 1)
  scale: f32,
  g: u32,       // placement of y / dy rows (see above)
  gs: u32,
  g0: u32,
}

@group(0) @binding(0) var<storage, read> ids: array<i32>;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(WG)
fn embedding_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n * p.d) { return; }
  let n = i / p.d;
  let col = i - n * p.d;
  let id = ids[n];
  var y = 0.0;
  if (id >= 0 && u32(id) < p.v) { y = p.scale * src[u32(id) * p.d + col]; }
  dst[(n / p.g) * p.gs + p.g0 + (n % p.g) * p.d + col] = y;
}

@compute @workgroup_size(WG)
fn embedding_bwd_partial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  let vd = p.v * p.d;
  if (i >= p.chunks * vd) { return; }
  let c = i / vd;
  let r = i - c * vd;
  let row = i32(r / p.d);
  let col = r % p.d;
  let start = c * p.chunk;
  let end = min(p.n, start + p.chunk);
  var acc = 0.0;
  // The placed row of n = start, then stepped without a division per id.
  var t = start % p.g;
  var at = (start / p.g) * p.gs + p.g0 + t * p.d + col;
  for (var n = start; n < end; n++) {
    if (ids[n] == row) { acc += src[at]; }
    t++;
    at += p.d;
    if (t == p.g) {
      t = 0u;
      at += p.gs - p.g * p.d;
    }
  }
  if (p.direct == 1u) {
    dst[r] = dst[r] + p.scale * acc;
  } else {
    dst[i] = acc;
  }
}

@compute @workgroup_size(WG)
fn embedding_bwd_reduce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  // Keeps binding 0 in the auto layout so all entries bind (ids, src, dst).
  _ = &ids;
  let r = flat(gid, nwg);
  let vd = p.v * p.d;
  if (r >= vd) { return; }
  var acc = 0.0;
  for (var c = 0u; c < p.chunks; c++) { acc += src[c * vd + r]; }
  dst[r] = dst[r] + p.scale * acc;
}
