// attention_rows_fwd.wgsl: attention forward, the "rows" kernel (compiled after
// attention_rows.wgsl, which explains the layout, the overrides HD, WG, QR and why it suits
// llvmpipe). Per query row i of (b, head h), over all keys j with a running max:
//   s_ij = scale·q_i·k_j;  m_i = max_j s_ij;  l_i = Σ_j exp(s_ij − m_i)
//   out_i = Σ_j exp(s_ij − m_i) v_j / l_i;  lse_i = m_i + log(l_i)
// The running max is updated without a branch (every lane rescales every step): the loads, not
// the arithmetic, bound this kernel on llvmpipe.
// q_i and k_j are rotated by RoPE as they are loaded (when ROPE). With SAVE each query row i
// also stores its rotated q_i, k_i and v_i into `rot` (the backward's input, so the backward
// never rotates a loaded row: on llvmpipe every table load in a loop is a per-lane gather).
// Bindings: qkv [B, T, 3·NH·HD] (binding 0, vec4), RoPE table (binding 1), out [B, T, NH·HD]
// (vec4), lse [B, NH, T], rot [B, T, 3·NH·HD] (vec4; any other buffer when SAVE is false);
// params { B, T, NH, HD, scale }. Grid: 1-D over B·NH·ceil(T/QR) invocations, folded into x, y.
override SAVE: bool = false;

@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> lse: array<f32>;
@group(0) @binding(4) var<storage, read_write> rot: array<vec4<f32>>;
@group(0) @binding(5) var<uniform> p: Params;

// One query row's state: scaled q, unnormalised output, running max and sum.
struct Fwd { q: Row, acc: Row, m: f32, l: f32 }

fn fwd_init(b: u32, h: u32, i: u32) -> Fwd {
  var st: Fwd;
  st.q = scaled(rope_row(qkv_row(((b * p.T + i) * 3u * p.NH + h) * (HD / 4u)), i, 1.0), p.scale);
  st.m = -3.0e38;
  return st;
}

fn fwd_step(st: ptr<function, Fwd>, k: Row, v: Row) {
  let s = dot_row((*st).q, k);
  let m = max((*st).m, s);
  let c = exp((*st).m - m);
  let e = exp(s - m);
  (*st).acc = axpby(c, (*st).acc, e, v);
  (*st).l = (*st).l * c + e;
  (*st).m = m;
}

fn fwd_store(st: Fwd, b: u32, h: u32, i: u32) {
  if (i >= p.T) { return; }
  let o = ((b * p.T + i) * p.NH + h) * (HD / 4u);
  let inv = 1.0 / st.l;
  for (var c = 0u; c < HD / 4u; c++) { out[o + c] = row_vec(st.acc, c) * inv; }
  lse[(b * p.NH + h) * p.T + i] = st.m + log(st.l);
}

// Row i of head h rotated for the backward: q at head h, k at NH + h, v at 2·NH + h.
fn fwd_save(b: u32, h: u32, i: u32) {
  if (i >= p.T) { return; }
  let qo = ((b * p.T + i) * 3u * p.NH + h) * (HD / 4u);
  let ko = qo + p.NH * (HD / 4u);
  let vo = ko + p.NH * (HD / 4u);
  let q = rope_row(qkv_row(qo), i, 1.0);
  let k = rope_row(qkv_row(ko), i, 1.0);
  for (var c = 0u; c < HD / 4u; c++) {
    rot[qo + c] = row_vec(q, c);
    rot[ko + c] = row_vec(k, c);
    rot[vo + c] = qkv[vo + c];
  }
}

@compute @workgroup_size(WG)
fn attention_rows_fwd(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let s = slot_of(wid, nwg, lid, p);
  if (!s.ok) { return; }
  if (SAVE) {
    // Before the key loop, while little state is live.
    for (var r = 0u; r < QR; r++) { fwd_save(s.b, s.h, s.i0 + r); }
  }
  let last = p.T - 1u;
  var r0 = fwd_init(s.b, s.h, min(s.i0, last));
  var r1: Fwd;
  var r2: Fwd;
  var r3: Fwd;
  var r4: Fwd;
  var r5: Fwd;
  var r6: Fwd;
  var r7: Fwd;
  if (QR > 1u) { r1 = fwd_init(s.b, s.h, min(s.i0 + 1u, last)); }
  if (QR > 2u) { r2 = fwd_init(s.b, s.h, min(s.i0 + 2u, last)); }
  if (QR > 3u) { r3 = fwd_init(s.b, s.h, min(s.i0 + 3u, last)); }
  if (QR > 4u) { r4 = fwd_init(s.b, s.h, min(s.i0 + 4u, last)); }
  if (QR > 5u) { r5 = fwd_init(s.b, s.h, min(s.i0 + 5u, last)); }
  if (QR > 6u) { r6 = fwd_init(s.b, s.h, min(s.i0 + 6u, last)); }
  if (QR > 7u) { r7 = fwd_init(s.b, s.h, min(s.i0 + 7u, last)); }
  let C = HD / 4u;
  let stride = 3u * p.NH * C;
  let k0 = (s.b * p.T * 3u * p.NH + p.NH + s.h) * C;
  for (var j = 0u; j < p.T; j++) {
    let k = rope_row(qkv_row(k0 + j * stride), j, 1.0);
    let v = qkv_row(k0 + j * stride + p.NH * C);
    fwd_step(&r0, k, v);
    if (QR > 1u) { fwd_step(&r1, k, v); }
    if (QR > 2u) { fwd_step(&r2, k, v); }
    if (QR > 3u) { fwd_step(&r3, k, v); }
    if (QR > 4u) { fwd_step(&r4, k, v); }
    if (QR > 5u) { fwd_step(&r5, k, v); }
    if (QR > 6u) { fwd_step(&r6, k, v); }
    if (QR > 7u) { fwd_step(&r7, k, v); }
  }
  fwd_store(r0, s.b, s.h, s.i0);
  if (QR > 1u) { fwd_store(r1, s.b, s.h, s.i0 + 1u); }
  if (QR > 2u) { fwd_store(r2, s.b, s.h, s.i0 + 2u); }
  if (QR > 3u) { fwd_store(r3, s.b, s.h, s.i0 + 3u); }
  if (QR > 4u) { fwd_store(r4, s.b, s.h, s.i0 + 4u); }
  if (QR > 5u) { fwd_store(r5, s.b, s.h, s.i0 + 5u); }
  if (QR > 6u) { fwd_store(r6, s.b, s.h, s.i0 + 6u); }
  if (QR > 7u) { fwd_store(r7, s.b, s.h, s.i0 + 7u); }
}
