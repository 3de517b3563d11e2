// attention_rows_bwd.wgsl: attention backward, the "rows" kernels (compiled after
// attention_rows.wgsl: layout, overrides HD, WG, QR). The maths of attention_bwd_dq.wgsl and
// attention_bwd_dkv.wgsl, with P_ij = exp(s_ij − lse_i) recomputed from the forward's lse:
//   attention_rows_bwd_dq  (QR query rows each):  D_i = dO_i·O_i;  dP_ij = dO_i·v_j;
//                          dS_ij = P_ij (dP_ij − D_i);  dq_i = scale Σ_j dS_ij k_j; writes delta
//   attention_rows_bwd_dkv (QR key rows each, after dq): dv_j = Σ_i P_ij dO_i;
//                          dk_j = scale Σ_i P_ij (dO_i·v_j − D_i) q_i
// Each dqkv row has one writer, so no atomics. With ROPE, qkv holds the rotated q and k (the
// forward's `rot`) and dq, dk (gradients of the rotated rows) go back through the transposed
// rotation as they are stored, so dqkv is the gradient of the un-rotated qkv.
// Bindings (both entries; dkv does not read `out`): qkv [B, T, 3·NH·HD] (binding 0, vec4),
// RoPE table (binding 1), out [B, T, NH·HD] (vec4), dout [B, T, NH·HD] (vec4), lse [B, NH, T], delta [B, NH, T],
// dqkv [B, T, 3·NH·HD] (vec4; dq writes the q heads, dkv the k and v heads);
// params { B, T, NH, HD, scale }. Grid: 1-D over B·NH·ceil(T/QR) invocations, folded into x, y.
@group(0) @binding(2) var<storage, read> out: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> dout: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> lse: array<f32>;
@group(0) @binding(5) var<storage, read_write> delta: array<f32>;
@group(0) @binding(6) var<storage, read_write> dqkv: array<vec4<f32>>;
@group(0) @binding(7) var<uniform> p: Params;

fn out4(o: u32, c: u32) -> vec4<f32> {
  if (c < HD / 4u) { return out[o + c]; }
  return vec4<f32>(0.0);
}

fn out_row(o: u32) -> Row {
  var r: Row;
  r.b0 = mat4x4<f32>(out4(o, 0u), out4(o, 1u), out4(o, 2u), out4(o, 3u));
  if (HD > 16u) { r.b1 = mat4x4<f32>(out4(o, 4u), out4(o, 5u), out4(o, 6u), out4(o, 7u)); }
  if (HD > 32u) { r.b2 = mat4x4<f32>(out4(o, 8u), out4(o, 9u), out4(o, 10u), out4(o, 11u)); }
  if (HD > 48u) { r.b3 = mat4x4<f32>(out4(o, 12u), out4(o, 13u), out4(o, 14u), out4(o, 15u)); }
  return r;
}

fn dout4(o: u32, c: u32) -> vec4<f32> {
  if (c < HD / 4u) { return dout[o + c]; }
  return vec4<f32>(0.0);
}

fn dout_row(o: u32) -> Row {
  var r: Row;
  r.b0 = mat4x4<f32>(dout4(o, 0u), dout4(o, 1u), dout4(o, 2u), dout4(o, 3u));
  if (HD > 16u) { r.b1 = mat4x4<f32>(dout4(o, 4u), dout4(o, 5u), dout4(o, 6u), dout4(o, 7u)); }
  if (HD > 32u) { r.b2 = mat4x4<f32>(dout4(o, 8u), dout4(o, 9u), dout4(o, 10u), dout4(o, 11u)); }
  if (HD > 48u) {
    r.b3 = mat4x4<f32>(dout4(o, 12u), dout4(o, 13u), dout4(o, 14u), dout4(o, 15u));
  }
  return r;
}

// vec4 offsets of head h's row at position t of batch row b: in qkv (head 0..3·NH-1), in out.
fn qkv_at(b: u32, t: u32, head: u32) -> u32 {
  return ((b * p.T + t) * 3u * p.NH + head) * (HD / 4u);
}

fn out_at(b: u32, t: u32, h: u32) -> u32 {
  return ((b * p.T + t) * p.NH + h) * (HD / 4u);
}

// One query row's state: scaled q, dO, the dq sum, lse and D.
struct Dq { q: Row, g: Row, dq: Row, L: f32, D: f32 }

