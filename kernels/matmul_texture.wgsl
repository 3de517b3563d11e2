// matmul_texture.wgsl: matmul with both operands in rgba32float textures (variant "texture",
// the fastest kernel on Mesa llvmpipe/lavapipe, where textureLoad is a branch-free 128-bit load
// but every storage-buffer access is a per-lane scalar loop; see cpu-throughput.md).
// out[m, n] = alpha * Σ_k A[m, k] · B[k, n] + beta * out[m, n]        (torch.matmul / F.linear)
// The textures hold the operands' rows as they lie in memory, 4 floats per texel:
//   ta: TRANS_A ? a as [K rows, M/4 texels] : a as [M rows, K/4 texels]
//   tb: TRANS_B ? b as [N rows, K/4 texels] : b as [K rows, N/4 texels]
// filled by matmul_pack.wgsl or copyBufferToTexture; the k extent is padded with zeros to a
// multiple of 4, and the textures cover m up to a multiple of 8 and n up to a multiple of 16
// (padding there may hold anything: it only feeds outputs that are never stored).
// Bindings: ta, tb, out (declared by the store part), p (uniform).
// Each invocation computes one tile of 8×16 outputs as 8 mat4x4 accumulators (row r, columns as
// vec4s). Tiles have a flat index, so the 8 consecutive invocations llvmpipe runs as one SIMD
// batch all have a tile whatever N is (a 2-D grid over (n, m) left most lanes idle when N is
// narrow): panel by panel of PANEL tile columns (256 outputs; the last panel may be narrower),
// row-major within a panel, so consecutive workgroups share a panel's B columns in cache.
// Workgroups of WG invocations, numbered x-fastest over a 2-D dispatch (one dimension holds at
// most 65535). No shared memory.
// The epilogue `storeRow` and the `out` binding come from matmul_store_vec4.wgsl (f32) or
// matmul_store_scalar.wgsl (f32 or f16; composed in lib/ops/matmul_texture.ts).
// Overrides: TRANS_A, TRANS_B select the texel layout (the loads change, the maths does not);
// ACCUM (beta != 0) compiles the read of `out` in, so beta == 0 never reads it; WG.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override ACCUM: bool = false;
override WG: u32 = 64u;
const PANEL = 16u;

struct Params {
  M: u32, N: u32, KQ: u32, _pad0: u32,
  offC: u32, ldc: u32, _pad1: u32, _pad2: u32,
  alpha: f32, beta: f32,
}

@group(0) @binding(0) var ta: texture_2d<f32>;
@group(0) @binding(1) var tb: texture_2d<f32>;
@group(0) @binding(3) var<uniform> p: Params;

fn la(x: u32, y: u32) -> vec4<f32> {
  return textureLoad(ta, vec2<u32>(x, y), 0);
}

fn lb(x: u32, y: u32) -> vec4<f32> {
  return textureLoad(tb, vec2<u32>(x, y), 0);
}

