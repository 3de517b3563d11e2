// Shared test helpers: a GPU guard that skips with a printed reason, closeness checks with
// labelled tolerances, and seeded random data.
import { type Gpu, requestGpu } from "../lib/gpu/device.ts";
import { Rng } from "../datasets/rng.ts";
import { AssertionError } from "@std/assert";

let gpuPromise: Promise<Gpu | undefined> | undefined;

/** The shared device, or undefined (after printing why) when no adapter exists. */
export function maybeGpu(): Promise<Gpu | undefined> {
  gpuPromise ??= requestGpu().catch((e) => {
    console.warn(`GPU tests skipped: ${(e as Error).message}`);
    return undefined;
  });
  return gpuPromise;
}

const gpu = await maybeGpu();

/** Registers a test that needs the GPU; it is ignored (with the reason printed once) without one. */
export function gpuTest(name: string, fn: (gpu: Gpu) => Promise<void> | void): void {
  Deno.test({
    name,
    ignore: !gpu,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () => fn(gpu!),
  });
}

/** Options of {@linkcode assertClose}. */
export interface CloseOptions {
  /** Absolute tolerance. */
  atol: number;
  /** Relative tolerance (times |expected|). */
  rtol: number;
  /** Names the quantity in the failure message. */
  label: string;
}

/**
 * Asserts `|a - e| <= atol + rtol * |e|` elementwise (NaN/Inf must match exactly), reporting the
 * worst element.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { atol, rtol, label }: CloseOptions,
): void {
  if (actual.length !== expected.length) {
    throw new AssertionError(`${label}: length ${actual.length} != ${expected.length}`);
  }
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i];
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      if (!Object.is(a, e)) {
        throw new AssertionError(`${label}[${i}]: got ${a}, expected ${e}`);
      }
      continue;
    }
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (worst >= 0) {
    throw new AssertionError(
      `${label}[${worst}]: got ${actual[worst]}, expected ${expected[worst]} ` +
        `(atol ${atol}, rtol ${rtol})`,
    );
  }
}

/** Maximum of |a - e| / max(|e|) over the arrays: a scale-free error measure. */
export function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let maxE = 0, maxD = 0;
  for (let i = 0; i < expected.length; i++) {
    maxE = Math.max(maxE, Math.abs(expected[i]));
    maxD = Math.max(maxD, Math.abs(actual[i] - expected[i]));
  }
  return maxD / (maxE || 1);
}

/** `n` seeded uniform values in [lo, hi). */
export function randomArray(seed: number, n: number, lo = -1, hi = 1): Float32Array {
  const r = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r.float();
  return out;
}

/** `n` seeded integers in [0, k). */
export function randomInts(seed: number, n: number, k: number): Int32Array {
  const r = new Rng(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = r.int(k);
  return out;
}
