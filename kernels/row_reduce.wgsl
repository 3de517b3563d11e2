// row_reduce.wgsl (a shared piece, composed by lib/gpu/wgsl.ts): rows of [N, D] reduced by TPR
// threads each (a power of two dividing WG). TPR = 1 is a thread per row (no barriers: best on
// llvmpipe, where barriers and workgroup memory are slow); TPR = WG is a workgroup per row
// (coalesced loads on real GPUs). Workgroups are [x, y]-folded: the workgroup index is
// wid.x + wid.y * nwg.x, and it covers WG / TPR rows.
override WG: u32 = 64;   // threads per workgroup
override TPR: u32 = 64;  // threads per row (power of two, <= WG)

var<workgroup> row_part: array<f32, WG>;

// The row this invocation works on (may be >= N: such rows load and store nothing).
fn row_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * (WG / TPR) + lid / TPR;
}

// Sum of `v` over the TPR lanes of this invocation's row. Every invocation of the workgroup must
// call it (it has barriers when TPR > 1), live row or not.
fn row_sum(v: f32, lid: u32) -> f32 {
  if (TPR == 1u) { return v; }
  let lane = lid % TPR;
  row_part[lid] = v;
  workgroupBarrier();
  for (var s = TPR / 2u; s > 0u; s >>= 1u) {
    if (lane < s) { row_part[lid] += row_part[lid + s]; }
    workgroupBarrier();
  }
  return row_part[lid - lane];
}
