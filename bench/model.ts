/**
 * Model benchmark: one HRM block forward+backward at paper width, whole training steps of the CPU
 * presets (steps/s, tokens/s, dispatches per step, and time against the step's matmul FLOPs at
 * the best matmul rate measured in the same run), peak GPU memory of a step at H_cycles/L_cycles
 * 2/2 against 4/4 (the 1-step gradient keeps activations flat), and the same step as a plain
 * PyTorch-CPU program (bench/torch_hrm.py: hidden 128, 4 heads, 2+2 layers, cycles 2/2, batch
 * 32×81, 2 threads) interleaved with hrm's in one run, when PyTorch is installed (Debian
 * `python3-torch`; skipped with the reason printed otherwise). TRM's step beside HRM's in the
 * same run: the demo presets, and paper width (trm-sudoku-mlp, hidden 512) at L_cycles 4 and 6
 * (gradient through the whole last cycle: activations grow with L_cycles).
 * Writes bench/results/model.json. `--quick` runs fewer repetitions; `--torch-only` runs just
 * the PyTorch comparison.
 *
 * @module
 */
import { requestGpu } from "../lib/gpu/device.ts";
import { Encoder, readTensors, upload } from "../lib/gpu/encoder.ts";
import { Tensor } from "../lib/gpu/tensor.ts";
import { matmul } from "../lib/ops/matmul.ts";
import type { HrmArch } from "../lib/model/dims.ts";
import { blockBackward, blockForward } from "../lib/nn/block.ts";
import { benchStep, stepMatmulFlops } from "./_step.ts";

const quick = Deno.args.includes("--quick");
const torchOnly = Deno.args.includes("--torch-only");
const reps = quick ? 2 : 5;
const gpu = await requestGpu();
const info = gpu.adapter.info;
console.log(`adapter: ${info.description} (fallback ${gpu.isFallbackAdapter}, ${gpu.backend})`);

