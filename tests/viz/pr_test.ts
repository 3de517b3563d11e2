// Participation ratio on synthetic states of known dimensionality, and state collection.
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { Rng } from "../../datasets/rng.ts";
import { readTrace } from "../../lib/eval/trace.ts";
import {
  CovarianceAccumulator,
  participationRatio,
  prFromTraces,
  spectrum,
} from "../../lib/viz/pr.ts";
import { addTraceStates, emptyClouds, sliceSource } from "../../lib/viz/pr_collect.ts";
import { prTable, spectraPlot } from "../../lib/viz/pr_report.ts";
import type { SamplerSource } from "../../lib/train/sampler.ts";
import { vizFixture } from "./_fixtures.ts";

/** An orthonormal basis of R^D from a seed (Gram-Schmidt). */
function basis(D: number, seed: string): Float64Array[] {
  const rng = new Rng(seed), out: Float64Array[] = [];
  while (out.length < D) {
    const v = Float64Array.from({ length: D }, () => rng.float() * 2 - 1);
    for (const b of out) {
      let dot = 0;
      for (let k = 0; k < D; k++) dot += v[k] * b[k];
      for (let k = 0; k < D; k++) v[k] -= dot * b[k];
    }
    const n = Math.hypot(...v);
    out.push(v.map((x) => x / n));
  }
  return out;
}

/** ±scale_i·u_i for each axis i: mean `offset`, covariance Σ scale_i²/(2k)·u_iu_iᵀ exactly. */
function cloud(D: number, scales: number[], offset: number, seed: string): Float64Array[] {
  const u = basis(D, seed), out: Float64Array[] = [];
  scales.forEach((s, i) => {
    for (const sign of [1, -1]) out.push(u[i].map((x) => offset + sign * s * x));
  });
  return out;
}

Deno.test("PR of k equal-variance directions is k, whatever D and the mean", () => {
  for (const [D, k] of [[16, 1], [16, 8], [64, 30], [65, 64]]) {
    const acc = new CovarianceAccumulator(D);
    for (const x of cloud(D, Array(k).fill(1), 1e3, `k${k}`)) acc.add(x);
    const s = spectrum(acc);
    assertAlmostEquals(s.pr, k, 1e-8 * k, `D=${D} k=${k}`);
    assertEquals(s.samples, 2 * k);
    assertEquals(s.eigenvalues.length, D);
  }
});

Deno.test("PR of unequal variances is (Σλ)²/Σλ²", () => {
  // Scales 2,1,1,1,1 give variances 4,1,1,1,1 (times a constant): PR = 8²/20 = 3.2.
  const acc = new CovarianceAccumulator(12);
  for (const x of cloud(12, [2, 1, 1, 1, 1], -7, "uneq")) acc.add(x);
  assertAlmostEquals(spectrum(acc).pr, 3.2, 1e-10);
  assertEquals(participationRatio([4, 1, 1, 1, 1]), 3.2);
  assertEquals(participationRatio([1, -1e-18, 0]), 1);
  assertEquals(participationRatio([0, 0]), 0);
});

Deno.test("the accumulated covariance equals the two-pass covariance, odd D, partial blocks", () => {
  const D = 7, rng = new Rng("cov");
  const xs = Array.from(
    { length: 150 },
    () => Float64Array.from({ length: D }, (_, k) => 1e4 + k + rng.float() * (k + 1)),
  );
  const acc = new CovarianceAccumulator(D);
  for (const x of xs) acc.add(x);
  const mean = new Float64Array(D);
  for (const x of xs) x.forEach((v, k) => (mean[k] += v / xs.length));
  const got = acc.covariance();
  for (let i = 0; i < D; i++) {
    for (let j = 0; j < D; j++) {
      let c = 0;
      for (const x of xs) c += (x[i] - mean[i]) * (x[j] - mean[j]);
      // The large mean (1e4) would cost ~8 digits without the shift; 1e-9 relative keeps them.
      assertAlmostEquals(got[i * D + j], c / xs.length, 1e-9 * (1 + Math.abs(c / xs.length)));
    }
  }
  assertAlmostEquals(prFromTraces(got, D), spectrum(acc).pr, 1e-9);
  assertEquals(Array.from(new CovarianceAccumulator(3).covariance()), Array(9).fill(0));
});

