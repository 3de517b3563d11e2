/**
 * The training run (pretrain.py launch): `epochs / eval_interval` iterations of sampled batches,
 * each followed by an evaluation (the last included), no step past total_steps; reduced metrics
 * go to `metrics.jsonl` every `logEvery` steps (one readback); checkpoints at evaluations and at
 * the end; an exact resume from a run folder. A NaN or Inf loss stops the run and keeps the last
 * good checkpoint.
 *
 * Under `mpirun` (a {@linkcode World} of several ranks) the same run is data-parallel as
 * pretrain.py's with world_size > 1: the weights start as rank 0's, each rank trains its rows of
 * every global batch with its own carry, gradients are summed once per step (step.ts), metric
 * sums are summed at each log, evaluation is split and gathered, and rank 0 alone writes files
 * and calls `onLog`/`onStep`. Checkpoints do not depend on the number of ranks.
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
import { prepareOutput } from "../io/folders.ts";
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
import { loadResumeState, readPosition, removeCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import type { SamplerSource } from "./sampler.ts";
import { checkPlan, plannedSteps, type PlanPosition, runEvents, runPlan } from "./plan.ts";
import { type BufferLimits, checkFits, largestFittingBatch } from "./fit.ts";
import { learningRate } from "./schedule.ts";
import { Trainer } from "./step.ts";
import { SingleWorld, type World } from "../dist/world.ts";
import { broadcastModel, checkDivisible, rankRows, shareFromRank0 } from "./distributed.ts";

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
  /** Replace a run already in `out` (otherwise a new run there is refused). */
  overwrite?: boolean;
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
  /**
   * Aborting it (Ctrl-C) ends the run after the step in flight, with a checkpoint the run can
   * be resumed from exactly.
   */
  signal?: AbortSignal;
  /**
   * Minutes between time-based checkpoints besides the per-evaluation ones (the last two are
   * kept), so a crash loses at most this much training; 0 turns them off. @default {30}
   */
  checkpointEveryMinutes?: number;
  /** Called after each step with the step and the step the run will end at (for progress). */
  onStep?: (step: number, end: number) => void;
  /** Called with one-line notes for the user (e.g. a resume on another number of ranks). */
  onNote?: (line: string) => void;
  /** The ranks training together (lib/dist `openWorld()`); default: this process alone. */
  world?: World;
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
  const weights = init ? await readWeights(init) : undefined;
  for (const k of ["seq_len", "vocab_size"] as const) {
    const trained = weights?.metadata[k];
    if (trained !== undefined && Number(trained) !== meta[k]) {
      throw new HrmError(
        init,
        `trained on a dataset with ${k} ${trained}, this one has ${meta[k]}: use a dataset of ` +
          `the task and size it was trained on`,
      );
    }
  }
  const model = createModel(gpu, arch);
  if (weights) {
    try {
      loadStateDict(model, weights.tensors, init!);
    } catch (e) {
      model.release();
      throw e;
    }
  } else initHrm(model, config.seed);
  return model;
}

/**
 * Rows per forward/backward pass for `rows` rows a step (global_batch_size over the ranks):
 * `micro_batch_size` when set (at most `rows`), else all of them when their tensors fit the
 * adapter's buffers, else the largest micro-batch that fits (automatic). `note` says how the
 * rows are split, when they are; `flag` names the key that sets the size, for fit errors.
 */