fn dq_init(b: u32, h: u32, i: u32) -> Dq {
  var st: Dq;
  st.q = scaled(qkv_row(qkv_at(b, i, h)), p.scale);
  st.g = dout_row(out_at(b, i, h));
  st.D = dot_row(st.g, out_row(out_at(b, i, h)));
  st.L = lse[(b * p.NH + h) * p.T + i];
  return st;
}

fn dq_step(st: ptr<function, Dq>, k: Row, v: Row) {
  let ds = exp(dot_row((*st).q, k) - (*st).L) * (dot_row((*st).g, v) - (*st).D);
  (*st).dq = add_scaled((*st).dq, ds, k);
}

fn dq_store(st: Dq, b: u32, h: u32, i: u32) {
  if (i >= p.T) { return; }
  let o = qkv_at(b, i, h);
  let dq = rope_row(scaled(st.dq, p.scale), i, -1.0);
  for (var c = 0u; c < HD / 4u; c++) { dqkv[o + c] = row_vec(dq, c); }
  delta[(b * p.NH + h) * p.T + i] = st.D;
}

@compute @workgroup_size(WG)
fn attention_rows_bwd_dq(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let s = slot_of(wid, nwg, lid, p);
  if (!s.ok) { return; }
  let last = p.T - 1u;
  var r0 = dq_init(s.b, s.h, min(s.i0, last));
  var r1: Dq;
  var r2: Dq;
  var r3: Dq;
  var r4: Dq;
  var r5: Dq;
  var r6: Dq;
  var r7: Dq;
  if (QR > 1u) { r1 = dq_init(s.b, s.h, min(s.i0 + 1u, last)); }
  if (QR > 2u) { r2 = dq_init(s.b, s.h, min(s.i0 + 2u, last)); }
  if (QR > 3u) { r3 = dq_init(s.b, s.h, min(s.i0 + 3u, last)); }
  if (QR > 4u) { r4 = dq_init(s.b, s.h, min(s.i0 + 4u, last)); }
  if (QR > 5u) { r5 = dq_init(s.b, s.h, min(s.i0 + 5u, last)); }
  if (QR > 6u) { r6 = dq_init(s.b, s.h, min(s.i0 + 6u, last)); }
  if (QR > 7u) { r7 = dq_init(s.b, s.h, min(s.i0 + 7u, last)); }
  let stride = 3u * p.NH * (HD / 4u);
  let k0 = qkv_at(s.b, 0u, p.NH + s.h);
  let v0 = qkv_at(s.b, 0u, 2u * p.NH + s.h);
  for (var j = 0u; j < p.T; j++) {
    let k = qkv_row(k0 + j * stride);
    let v = qkv_row(v0 + j * stride);
    dq_step(&r0, k, v);
    if (QR > 1u) { dq_step(&r1, k, v); }
    if (QR > 2u) { dq_step(&r2, k, v); }
    if (QR > 3u) { dq_step(&r3, k, v); }
    if (QR > 4u) { dq_step(&r4, k, v); }
    if (QR > 5u) { dq_step(&r5, k, v); }
    if (QR > 6u) { dq_step(&r6, k, v); }
    if (QR > 7u) { dq_step(&r7, k, v); }
  }
  dq_store(r0, s.b, s.h, s.i0);
  if (QR > 1u) { dq_store(r1, s.b, s.h, s.i0 + 1u); }
  if (QR > 2u) { dq_store(r2, s.b, s.h, s.i0 + 2u); }
  if (QR > 3u) { dq_store(r3, s.b, s.h, s.i0 + 3u); }
  if (QR > 4u) { dq_store(r4, s.b, s.h, s.i0 + 4u); }
  if (QR > 5u) { dq_store(r5, s.b, s.h, s.i0 + 5u); }
  if (QR > 6u) { dq_store(r6, s.b, s.h, s.i0 + 6u); }
  if (QR > 7u) { dq_store(r7, s.b, s.h, s.i0 + 7u); }
}

// One key row's state: scaled k, v, and the dk and dv sums.
struct Dkv { k: Row, v: Row, dk: Row, dv: Row }