Deno.test("trace states: token positions only, puzzle-embedding positions left out", async () => {
  const t = await readTrace(vizFixture("states.trace.safetensors"));
  const dims = { S: t.meta.seq_len, P: t.meta.puzzle_emb_len, D: t.meta.hidden_size };
  const clouds = emptyClouds(dims.D);
  addTraceStates(clouds, t, dims, { unit: "token", keep: 1, rng: new Rng(1) });
  assertEquals(clouds.z_H.count, 2 * 4 * 16);
  // float32 storage of the exact construction: PR 8 and 2 to ~1e-6.
  assertAlmostEquals(spectrum(clouds.z_H).pr, 8, 1e-5);
  assertAlmostEquals(spectrum(clouds.z_L).pr, 2, 1e-5);
  const seg = emptyClouds(dims.D);
  addTraceStates(seg, t, dims, { unit: "segment", keep: 1, rng: new Rng(1) });
  assertEquals(seg.z_H.count, 8);
});

Deno.test("subsampling keeps the same states for z_H and z_L and repeats exactly", async () => {
  const t = await readTrace(vizFixture("states.trace.safetensors"));
  const dims = { S: 16, P: 1, D: 16 };
  const run = () => {
    const c = emptyClouds(16);
    addTraceStates(c, t, dims, { unit: "token", keep: 0.5, rng: new Rng("s") });
    return c;
  };
  const a = run(), b = run();
  assertEquals(a.z_H.count, a.z_L.count);
  assert(a.z_H.count > 30 && a.z_H.count < 100, `kept ${a.z_H.count} of 128`);
  assertEquals(a.z_H.covariance(), b.z_H.covariance());
});

Deno.test("sliceSource rebases puzzles so chunks cover exactly their examples", () => {
  const S = 2;
  const src: SamplerSource = {
    inputs: Uint8Array.from({ length: 7 * S }, (_, i) => i),
    labels: Uint8Array.from({ length: 7 * S }, (_, i) => 100 + i),
    puzzle_identifiers: Int32Array.from([10, 11, 12]),
    puzzle_indices: Int32Array.from([0, 3, 5, 7]),
    group_indices: Int32Array.from([0, 3]),
    seq_len: S,
    pad_id: 0,
    ignore_label_id: null,
    blank_identifier_id: 0,
  };
  const s = sliceSource(src, 2, 6);
  assertEquals(Array.from(s.inputs), [4, 5, 6, 7, 8, 9, 10, 11]);
  assertEquals(Array.from(s.puzzle_identifiers), [10, 11, 12]);
  assertEquals(Array.from(s.puzzle_indices), [0, 1, 3, 4]);
  const one = sliceSource(src, 3, 5);
  assertEquals(Array.from(one.puzzle_identifiers), [11]);
  assertEquals(Array.from(one.puzzle_indices), [0, 2]);
});

Deno.test("PR table and spectra plot", () => {
  const sp = (pr: number) => ({ pr, samples: 100, eigenvalues: Float64Array.from([3, 2, 1, 0]) });
  const table = prTable([{ model: "trained", z_H: sp(89.95), z_L: sp(30.22) }, {
    model: "untrained",
    z_H: sp(42.09),
    z_L: sp(40.75),
  }]);
  const lines = table.trim().split("\n");
  assertEquals(lines.length, 3);
  assert(/^trained\s+89\.95\s+30\.22\s+2\.98\s+100$/.test(lines[1]), lines[1]);
  const cv = spectraPlot([{ model: "trained", z_H: sp(2.5), z_L: sp(2.5) }]);
  assertEquals([cv.width, cv.height], [720, 420]);
});
