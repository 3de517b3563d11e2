/**
 * Matmul timing shared by `bench/kernels.ts` and `bench/gpu.ts`: wall-clock around a few
 * dispatches in one submit plus one 4-byte readback (each readback costs >= 10 ms in Deno),
 * minus the measured cost of an empty submit + readback; the number of dispatches per submit is
 * sized from a first (compiling) run so each measurement lasts about `targetMs`.
 *
 * @module
 */
import type { Gpu } from "../lib/gpu/device.ts";
import { Encoder, readTensors, writeTensor } from "../lib/gpu/encoder.ts";
import { Tensor } from "../lib/gpu/tensor.ts";
import type { MatmulVariant } from "../lib/gpu/variants.ts";
import { matmul } from "../lib/ops/matmul.ts";
import { median } from "./_gpu_common.ts";

/** A matmul kernel to time: a variant or the naive baseline. */
export type MatmulKind = MatmulVariant | "naive";

/** Fills `t` with reproducible values in [-0.5, 0.5). */
export function fillRandom(t: Tensor, seed: number): void {
  const a = new Float32Array(t.size);
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  writeTensor(t, a);
}

/** max |a - b| / max |b| over two tensors of one size (b the reference). */
export async function maxRelDiff(gpu: Gpu, a: Tensor, b: Tensor): Promise<number> {
  const [x, y] = await readTensors(gpu, [a, b]);
  let maxV = 0, maxD = 0;
  for (let i = 0; i < x.length; i++) {
    maxV = Math.max(maxV, Math.abs(y[i]));
    maxD = Math.max(maxD, Math.abs(x[i] - y[i]));
  }
  return maxD / (maxV || 1);
}

/** Times `y = x·Wᵀ` (HRM's linear layer layout) for any kernel. */
export class MatmulTimer {
  readonly #gpu: Gpu;
  readonly #probe: Tensor;
  readonly #probe2: Tensor;
  /** Empty submit + readback in ms, measured by {@linkcode MatmulTimer.calibrate}. */
  overheadMs = 0;

  /** @param gpu The device. */
  constructor(gpu: Gpu) {
    this.#gpu = gpu;
    this.#probe = Tensor.empty(gpu, [1], "f32", "probe");
    this.#probe2 = Tensor.empty(gpu, [1], "f32", "probe2");
  }

  /** Measures the empty submit + readback (median of 5) and keeps it as the overhead. */
  async calibrate(): Promise<number> {
    const ts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const enc = new Encoder(this.#gpu);
      enc.copy(this.#probe2, this.#probe);
      enc.submit();
      await readTensors(this.#gpu, [this.#probe]);
      ts.push(performance.now() - t0);
    }
    this.overheadMs = median(ts);
    return this.overheadMs;
  }

  /** Wall ms of `per` matmuls in one submit plus one tiny readback (overhead included). */
  async wall(kind: MatmulKind, x: Tensor, W: Tensor, y: Tensor, per: number): Promise<number> {
    const t0 = performance.now();
    const enc = new Encoder(this.#gpu);
    for (let i = 0; i < per; i++) matmul(enc, x, W, { transB: true, out: y, variant: kind });
    enc.copy(Tensor.view(y, 0, [1]), this.#probe);
    enc.submit();
    await readTensors(this.#gpu, [this.#probe]);
    return performance.now() - t0;
  }

  /**
   * Dispatches per submit so one measurement lasts about `targetMs`: a first run compiles, a
   * second of 4 dispatches sizes (one dispatch can hide in the readback's noise).
   */
  async sizeRun(
    kind: MatmulKind,
    x: Tensor,
    W: Tensor,
    y: Tensor,
    targetMs: number,
  ): Promise<number> {
    await this.wall(kind, x, W, y, 1);
    const ms = Math.max(0.05, ((await this.wall(kind, x, W, y, 4)) - this.overheadMs) / 4);
    return Math.max(1, Math.min(64, Math.round(targetMs / ms)));
  }

  /**
   * GFLOP/s of one measurement of `per` dispatches (overhead subtracted). A measurement that the
   * readback's jitter could swallow (work under a tenth of the wall time) is taken again with 4×
   * the dispatches, up to twice.
   */
  async gflops(kind: MatmulKind, x: Tensor, W: Tensor, y: Tensor, per: number): Promise<number> {
    const [M, K] = x.shape, N = W.shape[0];
    let n = per, wall = await this.wall(kind, x, W, y, n);
    for (let retry = 0; retry < 2 && wall - this.overheadMs < 0.1 * wall; retry++) {
      n *= 4;
      wall = await this.wall(kind, x, W, y, n);
    }
    return 2 * M * K * N * n / (Math.max(wall - this.overheadMs, 0.1 * wall) * 1e6);
  }

  /** Frees the probes. */
  release(): void {
    this.#probe.release();
    this.#probe2.release();
  }
}
