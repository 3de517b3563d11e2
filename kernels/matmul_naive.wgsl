// matmul_naive.wgsl: one invocation per output; the baseline the benchmark compares against.
// out[z, m, n] = alpha * Σ_k A[z, m, k] · B[z, k, n] + beta * out[z, m, n]
// Same strided layouts, bindings and params as matmul.wgsl (NN, NT, TN through strides):
//   A[z, m, k] = a[offA + z*bsA + m*sAm + k*sAk], B[z, k, n] = b[offB + z*bsB + k*sBk + n*sBn],
//   out[z, m, n] = out[offC + z*bsC + m*ldc + n].
// Bindings: a, b, out (read_write), params (uniform). Workgroup 16×16 over (n, m), z = batch.
// No override constants.

struct Params {
  M: u32, N: u32, K: u32, _pad0: u32,
  offA: u32, sAm: u32, sAk: u32, bsA: u32,
  offB: u32, sBk: u32, sBn: u32, bsB: u32,
  offC: u32, ldc: u32, bsC: u32, _pad1: u32,
  alpha: f32, beta: f32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(16, 16)
fn matmul_naive(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  let m = gid.y;
  if (m >= p.M || n >= p.N) { return; }
  let ia = p.offA + gid.z * p.bsA + m * p.sAm;
  let ib = p.offB + gid.z * p.bsB + n * p.sBn;
  var s = 0.0;
  for (var k = 0u; k < p.K; k++) {
    s += a[ia + k * p.sAk] * b[ib + k * p.sBk];
  }
  let i = p.offC + gid.z * p.bsC + m * p.ldc + n;
  var v = p.alpha * s;
  if (p.beta != 0.0) { v += p.beta * out[i]; }
  out[i] = v;
}
