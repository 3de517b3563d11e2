// matmul_store_vec4.wgsl: the epilogue of matmul_texture.wgsl when ldc, offC and N are multiples
// of 4: `out` viewed as vec4s, so a row of 16 outputs is 4 stores. On llvmpipe every storage
// access is a loop over the SIMD lanes, and a vec4 store is one such loop for 4 floats.
// out[offC + m*ldc + n] (in floats). Uses p, ACCUM from the main kernel.

@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;

// Stores row m, columns n..n+15 of the result from the four column vectors of c.
fn storeRow(m: u32, n: u32, c: mat4x4<f32>) {
  if (m >= p.M) { return; }
  let row = (p.offC + m * p.ldc + n) / 4u;
  for (var j = 0u; j < 4u; j++) {
    if (n + 4u * j < p.N) {
      var v = p.alpha * c[j];
      if (ACCUM) { v += p.beta * out[row + j]; }
      out[row + j] = v;
    }
  }
}
