/**
 * Section `train` of bench/gpu.ts: a few minutes of real training of a preset on a generated
 * dataset (`hrm gen sudoku ...`), through the same loop as `hrm train`, stopped by a time budget;
 * then the checkpoint is evaluated on the test split. Reports the loss curve (one point per
 * `logEvery` steps) and the test metrics: a sanity signal at scale, not a reproduction.
 *
 * Params: `{ preset, data, overrides, seconds, logEvery, evalLimit, runDir }`.
 *
 * @module
 */
import { requestGpu } from "../lib/gpu/device.ts";
import { loadConfig } from "../lib/config/load.ts";
import { readSplit } from "../lib/io/dataset.ts";
import { buildModel, samplerSource, trainRun } from "../lib/train/loop.ts";
import { evaluate } from "../lib/eval/evaluate.ts";
import { sectionCall, writeSection } from "./_gpu_common.ts";

/** Parameters of the section. */
export interface TrainParams {
  /** Preset name. */
  preset: string;
  /** Dataset folder (train/ and test/). */
  data: string;
  /** Config overrides (key=value). */
  overrides: string[];
  /** Seconds of training. */
  seconds: number;
  /** Steps per loss-curve point. */
  logEvery: number;
  /** Test examples to evaluate at the end. */
  evalLimit: number;
  /** Run folder (checkpoints, metrics.jsonl). */
  runDir: string;
}

const { params: p, out } = sectionCall<TrainParams>();
const gpu = await requestGpu();
const config = await loadConfig({
  preset: p.preset,
  overrides: [`data_path=${p.data}`, ...p.overrides],
});
const curve: Record<string, number>[] = [];
const t0 = performance.now();
const result = await trainRun(gpu, {
  config,
  out: p.runDir,
  logEvery: p.logEvery,
  shouldStop: () => performance.now() - t0 > p.seconds * 1000,
  onLog: (row) => {
    if (!("train/lm_loss" in row)) return;
    curve.push(row);
    console.log(
      `step ${row.step}: lm_loss ${row["train/lm_loss"].toFixed(4)} accuracy ${
        row["train/accuracy"].toFixed(4)
      } exact ${row["train/exact_accuracy"].toFixed(4)} (${row.step_time_s.toFixed(2)} s/step)`,
    );
  },
});
const trainS = (performance.now() - t0) / 1000;
// The run stopped early (time budget), so it has no evaluation of its own: evaluate its weights.
const test = await readSplit(p.data, "test");
const model = await buildModel(gpu, config, test.meta, result.checkpoint);
const e0 = performance.now();
const ev = await evaluate(model, samplerSource(test), {
  batchSize: config.global_batch_size,
  lossType: config.arch.loss.loss_type,
  limit: p.evalLimit,
});
const evalS = (performance.now() - e0) / 1000;
const computeDtype = model.computeDtype;
model.release();
const steps = result.step - result.startStep;
// Steady-state rate from the logged rows after the first (which includes compilation).
const later = curve.slice(1);
const stepTime = later.length
  ? later.reduce((a, r) => a + r.step_time_s, 0) / later.length
  : undefined;
const row = {
  section: "train",
  preset: p.preset,
  data: p.data,
  batch: config.global_batch_size,
  forward_dtype: config.arch.forward_dtype,
  compute_dtype: computeDtype,
  overrides: p.overrides,
  steps,
  seconds: trainS,
  steps_per_s: stepTime ? 1 / stepTime : steps / trainS,
  loss_curve: curve.map((r) => ({
    step: r.step,
    lm_loss: r["train/lm_loss"],
    accuracy: r["train/accuracy"],
    exact_accuracy: r["train/exact_accuracy"],
    q_halt_accuracy: r["train/q_halt_accuracy"],
    steps: r["train/steps"],
    step_time_s: r.step_time_s,
  })),
  eval_examples: Math.min(p.evalLimit, test.arrays.inputs.length / test.meta.seq_len),
  eval_seconds: evalS,
  eval: ev.metrics,
  checkpoint: result.checkpoint,
};
console.log(
  `trained ${steps} steps in ${trainS.toFixed(0)} s; test exact_accuracy ${
    ev.metrics.exact_accuracy?.toFixed(4)
  }, accuracy ${ev.metrics.accuracy?.toFixed(4)} on ${row.eval_examples} examples`,
);
await writeSection(out, { rows: [row], notes: [] });
