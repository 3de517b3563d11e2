// attention_rows.wgsl: the shared part of the "rows" attention kernels (attention_rows_fwd.wgsl,
// attention_rows_bwd.wgsl), which lib/ops/attention.ts compiles with this file prepended. Same
// maths as attention.wgsl (models/layers.py Attention, flash_attn_func(causal=False), scale
// 1/sqrt(HD)), shaped for Mesa's llvmpipe/lavapipe, where every invocation is one SIMD lane,
// each storage load is a per-lane scalar loop (a vec4 load costs about half of four f32 loads),
// and a private array indexed by a loop variable lives in memory:
//   - an invocation owns QR rows of one (b, head) and every row is held in named registers: a
//     head row of HD <= 64 values is four 4x4 blocks (Row), blocks and vec4s past HD are never
//     touched (HD is an override, so those branches fold away), and QR rows are QR named
//     variables — no per-thread arrays, no loops over them, nothing to unroll;
//   - each k_j / v_j (forward, dq) or q_i / dO_i (dk, dv) row loaded serves all QR rows;
//   - invocations cover [B, NH, ceil(T/QR)] densely (flattened, folded into x + y·nwg.x), so no
//     lane idles for a small T.
// Compile time grows with HD·QR (the state is spilled straight-line code): the op picks QR so
// HD·QR <= 128 on llvmpipe. On real GPUs the same layout keeps a row's state in registers, and
// QR = 1 (parallelism over every row) is the fastest there.
// RoPE (models/layers.py apply_rotary_pos_emb, rotate-half) is applied here, not in a pass of its
// own: the forward rotates q and k as it loads them from the un-rotated qkv (and, when the
// backward will follow, stores each row's rotated q, k and its v once for it), and the backward
// applies the transposed rotation to dq and dk as it stores them. With ROPE the op lays each head row out
// as two halves of HD/2 values (each padded to a multiple of 4 when it is not one), so value j
// pairs with j + HD/2 as vec4 c pairs with vec4 c + HD/8.
// Bindings: qkv [B, T, 3·NH·HD] as vec4 (binding 0), the RoPE table [>= T, HD] as vec4 (binding
// 1: per position HD/2 cosines, then HD/2 sines; any buffer when ROPE is false), here; the rest
// in the entry files. Params { B, T, NH, HD, scale } (the entry files bind them).
// Overrides:
//   HD    head dim: a multiple of 4 (of 8 with ROPE), at most 64 (baked in: it fixes which
//         blocks exist)
//   WG    invocations per workgroup
//   QR    rows per invocation, 1..8
//   ROPE  rotate q and k by position (false: learned or no positions)
override HD: u32 = 16u;
override WG: u32 = 64u;
override QR: u32 = 1u;
override ROPE: bool = false;

