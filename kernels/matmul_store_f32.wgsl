// matmul_store_f32.wgsl: the epilogue of matmul_texture.wgsl for any ldc, offC and N (one float
// per store; matmul_store_vec4.wgsl is the fast path when they are multiples of 4).
// out[offC + m*ldc + n]. Uses p, ACCUM from the main kernel.

@group(0) @binding(2) var<storage, read_write> out: array<f32>;

// Stores row m, columns n..n+15 of the result from the four column vectors of c.
fn storeRow(m: u32, n: u32, c: mat4x4<f32>) {
  if (m >= p.M) { return; }
  let row = p.offC + m * p.ldc;
  for (var j = 0u; j < 16u; j++) {
    if (n + j < p.N) {
      var v = p.alpha * c[j / 4u][j % 4u];
      if (ACCUM) { v += p.beta * out[row + n + j]; }
      out[row + n + j] = v;
    }
  }
}
