// Shared by the golden-fixture tests (tests/fixtures/golden/<name>, copied from ../shared): the
// fixture's tensors by name, its model, the scale-free comparison they all use, the CLI eval
// parity check, and issue 10's float16 bars (eval: predictions kept and Q-halt; one training
// step: losses, gradients and update directions near the float32 fixture's).
import { assert, assertEquals } from "@std/assert";
import { main } from "../cli.ts";
import type { Gpu } from "../lib/gpu/device.ts";
import type { StepHyper } from "../lib/train/step.ts";
import { readSafetensors, type StTensor, toFloat32 } from "../lib/io/safetensors.ts";
import { createModel } from "../lib/model/create.ts";
import { archFromConfig, type HrmArch } from "../lib/model/dims.ts";
import type { ReasoningModel } from "../lib/model/model.ts";
import { loadStateDict } from "../lib/model/state.ts";
import { maxRelError } from "./_helpers.ts";

/** The tensor `k` of a fixture file, or an error naming it. */
export function fixtureTensor(m: Map<string, StTensor>, k: string): StTensor {
  const t = m.get(k);
  if (!t) throw new Error(`fixture has no ${k}`);
  return t;
}

/** Throws unless max |actual − expected| ≤ tol · max |expected|; returns that error. */
export function assertRel(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  label: string,
): number {
  const e = maxRelError(actual, expected);
  if (!(e <= tol)) {
    throw new Error(`${label}: max error ${e.toExponential(2)} of max |ref| > ${tol}`);
  }
  return e;
}

/**
 * A fixture's model (HRM or TRM by its config's arch.name) with its weights loaded;
 * `forwardDtype` overrides the config's arch.forward_dtype.
 */
export function loadGoldenModel(
  gpu: Gpu,
  config: { arch: Parameters<typeof archFromConfig>[0]; dataset_metadata: never },
  weights: Map<string, StTensor>,
  forwardDtype?: HrmArch["forward_dtype"],
): ReasoningModel {
  const arch = archFromConfig(config.arch, config.dataset_metadata);
  const model = createModel(gpu, forwardDtype ? { ...arch, forward_dtype: forwardDtype } : arch);
  loadStateDict(model, weights, "weights.safetensors");
  return model;
}

/**
 * `hrm eval --config C --checkpoint weights.safetensors --save-preds P` on a golden dataset must
 * reproduce the reference's last-segment preds exactly and its q_halt_logits within `qTol`.
 */
export async function checkEvalParity(
  fixtureDir: string,
  dir: string,
  config: string,
  segments: number,
  qTol: number,
): Promise<void> {
  const code = await main([
    "eval",
    "--config",
    config,
    "--checkpoint",
    `${fixtureDir}weights.safetensors`,
    "--save-preds",
    `${dir}/preds.safetensors`,
  ]);
  assertEquals(code, 0);
  const preds = (await readSafetensors(`${dir}/preds.safetensors`)).tensors;
  const trace = (await readSafetensors(`${fixtureDir}eval_trace.safetensors`)).tensors;
  const ints = (m: Map<string, StTensor>, k: string) => [
    ...(fixtureTensor(m, k).data as Int32Array),
  ];
  assertEquals(ints(preds, "preds"), ints(trace, "preds"));
  const e = maxRelError(
    toFloat32(fixtureTensor(preds, "q_halt_logits")),
    toFloat32(fixtureTensor(trace, `q_halt_logits.${segments - 1}`)),
  );
  if (!(e <= qTol)) throw new Error(`q_halt_logits off by ${e}`);
  const B = fixtureTensor(preds, "steps").shape[0];
  assertEquals(ints(preds, "steps"), new Array(B).fill(segments));
}

/** The index of the largest logit of each row of `V` (the model's predictions). */
export function argmaxRows(logits: Float32Array, V: number): number[] {
  return Array.from({ length: logits.length / V }, (_, i) => {
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[i * V + v] > logits[i * V + best]) best = v;
    return best;
  });
}

/**
 * Issue 10's float16 evaluation bar (bf16-like): the last segment's predictions keep >= 99% of
 * the reference's and every segment's Q-halt logit is within 2e-2 of the reference's (absolute).
 * `qh[s]` / `refQh[s]` are segment s's logits. Prints and returns the figures.
 */
