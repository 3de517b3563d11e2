// matmul.wgsl: register-blocked matmul over storage buffers (variant "buffer", the portable one).
// out[z, m, n] = alpha * Σ_k A[z, m, k] · B[z, k, n] + beta * out[z, m, n]
// Mirrors torch.matmul / F.linear (nn.Linear without bias) in the reference; backward passes are
// the same kernel with other strides (dx = dy·W, dW += dyᵀ·x).
// Layouts come as strides, so one kernel serves NN, NT and TN:
//   A[z, m, k] = a[offA + z*bsA + m*sAm + k*sAk]     (transA: sAm = 1, sAk = lda)
//   B[z, k, n] = b[offB + z*bsB + k*sBk + n*sBn]     (transB: sBk = 1, sBn = ldb)
//   out[z, m, n] = out[offC + z*bsC + m*ldc + n]
// Bindings: a [span], b [span], out [span] (read_write), params (uniform). z = workgroup_id.z.
// Each invocation computes 16×16 outputs (16 mat4x4 accumulators), workgroup 8×4: on llvmpipe
// every storage load is a per-lane scalar loop, so FMAs per loaded element is what counts (see
// cpu-throughput.md); no shared memory. Rows/columns past M/N are clamped for loading and skipped
// when storing, so no bounds checks sit in the k loop. beta == 0 never reads `out`.
// No override constants: tile sizes are fixed by the unrolled code.

struct Params {
  M: u32, N: u32, K: u32, _pad0: u32,
  offA: u32, sAm: u32, sAk: u32, bsA: u32,
  offB: u32, sBk: u32, sBn: u32, bsB: u32,
  offC: u32, ldc: u32, bsC: u32, _pad1: u32,
  alpha: f32, beta: f32,
}

// Element types TA, TB, TC (f32 or f16) are aliases prepended by lib/gpu/wgsl.ts (typeAliases):
// f16 operands are widened on load and every sum is f32; an f16 out is rounded once at the store.
// TR (f16 or f32): every operand passes through it on load, so TR = f16 rounds f32 operands to
// float16 (mixed precision's f16 activations, without an f16 copy); TR = f32 changes nothing.
@group(0) @binding(0) var<storage, read> a: array<TA>;
@group(0) @binding(1) var<storage, read> b: array<TB>;
@group(0) @binding(2) var<storage, read_write> out: array<TC>;
@group(0) @binding(3) var<uniform> p: Params;

fn outer(x: vec4<f32>, y: vec4<f32>) -> mat4x4<f32> {
  return mat4x4<f32>(y * x.x, y * x.y, y * x.z, y * x.w);
}

fn loadA(i: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(vec4<TR>(vec4<f32>(f32(a[i.x]), f32(a[i.y]), f32(a[i.z]), f32(a[i.w]))));
}

fn loadB(i: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(vec4<TR>(vec4<f32>(f32(b[i.x]), f32(b[i.y]), f32(b[i.z]), f32(b[i.w]))));
}

// Stores row m, columns n..n+3 of the result (c holds alpha-less sums).
fn store(base: u32, m: u32, n: u32, c: vec4<f32>) {
  if (m >= p.M) { return; }
  let row = base + m * p.ldc;
  for (var j = 0u; j < 4u; j++) {
    if (n + j < p.N) {
      var v = p.alpha * c[j];
      if (p.beta != 0.0) { v += p.beta * f32(out[row + n + j]); }
      out[row + n + j] = TC(v);
    }
  }
}

fn storeBlock(base: u32, m: u32, n: u32, c: mat4x4<f32>) {
  store(base, m, n, c[0]);
  store(base, m + 1u, n, c[1]);
  store(base, m + 2u, n, c[2]);
  store(base, m + 3u, n, c[3]);
}

