/**
 * Per-kernel GPU time of one training step (timestamp queries around every dispatch, the
 * `HRM_GPU_PROFILE=1` path of the encoder): which kernels a step spends its time in and how many
 * dispatches each makes. Texture matmuls are timed per pass (operand packs + the matmul); their
 * copyBufferToTexture copies run outside passes and are not in the table, so the "step (wall)"
 * line, timed without profiling, is the figure to compare against.
 *
 * ```sh
 * deno run -A bench/profile.ts [--preset sudoku-cpu] [--hidden 128 --heads 4] [--batch 32]
 * ```
 *
 * Writes bench/results/profile.json.
 *
 * @module
 */
import { parseArgs } from "@std/cli";

const args = parseArgs(Deno.args, {
  string: ["preset", "hidden", "heads", "batch", "steps"],
  default: { preset: "sudoku-cpu", steps: "2" },
});
// The encoder reads HRM_GPU_PROFILE when it is loaded, so the GPU modules come in afterwards.
Deno.env.set("HRM_GPU_PROFILE", "1");
const { requestGpu } = await import("../lib/gpu/device.ts");
const { gpuProfile, readTensors } = await import("../lib/gpu/encoder.ts");
const { Tensor } = await import("../lib/gpu/tensor.ts");
const { benchStep } = await import("./_step.ts");

const gpu = await requestGpu();
console.log(`adapter: ${gpu.adapter.info.description} (${gpu.backend})`);
const overrides: Record<string, number> = {};
if (args.hidden) overrides.hidden_size = Number(args.hidden);
if (args.heads) overrides.num_heads = Number(args.heads);
const step = benchStep(
  gpu,
  String(args.preset),
  overrides,
  args.batch ? Number(args.batch) : undefined,
);
const sync = async () => {
  const t = Tensor.empty(gpu, [1]);
  await readTensors(gpu, [t]);
  t.release();
};
step.run(); // warm-up: compiles every pipeline
await sync();
(await gpuProfile(gpu)).clear();
const n = Number(args.steps);
const t0 = performance.now();
for (let i = 0; i < n; i++) step.run();
await sync();
const wallMs = (performance.now() - t0) / n;
const prof = await gpuProfile(gpu);
const rows = [...prof.entries()].map(([kernel, e]) => ({
  kernel,
  dispatches: e.count / n,
  ms: e.ms / n,
})).sort((a, b) => b.ms - a.ms);
const total = rows.reduce((s, r) => s + r.ms, 0);
const isMatmul = (k: string) => k.startsWith("matmul");
const mm = rows.filter((r) => isMatmul(r.kernel)).reduce((s, r) => s + r.ms, 0);
console.log(
  `${args.preset} ${JSON.stringify(overrides)} B ${step.B}: ` +
    `${step.trainer.lastDispatches} dispatches per step; profiled step ${
      wallMs.toFixed(0)
    } ms wall`,
);
console.log(
  `${"kernel".padEnd(44)} ${"disp".padStart(5)} ${"ms".padStart(8)} ${"share".padStart(6)}`,
);
for (const r of rows) {
  console.log(
    `${r.kernel.padEnd(44)} ${String(r.dispatches).padStart(5)} ${r.ms.toFixed(1).padStart(8)} ${
      (100 * r.ms / total).toFixed(1).padStart(5)
    }%`,
  );
}
console.log(
  `timed GPU work ${total.toFixed(0)} ms per step: matmul passes ${mm.toFixed(0)} ms (${
    (100 * mm / total).toFixed(0)
  }%), everything else ${(total - mm).toFixed(0)} ms`,
);
step.release();
await Deno.mkdir(new URL("./results", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("./results/profile.json", import.meta.url),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      deno: Deno.version.deno,
      adapter: gpu.adapter.info.description,
      preset: args.preset,
      overrides,
      batch: step.B,
      dispatches_per_step: step.trainer.lastDispatches,
      profiled_wall_ms: wallMs,
      timed_ms: total,
      matmul_ms: mm,
      load_average: Deno.loadavg()[0],
      rows,
    },
    null,
    2,
  ) + "\n",
);