export function assertF16Eval(
  label: string,
  qh: Float32Array[],
  refQh: Float32Array[],
  preds: number[],
  want: ArrayLike<number>,
): { kept: number; qErr: number } {
  let qErr = 0;
  qh.forEach((q, s) => q.forEach((x, b) => (qErr = Math.max(qErr, Math.abs(x - refQh[s][b])))));
  let same = 0;
  preds.forEach((p, i) => (same += p === want[i] ? 1 : 0));
  const kept = same / want.length;
  console.log(
    `${label}: float16 vs float32 reference: predictions kept ${(100 * kept).toFixed(2)}% ` +
      `(${same}/${want.length}), max |Δ q_halt| ${qErr.toExponential(2)}`,
  );
  assert(kept >= 0.99, `${label}: predictions kept ${kept}`);
  assert(qErr <= 2e-2, `${label}: q_halt error ${qErr}`);
  return { kept, qErr };
}

/** How a float16 training step's gradients and updates compare with the float32 fixture's. */
export interface F16StepStats {
  /** Max over parameters of max |g/scale − g_ref| / max |g_ref|, also over Adam's m vs (1−β1)·g_ref. */
  grads: number;
  /** Update entries (after weight decay) that stepped the other way from the reference's. */
  flips: number;
  /** All update entries compared. */
  total: number;
  /** The largest |g_ref| / max |g_ref| of the parameter among the entries that flipped. */
  flipGrad: number;
}

/**
 * Compares one float16 training step (read back: loss-scaled `grads`, `params`, Adam's `m`) with
 * a float32 fixture's first step: `ref(k)` reads `grad.<name>` and `updated.<name>`, `before`
 * holds the initial weights. At t = 1 AdamATan2 moves each entry by ±lr·π/4 by the sign of g, so
 * update directions are compared, not magnitudes.
 */
export function f16StepStats(
  specs: readonly { name: string; offset: number; shape: readonly number[] }[],
  got: { grads: Float32Array; params: Float32Array; m: Float32Array; lossScale: number },
  ref: (k: string) => Float32Array,
  before: Map<string, Float32Array>,
  opt: { lr: number; weight_decay: number; beta1: number },
): F16StepStats {
  let grads = 0, flips = 0, total = 0, flipGrad = 0;
  const decay = 1 - opt.lr * opt.weight_decay;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const g = got.grads.subarray(s.offset, s.offset + n).map((x) => x / got.lossScale);
    const gRef = ref(`grad.${s.name}`);
    grads = Math.max(grads, maxRelError(g, gRef));
    const m1 = got.m.subarray(s.offset, s.offset + n);
    grads = Math.max(grads, maxRelError(m1, gRef.map((x) => (1 - opt.beta1) * x)));
    let gMax = 0;
    for (const x of gRef) gMax = Math.max(gMax, Math.abs(x));
    const p = got.params.subarray(s.offset, s.offset + n), w0 = before.get(s.name)!;
    const upd = ref(`updated.${s.name}`);
    for (let i = 0; i < n; i++) {
      total++;
      if (Math.sign(p[i] - w0[i] * decay) !== Math.sign(upd[i] - w0[i] * decay)) {
        flips++;
        flipGrad = Math.max(flipGrad, Math.abs(gRef[i]) / gMax);
      }
    }
  }
  return { grads, flips, total, flipGrad };
}

/**
 * True when the adapter runs float16 (shader-f16); otherwise prints why `what` is skipped and
 * returns false.
 */
export function hasF16(gpu: Gpu, what: string): boolean {
  if (gpu.features.has("shader-f16")) return true;
  console.warn(`${what} skipped: the adapter has no shader-f16`);
  return false;
}

/** A golden fixture's optimizer settings (its config.json keys) at learning rate `lr`. */
export function fixtureHyper(
  config: Omit<StepHyper, "lr">,
  lr: number,
): StepHyper {
  return {
    lr,
    puzzle_emb_lr: config.puzzle_emb_lr,
    weight_decay: config.weight_decay,
    puzzle_emb_weight_decay: config.puzzle_emb_weight_decay,
    beta1: config.beta1,
    beta2: config.beta2,
  };
}
