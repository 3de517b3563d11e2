/**
 * The training run (pretrain.py launch): `epochs / eval_interval` iterations of sampled batches,
 * each followed by an evaluation (the last included), no step past total_steps; reduced metrics
 * go to `metrics.jsonl` every `logEvery` steps (one readback); checkpoints at evaluations and at
 * the end; an exact resume from a run folder. A NaN or Inf loss stops the run and keeps the last
 * good checkpoint.
 *
 * @module
 */
import { join } from "@std/path";
import type { HrmConfig } from "../config/schema.ts";
import { configToYaml } from "../config/to_yaml.ts";
import { HrmError } from "../errors.ts";
import type { Gpu } from "../gpu/device.ts";
import { Encoder, readTensors } from "../gpu/encoder.ts";
import { atomicWriteText } from "../io/atomic_write.ts";
import { readSplit, type Split } from "../io/dataset.ts";
import { readWeights } from "../io/weights.ts";
import { fill } from "../ops/elementwise.ts";
import { METRIC_NAMES } from "../model/act.ts";
import { archFromConfig, hrmDims } from "../model/dims.ts";
import { createModel } from "../model/create.ts";
import type { ReasoningModel } from "../model/model.ts";
import { initHrm, loadStateDict } from "../model/state.ts";
import { evaluate } from "../eval/evaluate.ts";
import { checkSaveOutputs, writePredictions } from "../eval/predictions.ts";
import { loadResumeState, readPosition, saveCheckpoint } from "./checkpoint.ts";
import type { SamplerSource } from "./sampler.ts";
import { checkPlan, plannedSteps, type PlanPosition, runEvents, runPlan } from "./plan.ts";
import { checkFits } from "./fit.ts";
import { learningRate } from "./schedule.ts";
import { Trainer } from "./step.ts";

/** Options of {@linkcode trainRun}. */
export interface TrainOptions {
  /** The validated configuration. */
  config: HrmConfig;
  /** Run folder (created). */
  out: string;
  /** Initial weights (safetensors state dict). */
  init?: string;
  /** Continue the run in `out` from its latest checkpoint. */
  resume?: boolean;
  /** Stop after this many optimizer steps (and checkpoint); an early stop. */
  maxSteps?: number;
  /**
   * Steps between metric readbacks. @default {10}. Each `metrics.jsonl` train row sums the
   * steps since the last one (losses over the steps' batches, accuracies weighted by the
   * examples counted); 1 logs every step as the reference does.
   */
  logEvery?: number;
  /** Evaluate on at most this many test examples. */
  evalLimit?: number;
  /** Called with each logged row. */
  onLog?: (row: Record<string, number>) => void;
  /** Checked after each step; true ends the run early (with a checkpoint), e.g. a time budget. */
  shouldStop?: () => boolean;
  /** Called after each step with the step and the step the run will end at (for progress). */
  onStep?: (step: number, end: number) => void;
}

/** What a run returns. */
export interface TrainResult {
  /** Steps done in total. */
  step: number;
  /** The step this invocation started from (0, or the resumed checkpoint's). */
  startStep: number;
  /** The last checkpoint file. */
  checkpoint: string;
  /** This invocation's last evaluation's metrics, if any. */
  eval?: Record<string, number>;
  /** The step {@linkcode TrainResult.eval} describes. */
  evalStep?: number;
  /** The run has done all its iterations (false after an early stop). */
  complete: boolean;
}

/** Loads a split and turns it into a sampler source. */
export function samplerSource(split: Split): SamplerSource {
  return {
    ...split.arrays,
    seq_len: split.meta.seq_len,
    pad_id: split.meta.pad_id,
    ignore_label_id: split.meta.ignore_label_id,
    blank_identifier_id: split.meta.blank_identifier_id,
  };
}

/**
 * Builds the model for a config and dataset, from `init` weights (safetensors, or a reference
 * PyTorch checkpoint, told apart by content) or the seed. With `batchSize`, first refuses a
 * model and batch whose tensors exceed the adapter's buffer limits ({@linkcode checkFits}).
 */
