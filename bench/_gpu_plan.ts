/**
 * What bench/gpu.ts measures and in how much time: the shapes, presets and budgets of a full run
 * on a real GPU and of the tiny end-to-end check on a software adapter, the reference's published
 * rates and issue 11's goals, and the closing summary.
 *
 * @module
 */
import type { MatmulParams } from "./_gpu_matmul.ts";
import type { TrainParams } from "./_gpu_train.ts";
import { MATMUL_VARIANTS } from "../lib/gpu/variants.ts";
import type { HrmArch } from "../lib/model/dims.ts";

/** One preset's step measurement. */
export interface PresetRun {
  /** Preset name. */
  preset: string;
  /** The rows' name when it is not the preset's. */
  label?: string;
  /** Rows per step (the preset's global_batch_size, 768 for the paper presets). */
  batch: number;
  /** Micro-batch halving stops below this. */
  minBatch: number;
  /** Task sequence length. */
  S: number;
  /** Task vocabulary. */
  V: number;
  /** Architecture overrides (the tiny check's small models). */
  overrides: Partial<HrmArch>;
  /** Timed steps: seconds and at most how many. */
  stepRun: { seconds: number; maxSteps: number };
  /** Profiled steps. */
  profileRun: { seconds: number; maxSteps: number };
}

/** The whole plan. */
export interface GpuPlan {
  /** Matmul section parameters (without the deadline). */
  matmul: Omit<MatmulParams, "deadline">;
  /** Matmul section cap in seconds. */
  matmulCapS: number;
  /** Seconds kept for what follows the matmul section. */
  reserveAfterMatmulS: number;
  /** Presets in order. */
  presets: PresetRun[];
  /** Cap of one preset's step section. */
  stepCapS: number;
  /** Seconds kept for training and profiles after the step sections. */
  reserveAfterStepsS: number;
  /** Training section parameters (seconds = the most it trains). */
  train: Omit<TrainParams, "data" | "runDir"> & { minSeconds: number };
  /** Seconds the train section needs beyond its training (start, compile, eval). */
  trainOverheadS: number;
  /** Seconds kept for the profiles after training. */
  reserveAfterTrainS: number;
  /** Cap of one profile section. */
  profileCapS: number;
  /** How to make the training dataset. */
  dataCommand: (dir: string) => string;
  /** Published reference rates the summary compares with. */
  reference: Record<string, unknown>[];
  /** Issue 11's goals. */
  goals: Record<string, unknown>;
  /** The closing table. */
  summarize: (
    rows: Record<string, unknown>[],
    sections: { name: string; status: string }[],
  ) => string;
}

// HRM/TRM paper width: hidden D 512, SwiGLU width F 1536 (expansion 4, rounded as the
// reference); the tiny check uses D 64, F 128.
const layers = (task: string, M: number, D: number, F: number, naive: boolean) => [
  { name: `${task} qkv`, M, K: D, N: 3 * D, naive },
  { name: `${task} o`, M, K: D, N: D, naive },
  { name: `${task} gate_up`, M, K: D, N: 2 * F, naive },
  { name: `${task} down`, M, K: F, N: D, naive },
];

const TINY_HRM: Partial<HrmArch> = {
  hidden_size: 64,
  num_heads: 2,
  expansion: 2,
  H_layers: 1,
  L_layers: 1,
  H_cycles: 1,
  L_cycles: 2,
  halt_max_steps: 2,
};
const TINY_TRM: Partial<HrmArch> = { ...TINY_HRM, H_layers: 0, H_cycles: 2, L_cycles: 1 };

/**
 * The plan of a run.
 *
 * @param tiny The software-adapter check: tiny shapes, models and budgets.
 * @param only Preset names to keep (default: all four).
 */