fn dkv_init(b: u32, h: u32, j: u32) -> Dkv {
  var st: Dkv;
  st.k = scaled(qkv_row(qkv_at(b, j, p.NH + h)), p.scale);
  st.v = qkv_row(qkv_at(b, j, 2u * p.NH + h));
  return st;
}

fn dkv_step(st: ptr<function, Dkv>, q: Row, g: Row, L: f32, D: f32) {
  let P = exp(dot_row((*st).k, q) - L);
  (*st).dk = add_scaled((*st).dk, P * (dot_row((*st).v, g) - D), q);
  (*st).dv = add_scaled((*st).dv, P, g);
}

fn dkv_store(st: Dkv, b: u32, h: u32, j: u32) {
  if (j >= p.T) { return; }
  let ko = qkv_at(b, j, p.NH + h);
  let vo = qkv_at(b, j, 2u * p.NH + h);
  let dk = rope_row(scaled(st.dk, p.scale), j, -1.0);
  for (var c = 0u; c < HD / 4u; c++) {
    dqkv[ko + c] = row_vec(dk, c);
    dqkv[vo + c] = row_vec(st.dv, c);
  }
}

@compute @workgroup_size(WG)
fn attention_rows_bwd_dkv(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  // Keeps binding 1 in the auto layout, so both entries bind the same tensors.
  _ = &out;
  let s = slot_of(wid, nwg, lid, p);
  if (!s.ok) { return; }
  let last = p.T - 1u;
  var r0 = dkv_init(s.b, s.h, min(s.i0, last));
  var r1: Dkv;
  var r2: Dkv;
  var r3: Dkv;
  var r4: Dkv;
  var r5: Dkv;
  var r6: Dkv;
  var r7: Dkv;
  if (QR > 1u) { r1 = dkv_init(s.b, s.h, min(s.i0 + 1u, last)); }
  if (QR > 2u) { r2 = dkv_init(s.b, s.h, min(s.i0 + 2u, last)); }
  if (QR > 3u) { r3 = dkv_init(s.b, s.h, min(s.i0 + 3u, last)); }
  if (QR > 4u) { r4 = dkv_init(s.b, s.h, min(s.i0 + 4u, last)); }
  if (QR > 5u) { r5 = dkv_init(s.b, s.h, min(s.i0 + 5u, last)); }
  if (QR > 6u) { r6 = dkv_init(s.b, s.h, min(s.i0 + 6u, last)); }
  if (QR > 7u) { r7 = dkv_init(s.b, s.h, min(s.i0 + 7u, last)); }
  let stride = 3u * p.NH * (HD / 4u);
  let q0 = qkv_at(s.b, 0u, s.h);
  let g0 = out_at(s.b, 0u, s.h);
  let rows = (s.b * p.NH + s.h) * p.T;
  for (var i = 0u; i < p.T; i++) {
    let q = qkv_row(q0 + i * stride);
    let g = dout_row(g0 + i * p.NH * (HD / 4u));
    let L = lse[rows + i];
    let D = delta[rows + i];
    dkv_step(&r0, q, g, L, D);
    if (QR > 1u) { dkv_step(&r1, q, g, L, D); }
    if (QR > 2u) { dkv_step(&r2, q, g, L, D); }
    if (QR > 3u) { dkv_step(&r3, q, g, L, D); }
    if (QR > 4u) { dkv_step(&r4, q, g, L, D); }
    if (QR > 5u) { dkv_step(&r5, q, g, L, D); }
    if (QR > 6u) { dkv_step(&r6, q, g, L, D); }
    if (QR > 7u) { dkv_step(&r7, q, g, L, D); }
  }
  dkv_store(r0, s.b, s.h, s.i0);
  if (QR > 1u) { dkv_store(r1, s.b, s.h, s.i0 + 1u); }
  if (QR > 2u) { dkv_store(r2, s.b, s.h, s.i0 + 2u); }
  if (QR > 3u) { dkv_store(r3, s.b, s.h, s.i0 + 3u); }
  if (QR > 4u) { dkv_store(r4, s.b, s.h, s.i0 + 4u); }
  if (QR > 5u) { dkv_store(r5, s.b, s.h, s.i0 + 5u); }
  if (QR > 6u) { dkv_store(r6, s.b, s.h, s.i0 + 6u); }
  if (QR > 7u) { dkv_store(r7, s.b, s.h, s.i0 + 7u); }
}
