// RoPE forward/backward (in place on packed qkv) against the float64 reference, whose rotation is
// itself checked for the properties RoPE exists for and whose backward is checked as its adjoint.
import { ropeBackward, ropeForward, ropeTables } from "../../lib/ops/rope.ts";
import { Encoder, readTensors, upload } from "../../lib/gpu/encoder.ts";
import { Tensor } from "../../lib/gpu/tensor.ts";
import { ropeRef, ropeTablesRef } from "../ref/rope.ts";
import { assertClose, gpuTest, randomArray } from "../_helpers.ts";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";

const THETA = 10000;

function dot(a: ArrayLike<number>, b: ArrayLike<number>, from = 0, to = a.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i] * b[i];
  return s;
}

Deno.test("rope reference: rotate-half pairs j with j+HD/2 and keeps relative positions", () => {
  const T = 9, HD = 8, NH = 1, { cos, sin } = ropeTablesRef(T, HD, THETA);
  // HD = 8: inv_freq = [1, 0.1, 0.01, 0.001]; position 3 rotates pair (0, 4) by 3 rad.
  assertAlmostEquals(cos[3 * HD + 0], Math.cos(3), 1e-15);
  assertAlmostEquals(sin[3 * HD + 5], Math.sin(3 * 0.1), 1e-15);
  const qkv = randomArray(1, T * 3 * NH * HD);
  const y = ropeRef(qkv, 1, T, NH, HD, cos, sin);
  const row = 3 * NH * HD;
  for (let t = 0; t < T; t++) {
    // Each (j, j+HD/2) pair is a plane rotation: its norm is kept.
    const b = t * row;
    const n0 = qkv[b] ** 2 + qkv[b + 4] ** 2, n1 = y[b] ** 2 + y[b + 4] ** 2;
    assertAlmostEquals(n1, n0, 1e-12);
    // v is untouched.
    assertEquals(
      Array.from(y.slice(b + 2 * HD, b + 3 * HD)),
      Array.from(qkv.slice(b + 2 * HD, b + 3 * HD)),
    );
  }
  // <R_t q, R_s k> depends on t − s only: move the same q, k to positions (2, 5) and (4, 7).
  const q = randomArray(2, HD), k = randomArray(3, HD);
  const place = (tq: number, tk: number) => {
    const buf = new Float64Array(T * row);
    buf.set(q, tq * row);
    buf.set(k, tk * row + HD);
    const r = ropeRef(buf, 1, T, NH, HD, cos, sin);
    return dot(r.slice(tq * row, tq * row + HD), r.slice(tk * row + HD, tk * row + 2 * HD));
  };
  assertAlmostEquals(place(2, 5), place(4, 7), 1e-12);
});

Deno.test("rope reference: backward is the adjoint of forward (<Rx, y> = <x, Rᵀy>)", () => {
  for (const [B, T, NH, HD] of [[1, 7, 1, 2], [2, 5, 3, 8]]) {
    const { cos, sin } = ropeTablesRef(T, HD, THETA);
    const x = randomArray(B * T, B * T * 3 * NH * HD), y = randomArray(HD, B * T * 3 * NH * HD);
    const lhs = dot(ropeRef(x, B, T, NH, HD, cos, sin), y);
    const rhs = dot(x, ropeRef(y, B, T, NH, HD, cos, sin, true));
    assertAlmostEquals(lhs, rhs, 1e-12);
  }
});

gpuTest("rope: tables match float64 to f32 rounding", async (gpu) => {
  const T = 916, HD = 64, tables = ropeTables(gpu, T, HD, THETA);
  const [c, s] = await readTensors(gpu, [tables.cos, tables.sin]);
  const ref = ropeTablesRef(T, HD, THETA);
  // One f32 rounding of a value in [-1, 1]: at most 2^-25 ≈ 3e-8.
  assertClose(c, ref.cos, { atol: 3e-8, rtol: 0, label: "cos" });
  assertClose(s, ref.sin, { atol: 3e-8, rtol: 0, label: "sin" });
  tables.cos.release();
  tables.sin.release();
});

gpuTest("rope: forward and backward in place match float64 on ragged shapes", async (gpu) => {
  const before = gpu.pool.stats().inUseBuffers;
  for (const [B, T, NH, HD] of [[1, 1, 1, 2], [2, 7, 3, 8], [3, 17, 1, 16], [1, 17, 3, 2]]) {
    // Tables longer than T: only positions 0..T−1 are used.
    const tables = ropeTables(gpu, T + 3, HD, THETA);
    const ref = ropeTablesRef(T + 3, HD, THETA);
    const n = B * T * 3 * NH * HD;
    const x = randomArray(n + T, n, -2, 2), dy = randomArray(n + HD, n);
    const tx = upload(gpu, x, [B, T, 3 * NH * HD]), tdy = upload(gpu, dy, [B, T, 3 * NH * HD]);
    const enc = new Encoder(gpu);
    ropeForward(enc, tx, tables, NH);
    ropeBackward(enc, tdy, tables, NH);
    enc.submit();
    const [gx, gdy] = await readTensors(gpu, [tx, tdy]);
    const label = `B=${B} T=${T} NH=${NH} HD=${HD}`;
    // Two f32 products and a sum of values <= 2 in magnitude, with f32 tables: a few ulp.
    const tol = { atol: 1e-6, rtol: 1e-6 };
    assertClose(gx, ropeRef(x, B, T, NH, HD, ref.cos, ref.sin), { ...tol, label: `fwd ${label}` });
    assertClose(gdy, ropeRef(dy, B, T, NH, HD, ref.cos, ref.sin, true), {
      ...tol,
      label: `bwd ${label}`,
    });
    for (const t of [tx, tdy, tables.cos, tables.sin]) t.release();
  }
  assertEquals(gpu.pool.stats().inUseBuffers, before);
});

gpuTest("rope: mismatched shapes name the op and shapes", (gpu) => {
  const tables = ropeTables(gpu, 5, 8, THETA);
  const qkv = Tensor.empty(gpu, [2, 6, 48], "f32", "qkv");
  const enc = new Encoder(gpu);
  assertThrows(
    () => ropeForward(enc, qkv, tables, 2),
    RangeError,
    "ropeForward: qkv [2,6,48] does not fit NH=2 and tables [T=5, HD=8] (want [B, T <= 5, 48])",
  );
  assertThrows(() => ropeBackward(enc, qkv, tables, 3), RangeError, "ropeBackward: qkv [2,6,48]");
  assertThrows(() => ropeTables(gpu, 4, 7, THETA), RangeError, "even HD");
  for (const t of [qkv, tables.cos, tables.sin]) t.release();
});