@compute @workgroup_size(8, 4)
fn matmul_blocked(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
) {
  let m0 = gid.y * 16u;
  let n0 = gid.x * 16u;
  if (m0 >= p.M || n0 >= p.N) { return; }
  let q = vec4<u32>(0u, 1u, 2u, 3u);
  let lastM = vec4<u32>(p.M - 1u);
  let lastN = vec4<u32>(p.N - 1u);
  let baseA = vec4<u32>(p.offA + wid.z * p.bsA);
  let baseB = vec4<u32>(p.offB + wid.z * p.bsB);
  let ra0 = baseA + min(vec4<u32>(m0) + q, lastM) * p.sAm;
  let ra1 = baseA + min(vec4<u32>(m0 + 4u) + q, lastM) * p.sAm;
  let ra2 = baseA + min(vec4<u32>(m0 + 8u) + q, lastM) * p.sAm;
  let ra3 = baseA + min(vec4<u32>(m0 + 12u) + q, lastM) * p.sAm;
  let cb0 = baseB + min(vec4<u32>(n0) + q, lastN) * p.sBn;
  let cb1 = baseB + min(vec4<u32>(n0 + 4u) + q, lastN) * p.sBn;
  let cb2 = baseB + min(vec4<u32>(n0 + 8u) + q, lastN) * p.sBn;
  let cb3 = baseB + min(vec4<u32>(n0 + 12u) + q, lastN) * p.sBn;
  var c00 = mat4x4<f32>(); var c01 = mat4x4<f32>(); var c02 = mat4x4<f32>(); var c03 = mat4x4<f32>();
  var c10 = mat4x4<f32>(); var c11 = mat4x4<f32>(); var c12 = mat4x4<f32>(); var c13 = mat4x4<f32>();
  var c20 = mat4x4<f32>(); var c21 = mat4x4<f32>(); var c22 = mat4x4<f32>(); var c23 = mat4x4<f32>();
  var c30 = mat4x4<f32>(); var c31 = mat4x4<f32>(); var c32 = mat4x4<f32>(); var c33 = mat4x4<f32>();
  for (var k = 0u; k < p.K; k++) {
    let ka = vec4<u32>(k * p.sAk);
    let kb = vec4<u32>(k * p.sBk);
    let x0 = loadA(ra0 + ka); let x1 = loadA(ra1 + ka);
    let x2 = loadA(ra2 + ka); let x3 = loadA(ra3 + ka);
    let y0 = loadB(cb0 + kb); let y1 = loadB(cb1 + kb);
    let y2 = loadB(cb2 + kb); let y3 = loadB(cb3 + kb);
    c00 += outer(x0, y0); c01 += outer(x0, y1); c02 += outer(x0, y2); c03 += outer(x0, y3);
    c10 += outer(x1, y0); c11 += outer(x1, y1); c12 += outer(x1, y2); c13 += outer(x1, y3);
    c20 += outer(x2, y0); c21 += outer(x2, y1); c22 += outer(x2, y2); c23 += outer(x2, y3);
    c30 += outer(x3, y0); c31 += outer(x3, y1); c32 += outer(x3, y2); c33 += outer(x3, y3);
  }
  let base = p.offC + wid.z * p.bsC;
  storeBlock(base, m0, n0, c00); storeBlock(base, m0, n0 + 4u, c01);
  storeBlock(base, m0, n0 + 8u, c02); storeBlock(base, m0, n0 + 12u, c03);
  storeBlock(base, m0 + 4u, n0, c10); storeBlock(base, m0 + 4u, n0 + 4u, c11);
  storeBlock(base, m0 + 4u, n0 + 8u, c12); storeBlock(base, m0 + 4u, n0 + 12u, c13);
  storeBlock(base, m0 + 8u, n0, c20); storeBlock(base, m0 + 8u, n0 + 4u, c21);
  storeBlock(base, m0 + 8u, n0 + 8u, c22); storeBlock(base, m0 + 8u, n0 + 12u, c23);
  storeBlock(base, m0 + 12u, n0, c30); storeBlock(base, m0 + 12u, n0 + 4u, c31);
  storeBlock(base, m0 + 12u, n0 + 8u, c32); storeBlock(base, m0 + 12u, n0 + 12u, c33);
}