export function microBatch(
  limits: BufferLimits,
  cfg: HrmConfig,
  meta: Parameters<typeof archFromConfig>[1],
  rows = cfg.global_batch_size,
): { rows: number; flag: string; note?: string } {
  const split = (n: number, how: string) =>
    `micro-batches: ${Math.ceil(rows / n)} of up to ${n} rows per step of ${rows} (${how}); ` +
    `gradients add up before each optimizer step`;
  if (cfg.micro_batch_size !== null) {
    const n = Math.min(cfg.micro_batch_size, rows);
    return {
      rows: n,
      flag: "micro_batch_size",
      note: n < rows ? split(n, "micro_batch_size") : undefined,
    };
  }
  const arch = archFromConfig(cfg.arch, meta);
  const fit = largestFittingBatch(limits, arch, hrmDims(arch), rows);
  // Nothing fits: all rows go to checkFits, which names the tensor and the fix.
  if (fit >= rows || fit === 0) return { rows, flag: "global_batch_size" };
  return {
    rows: fit,
    flag: "micro_batch_size",
    note: split(fit, "automatic: the adapter's largest buffer holds the activations of that many"),
  };
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
  const world = opts.world ?? new SingleWorld();
  const root = world.rank === 0; // writes the files and reports
  checkDivisible(cfg.global_batch_size, world.size);
  if (root && !opts.resume) await prepareOutput(opts.out, "run", opts.overwrite ?? false);
  if (root) await Deno.mkdir(opts.out, { recursive: true });
  // Rank 0 reads the run folder and the initial weights; the others get them from it.
  const pos = await shareFromRank0(
    world,
    root && opts.resume ? await readPosition(opts.out) : undefined,
  );
  if (opts.resume && !pos) throw new HrmError(opts.out, "rank 0 found nothing to resume");
  const init = pos ? join(opts.out, pos.checkpoint) : opts.init;
  const B = cfg.global_batch_size;
  const micro = microBatch(gpu.limits, cfg, train.meta, B / world.size);
  if (micro.note && root) opts.onNote?.(micro.note);
  const model = await buildModel(
    gpu,
    cfg,
    train.meta,
    root ? init : undefined,
    micro.rows,
    micro.flag,
  );
  if (root && model.dtypeNote) opts.onNote?.(model.dtypeNote);
  else if (root && model.computeDtype === "float16") {
    opts.onNote?.(
      "float16 mixed precision: f16 matmul operands, f32 sums, master weights and " +
        "optimizer; static loss scale 1024",
    );
  }
  const trainer = new Trainer(model, B, cfg.arch.loss.loss_type, cfg.seed, {
    emaRate: cfg.ema ? cfg.ema_rate : undefined,
    freezeWeights: cfg.freeze_weights,
    shard: { rank: world.rank, size: world.size },
    microBatchSize: micro.rows,
  });
  try {
    await broadcastModel(world, model);
    if (pos) await loadResumeState(opts.out, pos, trainer, world);
    const before = pos?.world_size ?? 1;
    if (pos && before !== world.size && root) {
      opts.onNote?.(
        `resuming a run trained on ${before} rank${before === 1 ? "" : "s"} on ${world.size}: ` +
          "each rank takes its rows of the saved carry; steps continue as before up to float " +
          "summation order",
      );
    }
    if (root) {
      await atomicWriteText(
        join(opts.out, "all_config.yaml"),
        configToYaml({ ...cfg, checkpoint_path: opts.out }),
      );
    }
    const metricsPath = join(opts.out, "metrics.jsonl");
    if (pos && root) await dropRowsAfter(metricsPath, pos.step);
    const startStep = trainer.step;
    const stopAt = opts.maxSteps !== undefined ? startStep + opts.maxSteps : Infinity;
    const end = Math.min(stopAt, plannedSteps(plan, src));
    const logEvery = opts.logEvery ?? 10;
    const metricsFile = root
      ? await Deno.open(metricsPath, { append: true, create: true })
      : undefined;
    let position: PlanPosition = pos
      ? { step: pos.step, iteration: pos.iteration, batchInIteration: pos.batchInIteration }
      : { step: 0, iteration: 1, batchInIteration: 0 };
    let lastCkpt = pos?.checkpoint ?? "", savedAt = JSON.stringify(position);
    const everyMs = (opts.checkpointEveryMinutes ?? 30) * 60_000;
    let lastCkptAt = performance.now(), timed = [...(pos?.timed ?? [])];
    let lastEval: Record<string, number> | undefined, evalStep: number | undefined;
    let sinceLog = 0, syncMs = 0, t0 = performance.now();
    const log = async (row: Record<string, number>) => {
      if (!metricsFile) return;
      row.world_size = world.size;
      await metricsFile.write(new TextEncoder().encode(JSON.stringify(row) + "\n"));
      opts.onLog?.(row);
    };
    const readMetrics = async () => {
      const [sums] = await readTensors(gpu, [trainer.metrics]);
      await world.allReduceSum(sums as Float32Array);
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
      // Data-parallel steps: the exchange between ranks (all-reduce, gathers, upload) per step.
      if (world.size > 1) row.sync_time_s = syncMs / 1000 / sinceLog;
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
      syncMs = 0;
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
          world,
        })
      );
      lastEval = r.metrics;
      evalStep = trainer.step;
      if (r.predictions && root) {
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
    const checkpoint = async (timeBased = false) => {
      timed = timed.filter((s) => s !== trainer.step);
      if (timeBased) timed.push(trainer.step);
      const drop = timed.length > 2 ? timed.splice(0, timed.length - 2) : [];
      lastCkpt = (await saveCheckpoint(opts.out, trainer, { ...position, timed }, world))
        .checkpoint;
      savedAt = JSON.stringify(position);
      lastCkptAt = performance.now();
      // latest.json names the new pair first, so a crash here leaves a resumable run.
      if (root) { for (const s of drop) await removeCheckpoint(opts.out, s); }
    };
    let stopping = false;
    for (const ev of runEvents(src, plan, position)) {
      if (ev.kind === "step") {
        const batch = rankRows(ev.batch, trainer.shard);
        trainer.setBatch(batch.inputs, batch.labels, batch.puzzle_identifiers);
        const lr = learningRate(cfg.lr, ev.step, cfg.lr_warmup_steps, plan.total, cfg.lr_min_ratio);
        const plr = learningRate(
          cfg.puzzle_emb_lr,
          ev.step,
          cfg.lr_warmup_steps,
          plan.total,
          cfg.lr_min_ratio,
        );
        const hyper = {
          lr,
          puzzle_emb_lr: plr,
          weight_decay: cfg.weight_decay,
          puzzle_emb_weight_decay: cfg.puzzle_emb_weight_decay,
          beta1: cfg.beta1,
          beta2: cfg.beta2,
        };
        if (world.size > 1) {
          await trainer.trainStepSynced(hyper, world);
          syncMs += trainer.lastSyncMs;
        } else trainer.trainStep(hyper);
        position = ev.after;
        sinceLog++;
        if (root) opts.onStep?.(trainer.step, end);
        if (sinceLog >= logEvery) await readMetrics();
        // Every rank must stop (and checkpoint) at the same step: a request on any rank counts
        // for all, and rank 0's clock decides when a time-based checkpoint is due.
        const stopHere = Boolean(opts.shouldStop?.()) || Boolean(opts.signal?.aborted);
        const due = everyMs > 0 && root && performance.now() - lastCkptAt >= everyMs;
        const flags = await rankFlags(world, (stopHere ? 1 : 0) | (due ? 2 : 0));
        // An early stop at an iteration's last batch still runs that iteration's evaluation.
        if (trainer.step >= stopAt || flags & 1) {
          stopping = true;
          if (!ev.endsIteration) break;
        }
        if (flags & 2 && !ev.endsIteration) await checkpoint(true);
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
    metricsFile?.close();
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

/** Bit flags of every rank, or-ed (a no-op on one rank). */
async function rankFlags(world: World, flags: number): Promise<number> {
  if (world.size === 1) return flags;
  const f = Int32Array.of(flags & 1, flags & 2);
  await world.allReduceMax(f);
  return f[0] | f[1];
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