export async function buildModel(
  gpu: Gpu,
  config: HrmConfig,
  meta: Split["meta"],
  init?: string,
  batchSize?: number,
  batchFlag?: string,
): Promise<ReasoningModel> {
  const arch = archFromConfig(config.arch, meta);
  if (batchSize !== undefined) checkFits(gpu.limits, arch, hrmDims(arch), batchSize, batchFlag);
  const model = createModel(gpu, arch);
  if (init) {
    const { tensors } = await readWeights(init);
    try {
      loadStateDict(model, tensors, init);
    } catch (e) {
      model.release();
      throw e;
    }
  } else initHrm(model, config.seed);
  return model;
}

/**
 * Trains as configured: the iterations, steps and evaluations of {@linkcode runEvents}.
 *
 * @throws {HrmError} on bad data, config/dataset/checkpoint mismatch, or a non-finite loss.
 */
export async function trainRun(gpu: Gpu, opts: TrainOptions): Promise<TrainResult> {
  const cfg = opts.config;
  const saveKeys = checkSaveOutputs(cfg.eval_save_outputs);
  const train = await readSplit(cfg.data_path, "train");
  const test = await readSplit(cfg.data_path, "test").catch(() => undefined);
  if (
    test &&
    (test.meta.vocab_size !== train.meta.vocab_size || test.meta.seq_len !== train.meta.seq_len)
  ) {
    throw new HrmError(
      join(cfg.data_path, "test/dataset.json"),
      "vocab_size/seq_len differ from the train split",
    );
  }
  const src = samplerSource(train);
  const plan = runPlan(cfg, train.meta);
  checkPlan(plan, src, cfg.data_path);
  await Deno.mkdir(opts.out, { recursive: true });
  const pos = opts.resume ? await readPosition(opts.out) : undefined;
  const init = pos ? join(opts.out, pos.checkpoint) : opts.init;
  const model = await buildModel(gpu, cfg, train.meta, init, cfg.global_batch_size);
  const B = cfg.global_batch_size;
  const trainer = new Trainer(model, B, cfg.arch.loss.loss_type, cfg.seed, {
    emaRate: cfg.ema ? cfg.ema_rate : undefined,
    freezeWeights: cfg.freeze_weights,
  });
  try {
    if (pos) await loadResumeState(opts.out, pos, trainer);
    await atomicWriteText(
      join(opts.out, "all_config.yaml"),
      configToYaml({ ...cfg, checkpoint_path: opts.out }),
    );
    const metricsPath = join(opts.out, "metrics.jsonl");
    if (pos) await dropRowsAfter(metricsPath, pos.step);
    const startStep = trainer.step;
    const stopAt = opts.maxSteps !== undefined ? startStep + opts.maxSteps : Infinity;
    const end = Math.min(stopAt, plannedSteps(plan, src));
    const logEvery = opts.logEvery ?? 10;
    const metricsFile = await Deno.open(metricsPath, { append: true, create: true });
    let position: PlanPosition = pos
      ? { step: pos.step, iteration: pos.iteration, batchInIteration: pos.batchInIteration }
      : { step: 0, iteration: 1, batchInIteration: 0 };
    let lastCkpt = pos?.checkpoint ?? "", savedAt = JSON.stringify(position);
    let lastEval: Record<string, number> | undefined, evalStep: number | undefined;
    let sinceLog = 0, t0 = performance.now();
    const log = async (row: Record<string, number>) => {
      await metricsFile.write(new TextEncoder().encode(JSON.stringify(row) + "\n"));
      opts.onLog?.(row);
    };
    const readMetrics = async () => {
      const [sums] = await readTensors(gpu, [trainer.metrics]);
      const enc = new Encoder(gpu);
      fill(enc, trainer.metrics, 0);
      enc.submit();
      const count = Math.max(1, sums[0]);
      const row: Record<string, number> = { step: trainer.step };
      METRIC_NAMES.forEach((k, i) => {
        row[`train/${k}`] = k.endsWith("loss") ? sums[i] / (B * sinceLog) : sums[i] / count;
      });
      const dt = (performance.now() - t0) / 1000;
      row["train/lr"] = learningRate(
        cfg.lr,
        trainer.step,
        cfg.lr_warmup_steps,
        plan.total,
        cfg.lr_min_ratio,
      );
      row.step_time_s = dt / sinceLog;
      row.tokens_per_s = (sinceLog * B * model.dims.S) / dt;
      if (!METRIC_NAMES.every((_, i) => Number.isFinite(sums[i]))) {
        throw new HrmError(
          undefined,
          `non-finite loss at step ${trainer.step}; stopped, the last good checkpoint is ${
            lastCkpt || "none"
          }`,
        );
      }
      sinceLog = 0;
      t0 = performance.now();
      await log(row);
    };
    const runEval = async (iterId: number) => {
      // The reference evaluates from iteration min_eval_interval on (0-based), with EMA weights.
      if (!test || iterId < cfg.min_eval_interval) return;
      const r = await trainer.withEmaWeights(() =>
        evaluate(model, samplerSource(test), {
          batchSize: B,
          lossType: cfg.arch.loss.loss_type,
          limit: opts.evalLimit,
          keepPredictions: saveKeys.length > 0,
        })
      );
      lastEval = r.metrics;
      evalStep = trainer.step;
      if (r.predictions) {
        await writePredictions(
          join(opts.out, `step_${trainer.step}_all_preds.safetensors`),
          r.predictions,
          test.meta.seq_len,
          saveKeys,
          { step: String(trainer.step), dataset: cfg.data_path },
        );
      }
      const row: Record<string, number> = { step: trainer.step };
      for (const [k, v] of Object.entries(r.metrics)) row[`eval/${k}`] = v;
      await log(row);
    };
    const checkpoint = async () => {
      lastCkpt = (await saveCheckpoint(opts.out, trainer, position)).checkpoint;
      savedAt = JSON.stringify(position);
    };
    let stopping = false;
    for (const ev of runEvents(src, plan, position)) {
      if (ev.kind === "step") {
        const batch = ev.batch;
        trainer.setBatch(batch.inputs, batch.labels, batch.puzzle_identifiers);
        const lr = learningRate(cfg.lr, ev.step, cfg.lr_warmup_steps, plan.total, cfg.lr_min_ratio);
        const plr = learningRate(
          cfg.puzzle_emb_lr,
          ev.step,
          cfg.lr_warmup_steps,
          plan.total,
          cfg.lr_min_ratio,
        );
        trainer.trainStep({
          lr,
          puzzle_emb_lr: plr,
          weight_decay: cfg.weight_decay,
          puzzle_emb_weight_decay: cfg.puzzle_emb_weight_decay,
          beta1: cfg.beta1,
          beta2: cfg.beta2,
        });
        position = ev.after;
        sinceLog++;
        opts.onStep?.(trainer.step, end);
        if (sinceLog >= logEvery) await readMetrics();
        // An early stop at an iteration's last batch still runs that iteration's evaluation.
        if (trainer.step >= stopAt || opts.shouldStop?.()) {
          stopping = true;
          if (!ev.endsIteration) break;
        }
      } else {
        if (sinceLog) await readMetrics();
        await runEval(ev.iteration - 1);
        position = ev.after;
        if (cfg.checkpoint_every_eval || ev.last) await checkpoint();
        if (stopping) break;
      }
    }
    if (sinceLog) await readMetrics();
    if (JSON.stringify(position) !== savedAt || !lastCkpt) await checkpoint();
    metricsFile.close();
    return {
      step: trainer.step,
      startStep,
      checkpoint: join(opts.out, lastCkpt),
      eval: lastEval,
      evalStep,
      complete: position.iteration > plan.iterations,
    };
  } finally {
    trainer.release();
    model.release();
  }
}

/**
 * Drops the rows of a run's `metrics.jsonl` logged after `step` (a resume repeats those steps),
 * so no step appears twice. Lines that are not JSON are kept.
 */
export async function dropRowsAfter(path: string, step: number): Promise<void> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return;
  }
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const kept = lines.filter((l) => {
    try {
      const s = JSON.parse(l).step;
      return !(typeof s === "number" && s > step);
    } catch {
      return true;
    }
  });
  if (kept.length !== lines.length) {
    await atomicWriteText(path, kept.map((l) => l + "\n").join(""));
  }
}
