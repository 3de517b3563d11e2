// RoPE's float64 reference, checked for the properties RoPE exists for and its backward as the
// adjoint, and the GPU table against it. The rotation itself runs inside the attention kernels:
// tests/ops/attention_test.ts checks it there against this reference.
import { ropeTables } from "../../lib/ops/rope.ts";
import { readTensors } from "../../lib/gpu/encoder.ts";
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

gpuTest("rope: the table matches float64 to f32 rounding", async (gpu) => {
  const T = 916, HD = 64, h = HD / 2, tables = ropeTables(gpu, T, HD, THETA);
  const [cs] = await readTensors(gpu, [tables.cs]);
  const ref = ropeTablesRef(T, HD, THETA);
  // Row t holds the cosines of the first half, then the sines (both halves repeat them).
  const pick = (a: ArrayLike<number>, from: number) =>
    Array.from({ length: T * h }, (_, k) => a[Math.floor(k / h) * HD + from + (k % h)]);
  // One f32 rounding of a value in [-1, 1]: at most 2^-25 ≈ 3e-8.
  assertClose(pick(cs, 0), pick(ref.cos, 0), { atol: 3e-8, rtol: 0, label: "cos" });
  assertClose(pick(cs, h), pick(ref.sin, 0), { atol: 3e-8, rtol: 0, label: "sin" });
  assertEquals(pick(ref.cos, 0), pick(ref.cos, h));
  tables.cs.release();
  assertThrows(() => ropeTables(gpu, 4, 7, THETA), RangeError, "even HD");
  assertThrows(() => ropeTables(gpu, 0, 8, THETA), RangeError, "T >= 1");
});
