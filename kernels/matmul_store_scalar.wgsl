// matmul_store_scalar.wgsl: the epilogue of matmul_texture.wgsl for any ldc, offC and N (one
// value per store; matmul_store_vec4.wgsl is the fast f32 path when they are multiples of 4).
// out[offC + m*ldc + n]. Uses p, ACCUM from the main kernel. TC (out's element type, f32 or f16:
// float16 mixed precision stores some matmul outputs in f16, the f32 sum rounded once) is an
// alias prepended by lib/gpu/wgsl.ts (typeAliases).

@group(0) @binding(2) var<storage, read_write> out: array<TC>;

// Stores row m, columns n..n+15 of the result from the four column vectors of c.
fn storeRow(m: u32, n: u32, c: mat4x4<f32>) {
  if (m >= p.M) { return; }
  let row = p.offC + m * p.ldc;
  for (var j = 0u; j < 16u; j++) {
    if (n + j < p.N) {
      var v = p.alpha * c[j / 4u][j % 4u];
      if (ACCUM) { v += p.beta * f32(out[row + n + j]); }
      out[row + n + j] = TC(v);
    }
  }
}
