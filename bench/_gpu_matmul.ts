/**
 * Section `matmul` of bench/gpu.ts: every matmul variant at the paper's shapes, side by side in
 * one run. `y = x·Wᵀ` as HRM's linear layers compute it, (M, K, N) = (B·L, in, out) for the
 * qkv, o, gate_up and down projections (hidden 512, expansion 4 → 1536) at Sudoku's B·L =
 * 768·81 and at Maze's B·L = 96·900 (the reference's per-GPU batch). Variants are interleaved in
 * each repeat; each result is compared with the `tiled` variant's (or the first variant's).
 *
 * Params: `{ shapes: [{name, M, K, N, naive?}], variants: string[], reps, targetMs,
 * deadline }` (deadline: epoch ms after which no new shape starts).
 *
 * @module
 */
import { requestGpu } from "../lib/gpu/device.ts";
import { Tensor } from "../lib/gpu/tensor.ts";
import { type MatmulVariant, parseMatmulVariant } from "../lib/gpu/variants.ts";
import { median, sectionCall, writeSection } from "./_gpu_common.ts";
import { fillRandom, type MatmulKind, MatmulTimer, maxRelDiff } from "./_matmul_timing.ts";

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
const variants: MatmulVariant[] = p.variants.map(parseMatmulVariant);
const rows: Record<string, unknown>[] = [];
const notes: string[] = [`empty submit + readback ${overhead.toFixed(1)} ms (subtracted)`];

console.log("shape            M      K      N  variant  TFLOP/s median [min-max]  rel.diff");
for (const s of p.shapes) {
  if (Date.now() > p.deadline) {
    notes.push(`budget: shapes from ${s.name} (${s.M}, ${s.K}, ${s.N}) on not measured`);
    break;
  }
  const x = Tensor.empty(gpu, [s.M, s.K], "f32", "x"),
    W = Tensor.empty(gpu, [s.N, s.K], "f32", "W");
  fillRandom(x, 1);
  fillRandom(W, 2);
  const kinds: MatmulKind[] = [...(s.naive ? ["naive" as const] : []), ...variants];
  const outs = new Map(kinds.map((k) => [k, Tensor.empty(gpu, [s.M, s.N], "f32", `y_${k}`)]));
  const per = new Map<MatmulKind, number>();
  for (const k of kinds) per.set(k, await timer.sizeRun(k, x, W, outs.get(k)!, p.targetMs));
  const refKind: MatmulKind = variants.includes("tiled") ? "tiled" : kinds[0];
  const rates = new Map<MatmulKind, number[]>(kinds.map((k) => [k, []]));
  for (let r = 0; r < p.reps; r++) {
    for (const k of kinds) {
      rates.get(k)!.push(await timer.gflops(k, x, W, outs.get(k)!, per.get(k)!));
    }
  }
  for (const k of kinds) {
    const v = rates.get(k)!;
    const diff = k === refKind ? 0 : await maxRelDiff(gpu, outs.get(k)!, outs.get(refKind)!);
    const row = {
      section: "matmul",
      shape: s.name,
      variant: k,
      M: s.M,
      K: s.K,
      N: s.N,
      tflops: median(v) / 1000,
      tflops_min: Math.min(...v) / 1000,
      tflops_max: Math.max(...v) / 1000,
      per_submit: per.get(k),
      max_rel_diff_vs: refKind,
      max_rel_diff: diff,
    };
    rows.push(row);
    const t = (n: number) => n.toFixed(n >= 1 ? 2 : 4);
    console.log(
      `${s.name.padEnd(14)} ${String(s.M).padStart(6)} ${String(s.K).padStart(6)} ${
        String(s.N).padStart(6)
      }  ${k.padEnd(7)}  ${t(row.tflops).padStart(8)} [${t(row.tflops_min)}-${t(row.tflops_max)}]`
        .padEnd(68) + (k === refKind ? "" : diff.toExponential(1)),
    );
  }
  for (const t of [x, W, ...outs.values()]) t.release();
  gpu.pool.trim();
  await writeSection(out, { rows, notes });
}
timer.release();
await writeSection(out, { rows, notes });
