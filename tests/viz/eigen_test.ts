// The symmetric eigen solver against matrices of known spectrum.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { Rng } from "../../datasets/rng.ts";
import {
  symmetricEigenvalues,
  tridiagonalEigenvalues,
  tridiagonalize,
} from "../../lib/viz/eigen.ts";

/** Q·diag(λ)·Qᵀ with Q a product of random Householder reflections. */
function withSpectrum(lambda: number[], seed: string): Float64Array {
  const n = lambda.length, rng = new Rng(seed);
  let a = new Float64Array(n * n);
  lambda.forEach((l, i) => (a[i * n + i] = l));
  for (let r = 0; r < 3; r++) {
    const v = Float64Array.from({ length: n }, () => rng.float() * 2 - 1);
    const norm = Math.hypot(...v);
    v.forEach((x, i) => (v[i] = x / norm));
    const av = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) av[i] += a[i * n + j] * v[j];
    let vav = 0;
    for (let i = 0; i < n; i++) vav += v[i] * av[i];
    const b = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        b[i * n + j] = a[i * n + j] - 2 * v[i] * av[j] - 2 * av[i] * v[j] + 4 * vav * v[i] * v[j];
      }
    }
    a = b;
  }
  return a;
}

function maxErr(got: Float64Array, lambda: number[]): number {
  const want = [...lambda].sort((x, y) => y - x);
  return Math.max(0, ...want.map((w, i) => Math.abs(got[i] - w)));
}

Deno.test("eigenvalues of matrices with known spectra, largest first", () => {
  for (const n of [1, 2, 3, 7, 33, 128]) {
    const rng = new Rng(`lambda${n}`);
    const lambda = Array.from({ length: n }, () => rng.float() * 20 - 5);
    const a = withSpectrum(lambda, `q${n}`);
    const ev = symmetricEigenvalues(a, n);
    // Backward-stable: error ~ eps·‖A‖·n; 1e-11 leaves room without hiding a real bug.
    assert(maxErr(ev, lambda) < 1e-11, `n=${n}: max error ${maxErr(ev, lambda)}`);
    for (let i = 1; i < n; i++) assert(ev[i - 1] >= ev[i], "not sorted");
  }
});

Deno.test("repeated, zero and clustered eigenvalues (a low-rank covariance)", () => {
  const lambda = [5, 5, 5, 1, 0, 0, 0, 0, 0, 0, 1e-9, 1e-9, 2, 2, 0, 0];
  const ev = symmetricEigenvalues(withSpectrum(lambda, "rep"), lambda.length);
  assert(maxErr(ev, lambda) < 1e-12, `max error ${maxErr(ev, lambda)}`);
  assertEquals(Array.from(symmetricEigenvalues(new Float64Array(9), 3)), [0, 0, 0]);
  assertEquals(
    Array.from(symmetricEigenvalues(Float64Array.from([3, 0, 0, 0, -1, 0, 0, 0, 2]), 3)),
    [3, 2, -1],
  );
});

Deno.test("trace and Frobenius norm are preserved for a random symmetric matrix", () => {
  const n = 60, rng = new Rng("sym");
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = rng.float() * 2 - 1;
  }
  const ev = symmetricEigenvalues(a, n);
  let tr = 0, fro = 0, s = 0, s2 = 0;
  for (let i = 0; i < n; i++) tr += a[i * n + i];
  for (const x of a) fro += x * x;
  for (const l of ev) {
    s += l;
    s2 += l * l;
  }
  assert(Math.abs(s - tr) < 1e-10 && Math.abs(s2 - fro) < 1e-9, `${s} vs ${tr}, ${s2} vs ${fro}`);
});

Deno.test("tridiagonal reduction keeps the spectrum; QL solves a tridiagonal directly", () => {
  const a = withSpectrum([4, 3, 2, 1, 0.5], "tri");
  const { d, e } = tridiagonalize(a, 5);
  assertEquals(e[4], 0);
  tridiagonalEigenvalues(d, e);
  assert(maxErr(d.sort().reverse(), [4, 3, 2, 1, 0.5]) < 1e-12);
  // [2 -1; -1 2 -1; -1 2] has eigenvalues 2 - √2, 2, 2 + √2.
  const d2 = Float64Array.from([2, 2, 2]), e2 = Float64Array.from([-1, -1, 0]);
  tridiagonalEigenvalues(d2, e2);
  assert(maxErr(d2.sort().reverse(), [2 - Math.SQRT2, 2, 2 + Math.SQRT2]) < 1e-14);
  assertThrows(() => symmetricEigenvalues(new Float64Array(3), 2), RangeError);
});
