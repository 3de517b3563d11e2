// matmul_tiled.wgsl: classic shared-memory tiled matmul for real GPUs (variant "tiled").
// out[z, m, n] = alpha * Σ_k A[z, m, k] · B[z, k, n] + beta * out[z, m, n]   (torch.matmul)
// Same strided layouts, bindings and params as matmul.wgsl:
//   A[z, m, k] = a[offA + z*bsA + m*sAm + k*sAk], B[z, k, n] = b[offB + z*bsB + k*sBk + n*sBn],
//   out[z, m, n] = out[offC + z*bsC + m*ldc + n].
// Bindings: a, b, out (read_write), params (uniform). z = workgroup_id.z.
// A workgroup of 16×16 invocations computes a 128×128 tile in steps of 16 along k: it stages
// A[128×16] and B[16×128] in workgroup memory (k-major, as vec4 along m / n; rows padded against
// bank conflicts, +3% to +25% on an H200), then each invocation accumulates 8×8 outputs (rows
// ty*4+{0..3} and 64+ty*4+{0..3}, columns likewise with tx) as four mat4x4. Loads outside M, N,
// K read zero. beta == 0 never reads `out`. (Prefetching the next tile into registers was
// measured 15-20% slower on the H200 and is not used.)
// Overrides: TRANS_A / TRANS_B only choose which index varies fastest across invocations when
// staging, so global loads stay coalesced (A contiguous along k unless TRANS_A; B contiguous along
// n unless TRANS_B); the strides in params are what define the layout.

override TRANS_A: bool = false;
override TRANS_B: bool = false;

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

const BM = 128u;
const BN = 128u;
const BK = 16u;
// Rows of the staged tiles hold 32 vec4 plus one of padding, so the transposing stores of a
// k-contiguous operand (k varies fastest across invocations) spread over the memory banks.
const ROW = 33u;

// As[k][m / 4] and Bs[k][n / 4]: one vec4 read serves four outputs.
var<workgroup> As: array<vec4<f32>, 528>; // BK * ROW
var<workgroup> Bs: array<vec4<f32>, 528>;

fn outer(x: vec4<f32>, y: vec4<f32>) -> mat4x4<f32> {
  return mat4x4<f32>(y * x.x, y * x.y, y * x.z, y * x.w);
}

fn storeRow(base: u32, m: u32, n: u32, c: vec4<f32>) {
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
  storeRow(base, m, n, c[0]);
  storeRow(base, m + 1u, n, c[1]);
  storeRow(base, m + 2u, n, c[2]);
  storeRow(base, m + 3u, n, c[3]);
}

@compute @workgroup_size(16, 16)
fn matmul_tiled(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
) {
  let tileM = wid.y * BM;
  let tileN = wid.x * BN;
  let baseA = p.offA + wid.z * p.bsA;
  let baseB = p.offB + wid.z * p.bsB;
  var c00 = mat4x4<f32>(); var c01 = mat4x4<f32>();
  var c10 = mat4x4<f32>(); var c11 = mat4x4<f32>();
  let nTiles = (p.K + BK - 1u) / BK;
  for (var t = 0u; t < nTiles; t++) {
    let k0 = t * BK;
    // 2048 elements of each operand per tile, 8 per invocation.
    for (var i = 0u; i < 8u; i++) {
      let e = li + i * 256u;
      var mm: u32; var ka: u32;
      if (TRANS_A) { mm = e % BM; ka = e / BM; } else { mm = e / BK; ka = e % BK; }
      let gm = tileM + mm;
      let gka = k0 + ka;
      var va = 0.0;
      if (gm < p.M && gka < p.K) { va = f32(TR(f32(a[baseA + gm * p.sAm + gka * p.sAk]))); }
      As[ka * ROW + mm / 4u][mm % 4u] = va;
      var nn: u32; var kb: u32;
      if (TRANS_B) { nn = e / BK; kb = e % BK; } else { nn = e % BN; kb = e / BN; }
      let gn = tileN + nn;
      let gkb = k0 + kb;
      var vb = 0.0;
      if (gn < p.N && gkb < p.K) { vb = f32(TR(f32(b[baseB + gkb * p.sBk + gn * p.sBn]))); }
      Bs[kb * ROW + nn / 4u][nn % 4u] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      let x0 = As[kk * ROW + lid.y];
      let x1 = As[kk * ROW + 16u + lid.y];
      let y0 = Bs[kk * ROW + lid.x];
      let y1 = Bs[kk * ROW + 16u + lid.x];
      c00 += outer(x0, y0); c01 += outer(x0, y1);
      c10 += outer(x1, y0); c11 += outer(x1, y1);
    }
    workgroupBarrier();
  }
  let base = p.offC + wid.z * p.bsC;
  let m0 = tileM + lid.y * 4u;
  let n0 = tileN + lid.x * 4u;
  storeBlock(base, m0, n0, c00);
  storeBlock(base, m0, n0 + 64u, c01);
  storeBlock(base, m0 + 64u, n0, c10);
  storeBlock(base, m0 + 64u, n0 + 64u, c11);
}
