/**
 * Section `step` of bench/gpu.ts: training steps of one preset (HRM or TRM, as the preset says)
 * at its global batch on random tokens of the task's shape, which do not change the speed. A
 * batch whose tensors exceed the adapter's buffer limits runs in micro-batches (the largest that
 * fit, or `microBatch`), their gradients summed before one optimizer step, as `hrm train` does. Reports the first step (pipeline
 * compilation included), steps/s over the timed steps, dispatches per step and the buffer pool's
 * peak bytes in use. With `profile` (bench/gpu.ts sets HRM_GPU_PROFILE=1 for it) it instead runs
 * one warm-up and `maxSteps` profiled steps and reports GPU ms per step by kernel and by kernel
 * family (the file name's first word: matmul, attention, rmsnorm, ...).
 *
 * Params: `{ preset, batch, microBatch?, S, V, overrides, seconds, maxSteps, profile }`.
 *
 * @module
 */
import { checkGpuErrors, requestGpu } from "../lib/gpu/device.ts";
import { gpuProfile } from "../lib/gpu/encoder.ts";
import { getPreset } from "../lib/config/presets.ts";
import { archFromConfig, type HrmArch, hrmDims } from "../lib/model/dims.ts";
import { largestFittingBatch } from "../lib/train/fit.ts";
import { sectionCall, sync, writeSection } from "./_gpu_common.ts";
import { benchStep } from "./_step.ts";

/** Parameters of the section. */
export interface StepParams {
  /** Preset name (sudoku-extreme, maze-hard, trm-sudoku-mlp, trm-maze, ...). */
  preset: string;
  /** The row's name when it differs from the preset's (e.g. a float32 run). */
  label?: string;
  /** Rows per step (the preset's global_batch_size). */
  batch: number;
  /** Rows per forward/backward pass; default: the largest under the buffer limits. */
  microBatch?: number;
  /** Sequence length of the task (Sudoku 81, Maze 900). */
  S: number;
  /** Vocabulary of the task (Sudoku 11, Maze 6). */
  V: number;
  /** Architecture overrides, e.g. a tiny model for the software check. */
  overrides: Partial<HrmArch>;
  /** Seconds of timed steps (after the first). */
  seconds: number;
  /** At most this many timed (or profiled) steps. */
  maxSteps: number;
  /** Profile instead of timing (needs HRM_GPU_PROFILE=1 in the environment). */
  profile: boolean;
}

const { params: p, out } = sectionCall<StepParams>();
const gpu = await requestGpu();
const arch = {
  ...archFromConfig(getPreset(p.preset).arch, {
    vocab_size: p.V,
    seq_len: p.S,
    num_puzzle_identifiers: 1,
  }),
  ...p.overrides,
};
const notes: string[] = [];
const B = p.batch;
const fit = largestFittingBatch(gpu.limits, arch, hrmDims(arch), B);
if (fit === 0) throw new Error(`${p.preset}: not even one row fits this adapter's buffer limits`);
const micro = Math.min(p.microBatch ?? B, fit);
if (micro < B) notes.push(`${p.preset}: batch ${B} in micro-batches of ${micro}`);
const bench = benchStep(gpu, p.preset, p.overrides, B, { S: p.S, V: p.V }, {
  microBatchSize: micro,
});
const trainer = bench.trainer;
const step = () => bench.run();
const base = gpu.pool.stats().inUseBytes;
gpu.pool.resetPeak();
let t0 = performance.now();
step();
await sync(gpu);
checkGpuErrors(gpu, `${p.preset} first step`);
const firstStepS = (performance.now() - t0) / 1000;
const row: Record<string, unknown> = {
  section: p.profile ? "profile" : "steps",
  preset: p.preset,
  model: arch.kind,
  label: p.label ?? p.preset,
  forward_dtype: arch.forward_dtype ?? "float32",
  compute_dtype: bench.model.computeDtype,
  batch: B,
  micro_batch: micro,
  seq_len: p.S,
  vocab_size: p.V,
  overrides: p.overrides,
  first_step_s: firstStepS,
  dispatches_per_step: trainer.lastDispatches,
};
if (!p.profile) {
  // Timed steps: submit ahead, sync at the end (a training loop reads metrics every N steps).
  let n = 0;
  t0 = performance.now();
  while (n < p.maxSteps && (n === 0 || performance.now() - t0 < p.seconds * 1000)) {
    step();
    n++;
    // Sync every few steps so the time check sees GPU time, not only encoding.
    if (n % 2 === 0) await sync(gpu);
  }
  await sync(gpu);
  checkGpuErrors(gpu, `${p.preset} timed steps`);
  const s = (performance.now() - t0) / 1000;
  const stats = gpu.pool.stats();
  Object.assign(row, {
    steps: n,
    seconds: s,
    steps_per_s: n / s,
    ms_per_step: 1000 * s / n,
    examples_per_s: n * B / s,
    tokens_per_s: n * B * p.S / s,
    peak_in_use_bytes: stats.peakInUseBytes,
    peak_step_bytes: stats.peakInUseBytes - base,
    pool_allocated_bytes: stats.allocatedBytes,
  });
  console.log(
    `${p.label ?? p.preset} (${arch.kind}, ${bench.model.computeDtype}, batch ${B}${
      micro < B ? ` in micro-batches of ${micro}` : ""
    }): ${(n / s).toFixed(3)} steps/s, ${(1000 * s / n).toFixed(0)} ms/step, first step ${
      firstStepS.toFixed(1)
    } s, ${trainer.lastDispatches} dispatches, ` +
      `peak ${(stats.peakInUseBytes / 2 ** 30).toFixed(2)} GiB in use`,
  );
} else {
  const before = new Map(
    [...(await gpuProfile(gpu))].map(([k, v]) => [k, { ...v }]),
  );
  for (let i = 0; i < p.maxSteps; i++) step();
  await sync(gpu);
  checkGpuErrors(gpu, `${p.preset} profiled steps`);
  const after = await gpuProfile(gpu);
  const kernels: { kernel: string; ms: number; count: number }[] = [];
  const families: Record<string, number> = {};
  let total = 0;
  for (const [k, v] of after) {
    const b = before.get(k) ?? { count: 0, ms: 0 };
    const ms = (v.ms - b.ms) / p.maxSteps, count = (v.count - b.count) / p.maxSteps;
    if (count <= 0) continue;
    kernels.push({ kernel: k, ms, count });
    const family = k.split(":")[0].split("_")[0];
    families[family] = (families[family] ?? 0) + ms;
    total += ms;
  }
  kernels.sort((a, b) => b.ms - a.ms);
  Object.assign(row, {
    profiled_steps: p.maxSteps,
    gpu_ms_per_step: total,
    family_ms_per_step: families,
    top_kernels: kernels.slice(0, 20),
  });
  console.log(`${p.preset} (batch ${B}) GPU ms per step by family (sum ${total.toFixed(1)}):`);
  for (const [f, ms] of Object.entries(families).sort((a, b) => b[1] - a[1])) {
    console.log(
      `  ${f.padEnd(14)} ${ms.toFixed(2).padStart(10)} ms  ${(100 * ms / total).toFixed(1)}%`,
    );
  }
}
bench.release();
await writeSection(out, { rows: [row], notes });