@compute @workgroup_size(WG)
fn matmul_texture(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let tile = (wid.y * nwg.x + wid.x) * WG + li;
  let tilesN = (p.N + 15u) / 16u;
  let bands = (p.M + 7u) / 8u;
  if (tile >= tilesN * bands) { return; }
  let full = tilesN / PANEL;
  let inFull = full * PANEL * bands;
  // The tile's panel, its width w and its index r inside the panel (row-major, w per band).
  let pan = select(full, tile / (PANEL * bands), tile < inFull);
  let w = select(tilesN - full * PANEL, PANEL, tile < inFull);
  let r = select(tile - inFull, tile % (PANEL * bands), tile < inFull);
  let n0 = (pan * PANEL + r % w) * 16u;
  let m0 = (r / w) * 8u;
  var c0 = mat4x4<f32>(); var c1 = mat4x4<f32>(); var c2 = mat4x4<f32>(); var c3 = mat4x4<f32>();
  var c4 = mat4x4<f32>(); var c5 = mat4x4<f32>(); var c6 = mat4x4<f32>(); var c7 = mat4x4<f32>();
  for (var q = 0u; q < p.KQ; q++) {
    let k = q * 4u;
    // x_r = A[m0 + r, k..k+3]
    var x0: vec4<f32>; var x1: vec4<f32>; var x2: vec4<f32>; var x3: vec4<f32>;
    var x4: vec4<f32>; var x5: vec4<f32>; var x6: vec4<f32>; var x7: vec4<f32>;
    if (TRANS_A) {
      let mq = m0 / 4u;
      let u0 = transpose(mat4x4<f32>(la(mq, k), la(mq, k + 1u), la(mq, k + 2u), la(mq, k + 3u)));
      let u1 = transpose(mat4x4<f32>(
        la(mq + 1u, k), la(mq + 1u, k + 1u), la(mq + 1u, k + 2u), la(mq + 1u, k + 3u),
      ));
      x0 = u0[0]; x1 = u0[1]; x2 = u0[2]; x3 = u0[3];
      x4 = u1[0]; x5 = u1[1]; x6 = u1[2]; x7 = u1[3];
    } else {
      x0 = la(q, m0); x1 = la(q, m0 + 1u); x2 = la(q, m0 + 2u); x3 = la(q, m0 + 3u);
      x4 = la(q, m0 + 4u); x5 = la(q, m0 + 5u); x6 = la(q, m0 + 6u); x7 = la(q, m0 + 7u);
    }
    // b_i = B[k + i, n0..n0+15] as four vec4 columns
    var b0: mat4x4<f32>; var b1: mat4x4<f32>; var b2: mat4x4<f32>; var b3: mat4x4<f32>;
    if (TRANS_B) {
      let t0 = transpose(mat4x4<f32>(lb(q, n0), lb(q, n0 + 1u), lb(q, n0 + 2u), lb(q, n0 + 3u)));
      let t1 = transpose(mat4x4<f32>(
        lb(q, n0 + 4u), lb(q, n0 + 5u), lb(q, n0 + 6u), lb(q, n0 + 7u),
      ));
      let t2 = transpose(mat4x4<f32>(
        lb(q, n0 + 8u), lb(q, n0 + 9u), lb(q, n0 + 10u), lb(q, n0 + 11u),
      ));
      let t3 = transpose(mat4x4<f32>(
        lb(q, n0 + 12u), lb(q, n0 + 13u), lb(q, n0 + 14u), lb(q, n0 + 15u),
      ));
      b0 = mat4x4<f32>(t0[0], t1[0], t2[0], t3[0]);
      b1 = mat4x4<f32>(t0[1], t1[1], t2[1], t3[1]);
      b2 = mat4x4<f32>(t0[2], t1[2], t2[2], t3[2]);
      b3 = mat4x4<f32>(t0[3], t1[3], t2[3], t3[3]);
    } else {
      let nq = n0 / 4u;
      b0 = mat4x4<f32>(lb(nq, k), lb(nq + 1u, k), lb(nq + 2u, k), lb(nq + 3u, k));
      b1 = mat4x4<f32>(lb(nq, k + 1u), lb(nq + 1u, k + 1u), lb(nq + 2u, k + 1u), lb(nq + 3u, k + 1u));
      b2 = mat4x4<f32>(lb(nq, k + 2u), lb(nq + 1u, k + 2u), lb(nq + 2u, k + 2u), lb(nq + 3u, k + 2u));
      b3 = mat4x4<f32>(lb(nq, k + 3u), lb(nq + 1u, k + 3u), lb(nq + 2u, k + 3u), lb(nq + 3u, k + 3u));
    }
    c0 += x0.x * b0 + x0.y * b1 + x0.z * b2 + x0.w * b3;
    c1 += x1.x * b0 + x1.y * b1 + x1.z * b2 + x1.w * b3;
    c2 += x2.x * b0 + x2.y * b1 + x2.z * b2 + x2.w * b3;
    c3 += x3.x * b0 + x3.y * b1 + x3.z * b2 + x3.w * b3;
    c4 += x4.x * b0 + x4.y * b1 + x4.z * b2 + x4.w * b3;
    c5 += x5.x * b0 + x5.y * b1 + x5.z * b2 + x5.w * b3;
    c6 += x6.x * b0 + x6.y * b1 + x6.z * b2 + x6.w * b3;
    c7 += x7.x * b0 + x7.y * b1 + x7.z * b2 + x7.w * b3;
  }
  storeRow(m0, n0, c0); storeRow(m0 + 1u, n0, c1); storeRow(m0 + 2u, n0, c2);
  storeRow(m0 + 3u, n0, c3); storeRow(m0 + 4u, n0, c4); storeRow(m0 + 5u, n0, c5);
  storeRow(m0 + 6u, n0, c6); storeRow(m0 + 7u, n0, c7);
}
