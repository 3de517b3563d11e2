// The Q head (q_head on z_H[:, 0], one dispatch each way) against the float64 linear reference
// (tests/ref/matmul.ts, itself checked against matmulRef), with and without puzzle slots' worth
// of positions after position 0.
import { qHeadBackward, qHeadForward } from "../../lib/ops/q_head.ts";
import { Encoder, readTensors, upload } from "../../lib/gpu/encoder.ts";
import { Tensor } from "../../lib/gpu/tensor.ts";
import { linearAccumulateRef, linearRef } from "../ref/matmul.ts";
import { assertClose, gpuTest, randomArray } from "../_helpers.ts";
import { assertEquals, assertThrows } from "@std/assert";

gpuTest("qHead: forward and accumulating backward match float64", async (gpu) => {
  const before = gpu.pool.stats().inUseBuffers;
  for (const [B, T, D] of [[1, 1, 1], [3, 5, 7], [32, 97, 64], [5, 2, 256]]) {
    const z = randomArray(B + T, B * T * D, -3, 3), w = randomArray(D, 2 * D);
    const bias = randomArray(7, 2), dq = randomArray(B, 2 * B);
    const dz0 = randomArray(T, B * T * D), dw0 = randomArray(D + 1, 2 * D);
    const db0 = randomArray(B + 1, 2);
    const tz = upload(gpu, z, [B, T, D]), tw = upload(gpu, w, [2, D]), tb = upload(gpu, bias, [2]);
    const tdq = upload(gpu, dq, [B, 2]), tdz = upload(gpu, dz0, [B, T, D]);
    const tdw = upload(gpu, dw0, [2, D]), tdb = upload(gpu, db0, [2]);
    const enc = new Encoder(gpu);
    const q = qHeadForward(enc, tz, tw, tb);
    qHeadBackward(enc, tz, tw, tdq, tdz, tdw, tdb);
    enc.submit();
    const [qh, qc, dz, dw, db] = await readTensors(gpu, [
      q.q_halt_logits,
      q.q_continue_logits,
      tdz,
      tdw,
      tdb,
    ]);
    // Reference: z[:, 0] through a float64 linear layer.
    const z0 = Float64Array.from({ length: B * D }, (_, i) => z[Math.floor(i / D) * T * D + i % D]);
    const qRef = linearRef(z0, w, B, D, 2);
    const dwRef = Float64Array.from(dw0);
    const dz0Ref = linearAccumulateRef(dq, z0, w, dwRef, B, D, 2);
    const dzRef = Float64Array.from(dz0);
    for (let b = 0; b < B; b++) {
      for (let d = 0; d < D; d++) dzRef[b * T * D + d] += dz0Ref[b * D + d];
    }
    const dbRef = [0, 1].map((j) =>
      db0[j] + Array.from({ length: B }, (_, b) => dq[2 * b + j]).reduce((a, x) => a + x, 0)
    );
    const label = `B=${B} T=${T} D=${D}`;
    // Sums of D (or B) f32 products: a few ulp of the sum of |terms| (≤ D·9 here).
    const tol = { atol: 2e-6 * Math.max(B, D), rtol: 1e-5 };
    assertClose(qh, Array.from({ length: B }, (_, b) => qRef[2 * b] + bias[0]), {
      ...tol,
      label: `${label} q_halt`,
    });
    assertClose(qc, Array.from({ length: B }, (_, b) => qRef[2 * b + 1] + bias[1]), {
      ...tol,
      label: `${label} q_continue`,
    });
    assertClose(dz, dzRef, { ...tol, label: `${label} dz` });
    assertClose(dw, dwRef, { ...tol, label: `${label} dW` });
    assertClose(db, dbRef, { ...tol, label: `${label} dbias` });
    for (const t of [tz, tw, tb, tdq, tdz, tdw, tdb, q.q_halt_logits, q.q_continue_logits]) {
      t.release();
    }
  }
  assertEquals(gpu.pool.stats().inUseBuffers, before);
});

gpuTest("qHead: errors name the op and shapes", (gpu) => {
  const z = Tensor.empty(gpu, [2, 3, 4], "f32", "z"), w = Tensor.empty(gpu, [2, 5], "f32", "w");
  const b = Tensor.empty(gpu, [2], "f32", "b");
  const enc = new Encoder(gpu);
  assertThrows(() => qHeadForward(enc, z, w, b), RangeError, "qHeadForward: z z [2,3,4] must be");
  enc.submit();
  for (const t of [z, w, b]) t.release();
});