export function gpuPlan(tiny: boolean, only?: string[]): GpuPlan {
  const run = (preset: string, S: number, V: number, trm: boolean): PresetRun => ({
    preset,
    batch: tiny ? (S > 100 ? 1 : 2) : 768,
    minBatch: tiny ? 1 : 24,
    S,
    V,
    overrides: tiny ? (trm ? TINY_TRM : TINY_HRM) : {},
    stepRun: tiny ? { seconds: 2, maxSteps: 2 } : { seconds: 12, maxSteps: 20 },
    profileRun: { seconds: 0, maxSteps: tiny ? 1 : 2 },
  });
  const presets = [
    run("sudoku-extreme", 81, 11, false),
    // The presets keep the reference's forward_dtype bfloat16, which runs as float16 mixed
    // precision where the adapter has shader-f16 (float32 elsewhere): the same step in float32.
    {
      ...run("sudoku-extreme", 81, 11, false),
      label: "sudoku-extreme float32",
      overrides: { ...(tiny ? TINY_HRM : {}), forward_dtype: "float32" as const },
    },
    run("trm-sudoku-mlp", 81, 11, true),
    run("maze-hard", 900, 6, false),
    run("trm-maze", 900, 6, true),
  ].filter((r) => !only || only.includes(r.preset) || only.includes(r.label ?? ""));
  return {
    matmul: {
      shapes: tiny
        ? [
          ...layers("tiny b8·81", 8 * 81, 64, 128, true),
          ...layers("tiny b1·900", 900, 64, 128, true),
        ]
        : [
          ...layers("sudoku b768", 768 * 81, 512, 1536, true),
          ...layers("maze b96", 96 * 900, 512, 1536, false),
        ],
      // The f16 variants: float16 operands, f32 accumulation (skipped without shader-f16).
      variants: [...MATMUL_VARIANTS, "buffer-f16", "tiled-f16"],
      reps: tiny ? 2 : 3,
      targetMs: tiny ? 150 : 100,
    },
    matmulCapS: tiny ? 300 : 75,
    reserveAfterMatmulS: tiny ? 200 : 300,
    presets,
    stepCapS: tiny ? 240 : 75,
    reserveAfterStepsS: tiny ? 120 : 150,
    train: {
      preset: "sudoku-extreme",
      // The preset's 2000 warm-up steps would keep a few minutes at a near-zero learning rate.
      overrides: tiny
        ? [
          ...Object.entries(TINY_HRM).map(([k, v]) => `arch.${k}=${v}`),
          "global_batch_size=16",
          "lr=1e-3",
          "lr_warmup_steps=2",
        ]
        : ["lr_warmup_steps=20"],
      seconds: tiny ? 30 : 180,
      minSeconds: tiny ? 10 : 45,
      logEvery: tiny ? 2 : 10,
      evalLimit: tiny ? 8 : 500,
    },
    trainOverheadS: tiny ? 240 : 90,
    reserveAfterTrainS: tiny ? 60 : 60,
    profileCapS: tiny ? 240 : 60,
    dataCommand: (dir) =>
      tiny
        ? `deno task hrm gen sudoku --out ${dir} --train 16 --test 8 --aug 2 --mix 1`
        : `deno task hrm gen sudoku --out ${dir} --train 1000 --test 500 --aug 40`,
    reference: REFERENCE,
    goals: GOALS,
    summarize,
  };
}

/** Published rates of the reference (PyTorch, bf16, FlashAttention), as issue 11 quotes them. */
const REFERENCE = [
  {
    what: "HRM sudoku-extreme training, 1x H200",
    steps_per_s: 7.2,
    source: "sapientinc/HRM issue #8 (26,040 steps in about an hour)",
  },
  {
    what: "HRM sudoku-extreme training, 1x RTX 5090",
    steps_per_s: 5.15,
    source: "sapientinc/HRM issue #12",
  },
];

const GOALS = {
  cooperative_matrix_matmul_tflops: 100,
  sudoku_extreme_steps_per_s: 3.6,
  sudoku_extreme_moonshot_steps_per_s: 7.2,
};

function summarize(
  rows: Record<string, unknown>[],
  sections: { name: string; status: string }[],
): string {
  const out: string[] = ["summary"];
  const mm = rows.filter((r) => r.section === "matmul");
  if (mm.length) {
    const variants = [...new Set(mm.map((r) => String(r.variant)))];
    out.push(
      `matmul TFLOP/s: ${"shape".padEnd(20)} ${variants.map((v) => v.padStart(9)).join(" ")}`,
    );
    for (const shape of [...new Set(mm.map((r) => String(r.shape)))]) {
      const cells = variants.map((v) => {
        const r = mm.find((x) => x.shape === shape && x.variant === v);
        return (r ? (r.tflops as number).toFixed(2) : "-").padStart(9);
      });
      out.push(`                ${shape.padEnd(20)} ${cells.join(" ")}`);
    }
  }
  for (const r of rows.filter((r) => r.section === "steps")) {
    out.push(
      `steps ${String(r.label).padEnd(22)} ${String(r.compute_dtype).padEnd(7)} batch ${
        String(r.batch).padStart(4)
      }${r.micro_batch !== r.batch ? ` (micro ${r.micro_batch})` : ""}: ${
        (r.steps_per_s as number).toFixed(3)
      } steps/s, ${(r.examples_per_s as number).toFixed(1)} examples/s, peak ${
        ((r.peak_in_use_bytes as number) / 2 ** 30).toFixed(2)
      } GiB`,
    );
  }
  const sx = rows.find((r) => r.section === "steps" && r.label === "sudoku-extreme");
  if (sx && sx.batch === 768) {
    out.push(
      `goal: sudoku-extreme >= ${GOALS.sudoku_extreme_steps_per_s} steps/s (0.5x the reference's ` +
        `1x H200); measured ${(sx.steps_per_s as number).toFixed(3)}`,
    );
  }
  for (const r of rows.filter((r) => r.section === "train")) {
    const ev = r.eval as Record<string, number>;
    out.push(
      `train ${r.preset}: ${r.steps} steps in ${(r.seconds as number).toFixed(0)} s; test ` +
        `exact_accuracy ${ev.exact_accuracy?.toFixed(4)}, accuracy ${ev.accuracy?.toFixed(4)}`,
    );
  }
  for (const r of rows.filter((r) => r.section === "profile")) {
    const fam = Object.entries(r.family_ms_per_step as Record<string, number>)
      .sort((a, b) => b[1] - a[1]).slice(0, 5)
      .map(([f, ms]) => `${f} ${ms.toFixed(1)}`).join(", ");
    out.push(`profile ${String(r.label).padEnd(22)} ms/step: ${fam}`);
  }
  const bad = sections.filter((s) => s.status !== "ok");
  out.push(
    bad.length
      ? `sections not ok: ${bad.map((s) => `${s.name} (${s.status})`).join(", ")}`
      : `all ${sections.length} sections ok`,
  );
  return out.join("\n");
}