struct Params { B: u32, T: u32, NH: u32, HD: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> qkv: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> rope_t: array<vec4<f32>>;

// One head row: values 16·n .. 16·n+15 in block bn, column c of a block = 4 consecutive values.
struct Row { b0: mat4x4<f32>, b1: mat4x4<f32>, b2: mat4x4<f32>, b3: mat4x4<f32> }

// vec4 number c of the qkv row starting at vec4 offset o (zero past HD, folded at compile time).
fn qkv4(o: u32, c: u32) -> vec4<f32> {
  if (c < HD / 4u) { return qkv[o + c]; }
  return vec4<f32>(0.0);
}

fn qkv_row(o: u32) -> Row {
  var r: Row;
  r.b0 = mat4x4<f32>(qkv4(o, 0u), qkv4(o, 1u), qkv4(o, 2u), qkv4(o, 3u));
  if (HD > 16u) { r.b1 = mat4x4<f32>(qkv4(o, 4u), qkv4(o, 5u), qkv4(o, 6u), qkv4(o, 7u)); }
  if (HD > 32u) { r.b2 = mat4x4<f32>(qkv4(o, 8u), qkv4(o, 9u), qkv4(o, 10u), qkv4(o, 11u)); }
  if (HD > 48u) { r.b3 = mat4x4<f32>(qkv4(o, 12u), qkv4(o, 13u), qkv4(o, 14u), qkv4(o, 15u)); }
  return r;
}

fn dot16(a: mat4x4<f32>, b: mat4x4<f32>) -> f32 {
  return dot(a[0], b[0]) + dot(a[1], b[1]) + dot(a[2], b[2]) + dot(a[3], b[3]);
}

fn dot_row(a: Row, b: Row) -> f32 {
  var s = dot16(a.b0, b.b0);
  if (HD > 16u) { s += dot16(a.b1, b.b1); }
  if (HD > 32u) { s += dot16(a.b2, b.b2); }
  if (HD > 48u) { s += dot16(a.b3, b.b3); }
  return s;
}

// x·a + y·b
fn axpby(x: f32, a: Row, y: f32, b: Row) -> Row {
  var r: Row;
  r.b0 = a.b0 * x + b.b0 * y;
  if (HD > 16u) { r.b1 = a.b1 * x + b.b1 * y; }
  if (HD > 32u) { r.b2 = a.b2 * x + b.b2 * y; }
  if (HD > 48u) { r.b3 = a.b3 * x + b.b3 * y; }
  return r;
}

// a + y·b
fn add_scaled(a: Row, y: f32, b: Row) -> Row {
  var r: Row;
  r.b0 = a.b0 + b.b0 * y;
  if (HD > 16u) { r.b1 = a.b1 + b.b1 * y; }
  if (HD > 32u) { r.b2 = a.b2 + b.b2 * y; }
  if (HD > 48u) { r.b3 = a.b3 + b.b3 * y; }
  return r;
}

fn scaled(a: Row, x: f32) -> Row {
  var r: Row;
  r.b0 = a.b0 * x;
  if (HD > 16u) { r.b1 = a.b1 * x; }
  if (HD > 32u) { r.b2 = a.b2 * x; }
  if (HD > 48u) { r.b3 = a.b3 * x; }
  return r;
}

// vec4 number c of a row; used by the stores only (once per row), so a dynamic c is fine.
fn row_vec(r: Row, c: u32) -> vec4<f32> {
  var m = r.b0;
  if (c >= 12u) {
    m = r.b3;
  } else if (c >= 8u) {
    m = r.b2;
  } else if (c >= 4u) {
    m = r.b1;
  }
  return m[c % 4u];
}

// vec4 number c of the rotated row x (dir 1; dir −1: the transposed rotation, for gradients),
// given the table row cs = [cos | sin] of its position; c is a constant at every call, so the
// selections fold away.
fn rope4(x: Row, cs: Row, c: u32, dir: f32) -> vec4<f32> {
  let H = HD / 8u;
  if (c < H) {
    return row_vec(x, c) * row_vec(cs, c) - dir * row_vec(x, c + H) * row_vec(cs, c + H);
  }
  if (c < 2u * H) {
    return row_vec(x, c) * row_vec(cs, c - H) + dir * row_vec(x, c - H) * row_vec(cs, c);
  }
  return vec4<f32>(0.0);
}

fn rope4_mat(x: Row, cs: Row, n: u32, dir: f32) -> mat4x4<f32> {
  return mat4x4<f32>(
    rope4(x, cs, 4u * n, dir),
    rope4(x, cs, 4u * n + 1u, dir),
    rope4(x, cs, 4u * n + 2u, dir),
    rope4(x, cs, 4u * n + 3u, dir),
  );
}

fn rope_t4(o: u32, c: u32) -> vec4<f32> {
  if (c < HD / 4u) { return rope_t[o + c]; }
  return vec4<f32>(0.0);
}

// Row x of position t rotated by RoPE (dir 1) or by its transpose (dir −1); x itself when ROPE
// is off.
fn rope_row(x: Row, t: u32, dir: f32) -> Row {
  if (!ROPE) { return x; }
  let o = t * (HD / 4u);
  var cs: Row;
  cs.b0 = mat4x4<f32>(rope_t4(o, 0u), rope_t4(o, 1u), rope_t4(o, 2u), rope_t4(o, 3u));
  if (HD > 16u) {
    cs.b1 = mat4x4<f32>(rope_t4(o, 4u), rope_t4(o, 5u), rope_t4(o, 6u), rope_t4(o, 7u));
  }
  if (HD > 32u) {
    cs.b2 = mat4x4<f32>(rope_t4(o, 8u), rope_t4(o, 9u), rope_t4(o, 10u), rope_t4(o, 11u));
  }
  if (HD > 48u) {
    cs.b3 = mat4x4<f32>(rope_t4(o, 12u), rope_t4(o, 13u), rope_t4(o, 14u), rope_t4(o, 15u));
  }
  var r: Row;
  r.b0 = rope4_mat(x, cs, 0u, dir);
  if (HD > 16u) { r.b1 = rope4_mat(x, cs, 1u, dir); }
  if (HD > 32u) { r.b2 = rope4_mat(x, cs, 2u, dir); }
  if (HD > 48u) { r.b3 = rope4_mat(x, cs, 3u, dir); }
  return r;
}

// What one invocation owns: rows i0 .. i0+QR-1 (those >= T are computed on row T-1 and never
// stored) of head h of batch row b; ok is false past the end of the grid.
struct Slot { b: u32, h: u32, i0: u32, ok: bool }

fn slot_of(wid: vec3<u32>, nwg: vec3<u32>, lid: u32, p: Params) -> Slot {
  let g = (wid.x + wid.y * nwg.x) * WG + lid;
  let G = (p.T + QR - 1u) / QR;
  let bh = g / G;
  return Slot(bh / p.NH, bh % p.NH, (g % G) * QR, g < p.B * p.NH * G);
}