async function sync(): Promise<void> {
  const t = Tensor.empty(gpu, [1]);
  await readTensors(gpu, [t]);
  t.release();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Best matmul rate at a representative shape, for the step-efficiency ratio. */
async function matmulRate(M: number, K: number, N: number): Promise<number> {
  const a = upload(gpu, new Float32Array(M * K).fill(0.01), [M, K]);
  const w = upload(gpu, new Float32Array(N * K).fill(0.01), [N, K]);
  const out = Tensor.empty(gpu, [M, N]);
  const times: number[] = [];
  for (let r = 0; r < reps + 1; r++) {
    const t0 = performance.now();
    const enc = new Encoder(gpu);
    for (let i = 0; i < 4; i++) matmul(enc, a, w, { transB: true, out });
    enc.submit();
    await sync();
    if (r > 0) times.push((performance.now() - t0) / 4);
  }
  for (const t of [a, w, out]) t.release();
  return 2 * M * K * N / (median(times) / 1000) / 1e9;
}

const rows: Record<string, unknown>[] = [];
const rate = await matmulRate(4096, 256, 1024);
console.log(`best matmul in this run: ${rate.toFixed(2)} GFLOP/s at (4096, 256, 1024)`);
rows.push({ what: "matmul reference rate", gflops: rate });

// One block at paper width (D 512, 8 heads, F 1536), sudoku length T 82, a small batch.
if (!torchOnly) {
  const B = quick ? 2 : 4, T = 82, D = 512, NH = 8, HD = 64, F = 1536;
  const mk = (n: number, std: number) =>
    upload(gpu, Float32Array.from({ length: n }, () => (Math.random() - 0.5) * std), [n]);
  const w = {
    qkv: mk(3 * D * D, 0.08).reshape([3 * D, D]),
    o: mk(D * D, 0.08).reshape([D, D]),
    gate_up: mk(2 * F * D, 0.08).reshape([2 * F, D]),
    down: mk(D * F, 0.05).reshape([D, F]),
  };
  const dw = {
    qkv: Tensor.empty(gpu, [3 * D, D]),
    o: Tensor.empty(gpu, [D, D]),
    gate_up: Tensor.empty(gpu, [2 * F, D]),
    down: Tensor.empty(gpu, [D, F]),
  };
  const x = mk(B * T * D, 2).reshape([B * T, D]);
  const dy = mk(B * T * D, 1).reshape([B * T, D]);
  const ctx = { B, T, D, NH, HD, eps: 1e-5, rope: undefined };
  const times: number[] = [];
  let dispatches = 0;
  for (let r = 0; r < reps + 1; r++) {
    const t0 = performance.now();
    const enc = new Encoder(gpu);
    const { y, saved } = blockForward(enc, w, x, ctx, true);
    const dx = blockBackward(enc, w, dw, dy, saved!, ctx);
    y.release();
    dx.release();
    dispatches = enc.dispatches;
    enc.submit();
    await sync();
    if (r > 0) times.push(performance.now() - t0);
  }
  const flops = 3 * 2 * B * T * (D * 3 * D + D * D + D * 2 * F + F * D);
  const ms = median(times);
  console.log(
    `HRM block fwd+bwd (B ${B}, T ${T}, D ${D}): ${ms.toFixed(1)} ms, ${dispatches} dispatches, ${
      (flops / ms / 1e6).toFixed(2)
    } GFLOP/s (linear layers)`,
  );
  rows.push({
    what: "HRM block forward+backward",
    B,
    T,
    D,
    ms,
    dispatches,
    gflops: flops / ms / 1e6,
  });
  for (const t of [...Object.values(w), ...Object.values(dw), x, dy]) t.release();
}

// Whole training steps of the CPU presets (random tokens; speed does not depend on them).
async function stepBench(
  name: string,
  preset: string,
  overrides: Partial<HrmArch> = {},
  batch?: number,
  shape?: { S: number; V: number },
) {
  const st = benchStep(gpu, preset, overrides, batch, shape);
  const { model, trainer, arch, B, S } = st;
  st.run();
  await sync();
  const base = gpu.pool.stats().inUseBytes;
  gpu.pool.resetPeak();
  const t0 = performance.now();
  const n = reps;
  for (let i = 0; i < n; i++) st.run();
  await sync();
  const ms = (performance.now() - t0) / n;
  const peak = gpu.pool.stats().peakInUseBytes - base;
  const flops = stepMatmulFlops(model, B);
  const ideal = flops / (rate * 1e9) * 1000;
  const row = {
    what: name,
    model: model.kind,
    preset,
    B,
    cycles: `${arch.H_cycles}/${arch.L_cycles}`,
    ms_per_step: ms,
    steps_per_s: 1000 / ms,
    tokens_per_s: B * S * 1000 / ms,
    dispatches_per_step: trainer.lastDispatches,
    activation_peak_mb: peak / 2 ** 20,
    activation_peak_mb_per_row: peak / 2 ** 20 / B,
    matmul_gflop: flops / 1e9,
    ratio_to_matmul_bound: ms / ideal,
  };
  console.log(
    `${name}: ${ms.toFixed(0)} ms/step, ${
      row.tokens_per_s.toFixed(0)
    } tokens/s, ${trainer.lastDispatches} dispatches, ` +
      `activations ${row.activation_peak_mb.toFixed(1)} MB, ${
        row.ratio_to_matmul_bound.toFixed(2)
      }× the matmul bound`,
  );
  rows.push(row);
  st.release();
}

/** The Python with PyTorch importable, or the reason there is none. */
async function findTorch(): Promise<{ python: string } | { reason: string }> {
  const reasons: string[] = [];
  for (const python of ["/usr/bin/python3", "python3"]) {
    try {
      const out = await new Deno.Command(python, {
        args: ["-c", "import torch; print(torch.__version__)"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (out.success) return { python };
      const err = new TextDecoder().decode(out.stderr).trim().split("\n").pop();
      reasons.push(`${python}: ${err}`);
    } catch (e) {
      reasons.push(`${python}: ${(e as Error).message}`);
    }
  }
  return { reason: reasons.join("; ") };
}

/**
 * hrm's step against bench/torch_hrm.py at the same shapes, interleaved round by round (the host
 * is shared and its speed drifts), medians of the rounds. The ratio is hrm's steps/s over
 * PyTorch's.
 */
async function torchComparison(): Promise<void> {
  const shape = { hidden: 128, heads: 4, layers: 2, cycles: 2, batch: 32, threads: 2 };
  const found = await findTorch();
  if ("reason" in found) {
    console.log(
      `PyTorch comparison skipped: no PyTorch (${found.reason}); apt-get install python3-torch`,
    );
    rows.push({ what: "PyTorch-CPU comparison", skipped: found.reason });
    return;
  }
  const st = benchStep(gpu, "sudoku-cpu", {
    hidden_size: shape.hidden,
    num_heads: shape.heads,
    H_layers: shape.layers,
    L_layers: shape.layers,
    H_cycles: shape.cycles,
    L_cycles: shape.cycles,
    puzzle_emb_ndim: shape.hidden,
  }, shape.batch);
  st.run();
  await sync();
  const rounds = quick ? 2 : 3, steps = quick ? 2 : 3;
  const ours: number[] = [], theirs: number[] = [];
  let torchInfo: Record<string, unknown> = {};
  // Debian's OpenBLAS picks a slow kernel on this CPU unless told (cpu-throughput.md).
  const env: Record<string, string> = {};
  if (!Deno.env.get("OPENBLAS_CORETYPE")) env.OPENBLAS_CORETYPE = "SkylakeX";
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) st.run();
    await sync();
    ours.push((performance.now() - t0) / steps);
    const args = [
      new URL("./torch_hrm.py", import.meta.url).pathname,
      ...Object.entries(shape).flatMap(([k, v]) => [`--${k}`, String(v)]),
      "--steps",
      String(steps),
    ];
    const out = await new Deno.Command(found.python, { args, env, stdout: "piped" }).output();
    if (!out.success) throw new Error(`bench/torch_hrm.py failed (exit ${out.code})`);
    torchInfo = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
    theirs.push(torchInfo.ms_per_step as number);
  }
  const a = median(ours), b = median(theirs);
  const flops = stepMatmulFlops(st.model, st.B);
  const ratioBound = a / (flops / (rate * 1e9) * 1000);
  console.log(
    `hrm step (hidden ${shape.hidden}, ${shape.heads} heads, ${shape.layers}+${shape.layers} ` +
      `layers, cycles ${shape.cycles}/${shape.cycles}, B ${shape.batch}): ${a.toFixed(0)} ms ` +
      `(${st.trainer.lastDispatches} dispatches, ${ratioBound.toFixed(2)}× the matmul bound); ` +
      `PyTorch ${torchInfo.torch} CPU, ${shape.threads} threads: ${b.toFixed(0)} ms; ` +
      `hrm/PyTorch speed ${(b / a).toFixed(2)}×`,
  );
  rows.push({
    what: "PyTorch-CPU comparison",
    shape,
    hrm_ms_per_step: a,
    hrm_rounds_ms: ours,
    hrm_dispatches_per_step: st.trainer.lastDispatches,
    hrm_ratio_to_matmul_bound: ratioBound,
    torch_ms_per_step: b,
    torch_rounds_ms: theirs,
    torch: torchInfo.torch,
    openblas_coretype: env.OPENBLAS_CORETYPE ?? Deno.env.get("OPENBLAS_CORETYPE"),
    speed_ratio: b / a,
  });
  st.release();
}

if (!torchOnly) {
  await stepBench("train step sudoku-cpu", "sudoku-cpu");
  await stepBench("train step, cycles 2/2", "sudoku-cpu", { H_cycles: 2, L_cycles: 2 }, 8);
  await stepBench("train step, cycles 4/4", "sudoku-cpu", { H_cycles: 4, L_cycles: 4 }, 8);
  // TRM beside HRM: the demo presets, then paper width (hidden 512) at a batch lavapipe can run;
  // activations scale linearly with the batch (activation_peak_mb_per_row).
  const mini = { S: 16, V: 6 }; // 4×4 Sudoku
  await stepBench("HRM train step sudoku-mini (demo)", "sudoku-mini", {}, undefined, mini);
  await stepBench("TRM train step trm-sudoku-mini (demo)", "trm-sudoku-mini", {}, undefined, mini);
  const wide = quick ? 2 : 4;
  await stepBench("HRM train step paper width (sudoku-extreme)", "sudoku-extreme", {}, wide);
  // float16 mixed precision at the same shape: f16 matmul operands (rounded by the texture
  // kernel's pack on software adapters, so slower there), the saved activations stored f16.
  if (gpu.features.has("shader-f16")) {
    await stepBench(
      "HRM train step paper width, forward_dtype float16",
      "sudoku-extreme",
      { forward_dtype: "float16" },
      wide,
    );
  } else console.log("float16 step skipped: the adapter has no shader-f16");
  for (const L_cycles of [4, 6]) {
    await stepBench(
      `TRM train step paper width (trm-sudoku-mlp), L_cycles ${L_cycles}`,
      "trm-sudoku-mlp",
      { L_cycles },
      wide,
    );
  }
}
await torchComparison();

await Deno.mkdir(new URL("./results", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("./results/model.json", import.meta.url),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      deno: Deno.version.deno,
      adapter: info.description,
      fallback: gpu.isFallbackAdapter,
      load_average: Deno.loadavg()[0],
      rows,
    },
    null,
    2,
  ) + "\n",
);
