// reduce.wgsl: row sums, the building block of sumRows / meanRows / sumAll (torch.sum(dim=-1),
// .mean(dim=-1), .sum()).
// out[outOff + r] = scale * Σ_{j < len(r)} x[off + r*cols + j],  len(r) = min(cols, n - r*cols)
// for r < rows; a ragged last row (n not a multiple of cols) lets sumAll sum a flat tensor in
// fixed-size pieces.
// Bindings: x [span] (read), out [span] (read_write), p (uniform).
// reduce_rows: one workgroup of WG invocations per row (strided partial sums, then a tree in
//   workgroup memory); rows fold into (x, y) workgroups: r = wid.x + wid.y * nwg.x.
// reduce_rows_serial: one invocation per row, no barriers (short rows, many of them; barriers
//   cost a coroutine switch each on llvmpipe); r = gid.x + gid.y * nwg.x * WG.
// Override: WG (a power of two).

override WG: u32 = 64;

struct Params { rows: u32, cols: u32, n: u32, off: u32, outOff: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> part: array<f32, WG>;

@compute @workgroup_size(WG)
fn reduce_rows(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let r = wid.x + wid.y * nwg.x;
  let start = r * p.cols;
  var end = start;
  if (r < p.rows) { end = min(start + p.cols, p.n); }
  var s = 0.0;
  for (var j = start + li; j < end; j += WG) { s += x[p.off + j]; }
  part[li] = s;
  workgroupBarrier();
  for (var w = WG / 2u; w > 0u; w = w / 2u) {
    if (li < w) { part[li] += part[li + w]; }
    workgroupBarrier();
  }
  if (li == 0u && r < p.rows) { out[p.outOff + r] = p.scale * part[0]; }
}

@compute @workgroup_size(WG)
fn reduce_rows_serial(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let r = gid.x + gid.y * nwg.x * WG;
  if (r >= p.rows) { return; }
  let start = r * p.cols;
  let end = min(start + p.cols, p.n);
  var s = 0.0;
  for (var j = start; j < end; j++) { s += x[p.off + j]; }
  out[p.outOff + r] = p.scale * s;
}
