/**
 * Section `matmul` of bench/gpu.ts: every matmul variant at the paper's shapes, side by side in
 * one run. `y = x·Wᵀ` as HRM's linear layers compute it, (M, K, N) = (B·L, in, out) for the
 * qkv, o, gate_up and down projections (hidden 512, expansion 4 → 1536) at Sudoku's B·L =
 * 768·81 and at Maze's B·L = 96·900 (the reference's per-GPU batch). A variant named
 * `<variant>-f16` multiplies float16 copies of x and W with f32 accumulation and output (the
 * mixed-precision path; skipped without shader-f16). Variants are interleaved in each repeat;
 * each result is compared with the f32 `tiled` variant's (or the first variant's).
 *
 * Params: `{ shapes: [{name, M, K, N, naive?}], variants: string[], reps, targetMs,
 * deadline }` (deadline: epoch ms after which no new shape starts).
 *
 * @module
 */
import { requestGpu } from "../lib/gpu/device.ts";
import { Tensor } from "../lib/gpu/tensor.ts";
import { parseMatmulVariant } from "../lib/gpu/variants.ts";
import { hasShaderF16 } from "../lib/ops/cast.ts";
import { median, sectionCall, writeSection } from "./_gpu_common.ts";
import { fillRandom, type MatmulKind, MatmulTimer, maxRelDiff } from "./_matmul_timing.ts";

/** A timed kernel: a variant (or naive) with f32 or f16 operands. */
interface Kind {
  /** As reported: `tiled`, `tiled-f16`, `naive`, ... */
  label: string;
  /** The kernel. */
  variant: MatmulKind;
  /** float16 operands. */
  f16: boolean;
}

/** One problem shape. */
export interface MatmulShape {
  /** Which layer (qkv, o, gate_up, down) and task. */
  name: string;
  /** Rows (B·L). */
  M: number;
  /** Inputs per row. */
  K: number;
  /** Outputs per row. */
  N: number;
  /** Also time the naive kernel (slow: ~1 TFLOP/s on an H200). */
  naive?: boolean;
}

/** Parameters of the section. */
export interface MatmulParams {
  /** Shapes in order. */
  shapes: MatmulShape[];
  /** Variant names (texture, buffer, tiled, ...). */
  variants: string[];
  /** Repeats per shape. */
  reps: number;
  /** Target ms of one measurement. */
  targetMs: number;
  /** Epoch ms after which no new shape starts. */
  deadline: number;
}

const { params: p, out } = sectionCall<MatmulParams>();
const gpu = await requestGpu();
const timer = new MatmulTimer(gpu);
const overhead = await timer.calibrate();
const rows: Record<string, unknown>[] = [];
const notes: string[] = [`empty submit + readback ${overhead.toFixed(1)} ms (subtracted)`];
const variants: Kind[] = [];
for (const label of p.variants) {
  const f16 = label.endsWith("-f16");
  if (f16 && !hasShaderF16(gpu)) {
    notes.push(`${label}: skipped, the adapter has no shader-f16`);
    continue;
  }
  variants.push({ label, variant: parseMatmulVariant(label.replace(/-f16$/, "")), f16 });
}

console.log(
  `${"shape".padEnd(20)}      M      K      N  variant    TFLOP/s median [min-max]`.padEnd(76) +
    "rel.diff",
);
for (const s of p.shapes) {
  if (Date.now() > p.deadline) {
    notes.push(`budget: shapes from ${s.name} (${s.M}, ${s.K}, ${s.N}) on not measured`);
    break;
  }
  const x = Tensor.empty(gpu, [s.M, s.K], "f32", "x"),
    W = Tensor.empty(gpu, [s.N, s.K], "f32", "W");
  fillRandom(x, 1);
  fillRandom(W, 2);
  const f16 = variants.some((k) => k.f16);
  const x16 = f16 ? Tensor.empty(gpu, [s.M, s.K], "f16", "x16") : undefined;
  const W16 = f16 ? Tensor.empty(gpu, [s.N, s.K], "f16", "W16") : undefined;
  if (x16 && W16) {
    fillRandom(x16, 1);
    fillRandom(W16, 2);
  }
  const kinds: Kind[] = [
    ...(s.naive ? [{ label: "naive", variant: "naive" as const, f16: false }] : []),
    ...variants,
  ];
  const args = (k: Kind) => [k.f16 ? x16! : x, k.f16 ? W16! : W] as const;
  const outs = new Map(kinds.map((k) => [k, Tensor.empty(gpu, [s.M, s.N], "f32", `y_${k.label}`)]));
  const per = new Map<Kind, number>();
  for (const k of kinds) {
    per.set(k, await timer.sizeRun(k.variant, ...args(k), outs.get(k)!, p.targetMs));
  }
  const ref = kinds.find((k) => k.label === "tiled") ?? kinds[0];
  const rates = new Map<Kind, number[]>(kinds.map((k) => [k, []]));
  for (let r = 0; r < p.reps; r++) {
    for (const k of kinds) {
      rates.get(k)!.push(await timer.gflops(k.variant, ...args(k), outs.get(k)!, per.get(k)!));
    }
  }
  for (const k of kinds) {
    const v = rates.get(k)!;
    const diff = k === ref ? 0 : await maxRelDiff(gpu, outs.get(k)!, outs.get(ref)!);
    const row = {
      section: "matmul",
      shape: s.name,
      variant: k.label,
      operands: k.f16 ? "f16" : "f32",
      M: s.M,
      K: s.K,
      N: s.N,
      tflops: median(v) / 1000,
      tflops_min: Math.min(...v) / 1000,
      tflops_max: Math.max(...v) / 1000,
      per_submit: per.get(k),
      max_rel_diff_vs: ref.label,
      max_rel_diff: diff,
    };
    rows.push(row);
    const t = (n: number) => n.toFixed(n >= 1 ? 2 : 4);
    console.log(
      `${s.name.padEnd(20)} ${String(s.M).padStart(6)} ${String(s.K).padStart(6)} ${
        String(s.N).padStart(6)
      }  ${k.label.padEnd(10)} ${t(row.tflops).padStart(8)} [${t(row.tflops_min)}-${
        t(row.tflops_max)
      }]`.padEnd(76) + (k === ref ? "" : diff.toExponential(1)),
    );
  }
  for (const t of [x16, W16]) t?.release();
  for (const t of [x, W, ...outs.values()]) t.release();
  gpu.pool.trim();
  await writeSection(out, { rows, notes });
}
timer.release();
await writeSection(out, { rows, notes });
