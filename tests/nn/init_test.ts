// trunc_normal_init_ (models/common.py): erfinv accuracy, the corrected scale, the clip bound
// exactly, and the sample statistics of a fixed seed.
import { erfinv, truncNormal, truncNormalStd } from "../../lib/nn/init.ts";
import { Rng } from "../../datasets/rng.ts";
import { assert, assertEquals, assertThrows } from "@std/assert";

Deno.test("erfinv: known values and symmetry", () => {
  // scipy.special.erfinv.
  const known: [number, number][] = [
    [0, 0],
    [1e-10, 8.862269254527580e-11],
    [0.5, 0.4769362762044699],
    [0.9, 1.1630871536766743],
    [0.954499736103642, 1.414213562373098],
    [0.99, 1.8213863677184496],
    [-0.999999, -3.458910737275499],
  ];
  for (const [u, x] of known) {
    // Near ±1, x is as uncertain as erf's last bits divided by its tiny slope.
    const tol = Math.abs(u) > 0.999 ? 1e-10 : 1e-14;
    assert(Math.abs(erfinv(u) - x) <= tol * Math.abs(x), `erfinv(${u}) = ${erfinv(u)}`);
  }
  for (const u of [0.1, 0.3, 0.77]) assertEquals(erfinv(-u), -erfinv(u));
  assertEquals([erfinv(1), erfinv(-1)], [Infinity, -Infinity]);
  assert(Number.isNaN(erfinv(1.5)));
});

Deno.test("truncNormalStd: the reference's corrected scale", () => {
  // std / sqrt(1 − 4φ(2)/erf(√2)) computed independently: φ(2) = e^−2/√(2π).
  const phi2 = Math.exp(-2) / Math.sqrt(2 * Math.PI);
  const c = 1 / Math.sqrt(1 - (4 * phi2) / 0.9544997361036416);
  assert(Math.abs(truncNormalStd(1) - c) < 1e-12, `${truncNormalStd(1)} vs ${c}`);
  assert(Math.abs(c - 1.13685) < 1e-5);
  assert(Math.abs(truncNormalStd(0.25) - 0.25 * c) < 1e-12);
});

Deno.test("truncNormal: clip bound is exactly ±f32(2·c·std)", () => {
  const std = 1 / Math.sqrt(512);
  const bound = Math.fround(2 * truncNormalStd(std));
  // u at the very ends of [erf(−√2), erf(√2)): the inverse lands on (or, rounded, just past)
  // the bound, and the clip makes it exactly the bound.
  const lowest = { float: () => 0 } as unknown as Rng;
  assertEquals(truncNormal(lowest, 3, std)[2], -bound);
  const highest = { float: () => 1 - 2 ** -53 } as unknown as Rng;
  const top = truncNormal(highest, 1, std)[0];
  assert(top <= bound && top > bound * (1 - 1e-6), `top ${top} vs bound ${bound}`);
  const x = truncNormal(new Rng(5), 50_000, std);
  let max = 0;
  for (const v of x) max = Math.max(max, Math.abs(v));
  assert(max <= bound && max > 0.99 * bound, `max |x| ${max} vs bound ${bound}`);
});

Deno.test("truncNormal: fixed-seed statistics match the truncated normal", () => {
  const n = 200_000, std = 0.5;
  const x = truncNormal(new Rng(0), n, std);
  let s = 0, s2 = 0, inner = 0;
  const c = truncNormalStd(std);
  for (const v of x) {
    s += v;
    s2 += v * v;
    if (Math.abs(v) < c) inner++;
  }
  const mean = s / n, sd = Math.sqrt(s2 / n - mean * mean);
  // Standard errors: mean std/√n = 1.1e-3; sd ≈ std·0.55/√n·… ≈ 7e-4. Bounds are ~5σ.
  assert(Math.abs(mean) < 5e-3, `mean ${mean}`);
  assert(Math.abs(sd - std) < 4e-3, `std ${sd} vs ${std}`);
  // P(|z| < 1 | |z| < 2) = erf(1/√2)/erf(√2) = 0.71523; standard error 1e-3.
  assert(Math.abs(inner / n - 0.715232) < 5e-3, `inner fraction ${inner / n}`);
  // Same seed, same bits; another seed differs.
  assertEquals(truncNormal(new Rng(0), 100, std), x.slice(0, 100));
  assert(truncNormal(new Rng(1), 100, std).some((v, i) => v !== x[i]));
});

Deno.test("truncNormal: std 0 gives zeros; bad arguments throw", () => {
  assertEquals([...truncNormal(new Rng(1), 4, 0)], [0, 0, 0, 0]);
  assertEquals(truncNormal(new Rng(1), 0, 1).length, 0);
  assertThrows(() => truncNormal(new Rng(1), 2.5, 1), RangeError, "truncNormal: n must be");
  assertThrows(() => truncNormal(new Rng(1), 2, -1), RangeError, "truncNormal: std must be >= 0");
});
