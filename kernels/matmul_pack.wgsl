// matmul_pack.wgsl: copies a strided block of a storage buffer into an rgba32float texture for
// matmul_texture.wgsl, zero-filling everything outside the block (copyBufferToTexture cannot:
// it needs bytesPerRow % 256 == 0, whole texels and no padding).
// dst[y, x] = vec4(src[off + y*ld + 4x + c] if y < rows and 4x + c < cols else 0, c = 0..3)
// for x < W, y < H (the texture region the matmul reads; W, H come from the dispatch size).
// Bindings: src [span] (storage, read), dst (storage texture, write), p (uniform).
// Workgroup 64×1 over (texel column, row). No override constants. TS (src's element type, f32 or
// f16) and TR (f16 rounds every value to float16, mixed precision; f32 keeps it) are aliases
// prepended by lib/gpu/wgsl.ts (typeAliases).

struct Params { rows: u32, cols: u32, ld: u32, off: u32, W: u32, H: u32 }

@group(0) @binding(0) var<storage, read> src: array<TS>;
@group(0) @binding(1) var dst: texture_storage_2d<rgba32float, write>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(64, 1)
fn matmul_pack(@builtin(global_invocation_id) gid: vec3<u32>) {
  let x = gid.x;
  let y = gid.y;
  if (x >= p.W || y >= p.H) { return; }
  var v = vec4<f32>(0.0);
  if (y < p.rows) {
    let base = p.off + y * p.ld;
    for (var c = 0u; c < 4u; c++) {
      let col = 4u * x + c;
      if (col < p.cols) { v[c] = f32(TR(f32(src[base + col]))); }
    }
  }
  textureStore(dst, vec2<u32>(x, y), v);
}
