/**
 * Kernel benchmark: matmul GFLOP/s (2·M·K·N per second) for every variant next to the naive
 * kernel (one invocation per output) in the same run, at HRM's shapes — (B·T, 512, 1536) qkv,
 * (B·T, 512, 3072) gate_up, (B·T, 1536, 512) down, as (M, K, N) with y = x·Wᵀ — and at
 * (4096, 256, 1024) and (8192, 512, 512). The machine may be shared and noisy, so variants are
 * interleaved within each repeat and the table reports medians, the spread and the ratio to the
 * naive median. Time is wall-clock around a few dispatches per submit and one tiny readback
 * (each readback costs >= 10 ms in Deno), minus the measured cost of an empty submit + readback.
 * The texture variant's time includes copying its operands into textures. Each variant's result
 * is checked against the naive kernel's once per shape.
 *
 * Prints a table and writes bench/results/kernels.json.
 *
 * Run: `deno run -A bench/kernels.ts [--quick] [--reps 5] [--variants texture,buffer,tiled]
 * [--bt 648,2592]`.
 *
 * @module
 */
import { parseArgs } from "@std/cli";
import { dirname, fromFileUrl, join } from "@std/path";
import { requestGpu } from "../lib/gpu/device.ts";
import { Tensor } from "../lib/gpu/tensor.ts";
import { atomicWriteText } from "../lib/io/atomic_write.ts";
import { isSoftwareAdapter, type MatmulVariant, parseMatmulVariant } from "../lib/gpu/variants.ts";
import { fillRandom, type MatmulKind, MatmulTimer, maxRelDiff } from "./_matmul_timing.ts";
import { median } from "./_gpu_common.ts";

const args = parseArgs(Deno.args, {
  boolean: ["quick"],
  string: ["reps", "variants", "bt"],
});
const gpu = await requestGpu();
const software = isSoftwareAdapter(gpu);
const quick = Boolean(args.quick);
const reps = Number(args.reps ?? (quick ? 3 : 5));
const variants: MatmulVariant[] = args.variants
  ? String(args.variants).split(",").map(parseMatmulVariant)
  : ["texture", "buffer", "tiled"];
// Rows B·L for Sudoku (L = 81) with B = 8, 32, 64 and 768 (the paper's global batch).
const bts = args.bt
  ? String(args.bt).split(",").map(Number)
  : software
  ? (quick ? [648] : [648, 2592])
  : (quick ? [648, 62208] : [648, 5184, 62208]);
/** Target GPU time per measured submit: well above the ~11 ms readback, short enough to repeat. */
const TARGET_MS = software ? (quick ? 250 : 500) : 100;

interface Shape {
  name: string;
  M: number;
  K: number;
  N: number;
}
const shapes: Shape[] = [];
for (const bt of bts) {
  shapes.push({ name: "qkv", M: bt, K: 512, N: 1536 });
  shapes.push({ name: "gate_up", M: bt, K: 512, N: 3072 });
  shapes.push({ name: "down", M: bt, K: 1536, N: 512 });
}
shapes.push({ name: "ref", M: 4096, K: 256, N: 1024 }, { name: "ref", M: 8192, K: 512, N: 512 });

type Kind = MatmulKind;
const timer = new MatmulTimer(gpu);

interface Row {
  shape: string;
  M: number;
  K: number;
  N: number;
  variant: Kind;
  per_submit: number;
  gflops_median: number;
  gflops_min: number;
  gflops_max: number;
  ratio_vs_naive: number;
  max_rel_diff_vs_naive: number;
}

const info = gpu.adapter.info;
const loadavg = (() => {
  try {
    return Deno.loadavg();
  } catch {
    return [];
  }
})();
console.log(
  `adapter: ${info.description || info.vendor} (${gpu.backend}, fallback ${gpu.isFallbackAdapter})`,
);
console.log(`load average: ${loadavg.map((x) => x.toFixed(2)).join(" ")}; reps ${reps}`);
const overhead = await timer.calibrate();
console.log(`empty submit + readback: ${overhead.toFixed(1)} ms (subtracted)\n`);

const rows: Row[] = [];
const header = "shape      M      K      N  variant  GFLOP/s median [min-max]  × naive  rel.diff";
console.log(header);
for (const s of shapes) {
  const x = Tensor.empty(gpu, [s.M, s.K], "f32", "x"),
    W = Tensor.empty(gpu, [s.N, s.K], "f32", "W");
  fillRandom(x, 1);
  fillRandom(W, 2);
  const kinds: Kind[] = ["naive", ...variants];
  const outs = new Map<Kind, Tensor>(kinds.map((k) => [k, Tensor.empty(gpu, [s.M, s.N], "f32")]));
  // Warm-up (compiles pipelines) also sizes each variant's dispatches per submit.
  const per = new Map<Kind, number>();
  for (const k of kinds) per.set(k, await timer.sizeRun(k, x, W, outs.get(k)!, TARGET_MS));
  const diff = new Map<Kind, number>();
  for (const k of variants) diff.set(k, await maxRelDiff(gpu, outs.get(k)!, outs.get("naive")!));
  const rates = new Map<Kind, number[]>(kinds.map((k) => [k, []]));
  for (let r = 0; r < reps; r++) {
    for (const k of kinds) {
      rates.get(k)!.push(await timer.gflops(k, x, W, outs.get(k)!, per.get(k)!));
    }
  }
  const naive = median(rates.get("naive")!);
  for (const k of kinds) {
    const v = rates.get(k)!;
    const row: Row = {
      shape: s.name,
      M: s.M,
      K: s.K,
      N: s.N,
      variant: k,
      per_submit: per.get(k)!,
      gflops_median: median(v),
      gflops_min: Math.min(...v),
      gflops_max: Math.max(...v),
      ratio_vs_naive: median(v) / naive,
      max_rel_diff_vs_naive: diff.get(k) ?? 0,
    };
    rows.push(row);
    const g = (n: number) => n >= 100 ? n.toFixed(0) : n.toFixed(2);
    console.log(
      `${s.name.padEnd(8)} ${String(s.M).padStart(6)} ${String(s.K).padStart(6)} ${
        String(s.N).padStart(6)
      }  ${k.padEnd(7)}  ${g(row.gflops_median).padStart(8)} [${g(row.gflops_min)}-${
        g(row.gflops_max)
      }]`.padEnd(62) +
        `${row.ratio_vs_naive.toFixed(1).padStart(7)}  ${
          k === "naive" ? "" : row.max_rel_diff_vs_naive.toExponential(1)
        }`,
    );
  }
  for (const t of [x, W, ...outs.values()]) t.release();
  gpu.pool.trim();
}
timer.release();

const here = dirname(fromFileUrl(import.meta.url));
await Deno.mkdir(join(here, "results"), { recursive: true });
await atomicWriteText(
  join(here, "results", "kernels.json"),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      deno: Deno.version.deno,
      adapter: { description: info.description, vendor: info.vendor, backend: gpu.backend },
      isFallbackAdapter: gpu.isFallbackAdapter,
      loadavg,
      quick,
      reps,
      overhead_ms: overhead,
      rows,
    },
    null,
    2,
  ) + "\n",
);
console.log(`\nwrote bench/results/kernels.json (${rows.length} rows)`);
