/**
 * The training run (pretrain.py launch): sample batches, step, log reduced metrics to
 * `metrics.jsonl` every `logEvery` steps (one readback), evaluate every `eval_interval` epochs,
 * checkpoint, and resume exactly from a run folder. A NaN or Inf loss stops the run and keeps the
 * last good checkpoint.
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
import { archFromConfig } from "../model/dims.ts";
import { createModel } from "../model/create.ts";
import type { ReasoningModel } from "../model/model.ts";
import { initHrm, loadStateDict } from "../model/state.ts";
import { evaluate } from "../eval/evaluate.ts";
import { loadResumeState, readPosition, saveCheckpoint } from "./checkpoint.ts";
import { type SamplerSource, totalSteps, trainBatches } from "./sampler.ts";
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
  /** Stop after this many optimizer steps (and checkpoint). */
  maxSteps?: number;
  /** Steps between metric readbacks. @default {10} */
  logEvery?: number;
  /** Evaluate on at most this many test examples. */
  evalLimit?: number;
  /** Called with each logged row. */
  onLog?: (row: Record<string, number>) => void;
  /** Checked after each step; true ends the run early (with a checkpoint), e.g. a time budget. */
  shouldStop?: () => boolean;
  /** Called after each step (for progress bars). */
  onStep?: (step: number, total: number) => void;
}

/** What a run returns. */
export interface TrainResult {
  /** Steps done in total. */
  step: number;
  /** The last checkpoint file. */
  checkpoint: string;
  /** The last evaluation's metrics, if any. */
  eval?: Record<string, number>;
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
 * PyTorch checkpoint, told apart by content) or the seed.
 */
export async function buildModel(
  gpu: Gpu,
  config: HrmConfig,
  meta: Split["meta"],
  init?: string,
): Promise<ReasoningModel> {
  const model = createModel(gpu, archFromConfig(config.arch, meta));
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
 * Trains as configured.
 *
 * @throws {HrmError} on bad data, config/dataset/checkpoint mismatch, or a non-finite loss.
 */
export async function trainRun(gpu: Gpu, opts: TrainOptions): Promise<TrainResult> {
  const cfg = opts.config;
  // TRM's training additions are accepted by the config but not trained with yet: refuse
  // rather than train without them.
  for (const k of ["ema", "freeze_weights"] as const) {
    if (cfg[k]) throw new HrmError(undefined, `${k}: not supported by hrm train yet`);
  }
  if (cfg.min_eval_interval > 0) {
    throw new HrmError(undefined, "min_eval_interval: not supported by hrm train yet");
  }
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
  await Deno.mkdir(opts.out, { recursive: true });
  const pos = opts.resume ? await readPosition(opts.out) : undefined;
  const init = pos ? join(opts.out, pos.checkpoint) : opts.init;
  const model = await buildModel(gpu, cfg, train.meta, init);
  const B = cfg.global_batch_size;
  const trainer = new Trainer(model, B, cfg.arch.loss.loss_type, cfg.seed);
  try {
    if (pos) await loadResumeState(opts.out, pos, trainer);
    await atomicWriteText(join(opts.out, "all_config.yaml"), configToYaml(cfg));
    const src = samplerSource(train);
    const total = totalSteps(
      cfg.epochs,
      train.meta.total_groups,
      train.meta.mean_puzzle_examples,
      B,
    );
    if (total < 1) {
      throw new HrmError(cfg.data_path, `too little data for one step at global_batch_size ${B}`);
    }
    const stopAt = Math.min(
      total,
      opts.maxSteps !== undefined ? trainer.step + opts.maxSteps : total,
    );
    const epochsPerIter = cfg.eval_interval ?? cfg.epochs;
    const logEvery = opts.logEvery ?? 10;
    const metricsFile = await Deno.open(join(opts.out, "metrics.jsonl"), {
      append: true,
      create: true,
    });
    let iteration = pos?.iteration ?? 1, skip = pos?.batchInIteration ?? 0;
    let lastCkpt = pos?.checkpoint ?? "";
    let lastEval: Record<string, number> | undefined;
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
        total,
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
    const runEval = async () => {
      if (!test) return;
      const r = await evaluate(model, samplerSource(test), {
        batchSize: B,
        lossType: cfg.arch.loss.loss_type,
        limit: opts.evalLimit,
      });
      lastEval = r.metrics;
      const row: Record<string, number> = { step: trainer.step };
      for (const [k, v] of Object.entries(r.metrics)) row[`eval/${k}`] = v;
      await log(row);
    };
    const checkpoint = async () => {
      lastCkpt = (await saveCheckpoint(opts.out, trainer, {
        step: trainer.step,
        iteration,
        batchInIteration: skip,
      })).checkpoint;
    };
    outer: while (trainer.step < stopAt) {
      let used = 0;
      for (const batch of trainBatches(src, B, cfg.seed, iteration, epochsPerIter)) {
        if (used++ < skip) continue;
        trainer.setBatch(batch.inputs, batch.labels, batch.puzzle_identifiers);
        const step = trainer.step + 1;
        const lr = learningRate(cfg.lr, step, cfg.lr_warmup_steps, total, cfg.lr_min_ratio);
        const plr = learningRate(
          cfg.puzzle_emb_lr,
          step,
          cfg.lr_warmup_steps,
          total,
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
        skip = used;
        sinceLog++;
        opts.onStep?.(trainer.step, stopAt);
        if (sinceLog >= logEvery) await readMetrics();
        if (trainer.step >= stopAt || opts.shouldStop?.()) break outer;
      }
      iteration++;
      skip = 0;
      if (sinceLog) await readMetrics();
      await runEval();
      if (cfg.checkpoint_every_eval) await checkpoint();
    }
    if (sinceLog) await readMetrics();
    if (lastCkpt !== `step_${trainer.step}.safetensors`) await checkpoint();
    metricsFile.close();
    return { step: trainer.step, checkpoint: join(opts.out, lastCkpt), eval: lastEval };
  } finally {
    trainer.release();
    model.release();
  }
}
