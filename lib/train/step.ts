/**
 * One training step of HRM or TRM, encoded as one command buffer with no readback (pretrain.py
 * train_batch + ACTLossHead): a segment with gradient for every row, the halting decision, the
 * Q target from a second no-grad segment (HRM; not with TRM's no_ACT_continue), the losses,
 * backward, AdamATan2 over all weights (not with freeze_weights), SignSGD for the puzzle
 * embedding, and TRM's EMA of the weights. Metric sums accumulate on the GPU and are read every
 * N steps.
 *
 * Data-parallel (a {@linkcode Shard} of several ranks, see lib/dist): each rank trains its
 * contiguous rows of the global batch with its own ACT carry and scales its loss by
 * 1/global_batch_size, as pretrain.py does; {@linkcode Trainer.trainStepSynced} then reads the
 * flat gradient back once, sums it over the ranks, uploads it once, gathers the puzzle-embedding
 * rows and ids of every rank (CastedSparseEmbeddingSignSGD_Distributed) and runs the identical
 * optimizer step on every rank.
 *
 * @module
 */
import { Encoder, readTensors, writeTensor } from "../gpu/encoder.ts";
import { Tensor } from "../gpu/tensor.ts";
import { fill } from "../ops/elementwise.ts";
import { actLoss, type LossType } from "../ops/losses.ts";
import { adamAtan2, emaUpdate, signSgdSparse } from "../ops/optim.ts";
import {
  actBegin,
  type ActCarry,
  actHalt,
  actMetrics,
  actTarget,
  emptyBatch,
  initialCarry,
  releaseBatch,
  releaseCarry,
} from "../model/act.ts";
import type { BatchTensors, ReasoningModel } from "../model/model.ts";
import { FlatParams } from "../model/params.ts";
import type { World } from "../dist/world.ts";
import { Rng } from "../../datasets/rng.ts";

/** Optimizer settings of one step (the lr already scheduled). */
export interface StepHyper {
  /** AdamATan2 learning rate. */
  lr: number;
  /** SignSGD learning rate of the puzzle embedding. */
  puzzle_emb_lr: number;
  /** AdamATan2 decoupled weight decay. */
  weight_decay: number;
  /** SignSGD decoupled weight decay. */
  puzzle_emb_weight_decay: number;
  /** Adam β1. */
  beta1: number;
  /** Adam β2. */
  beta2: number;
}

/** Options of a {@linkcode Trainer} beyond the step's hyperparameters. */
export interface TrainerOptions {
  /** Keep an EMA of the weights with this ema_rate (TRM's `ema: true`); undefined: none. */
  emaRate?: number;
  /** Train only the puzzle embedding (TRM's `freeze_weights`; ignored without one). */
  freezeWeights?: boolean;
  /** This rank's share of every global batch (data-parallel); default: the whole batch. */
  shard?: Shard;
  /**
   * Rows per forward/backward pass (`micro_batch_size`): this rank's rows are cut into
   * micro-batches of this many whose gradients add up before the one optimizer step. ACT rows
   * are independent, so the step equals the unsplit one up to float summation order. Default:
   * all of the rank's rows at once.
   */
  microBatchSize?: number;
}

/** A rank's share of every global batch: rows `[rank·B/size, (rank+1)·B/size)`. */
export interface Shard {
  /** This rank. */
  rank: number;
  /** Ranks. */
  size: number;
}

/** Tensors of a step's forward and backward that the optimizer part still needs. */
interface BackwardOut {
  /** Gradient of the batch's puzzle-embedding rows, when the model has a puzzle embedding. */
  dpuz: Tensor | undefined;
}

/**
 * The static loss scale of float16 training: 2¹⁰ lifts gradients of ~1e-8 (a 1/768 batch scale
 * times small per-token terms) above f16's subnormal floor (6e-8), while a loss gradient of at
 * most 1/B per logit stays far below f16's 65504.
 */
export const LOSS_SCALE_F16 = 1024;

/** GPU state of a training run besides the weights. */
export class Trainer {
  /** The model. */
  readonly model: ReasoningModel;
  /** Rows per step on this rank (global_batch_size / ranks). */
  readonly batchSize: number;
  /** global_batch_size: rows per step over all ranks. */
  readonly globalBatchSize: number;
  /** Rows per forward/backward pass (this rank's rows unless split into micro-batches). */
  readonly microBatchSize: number;
  /**
   * The static loss scale: under float16 mixed precision the loss gradient is multiplied by it,
   * so gradients small enough to vanish in f16 operands survive, and AdamATan2 divides it out
   * (SignSGD needs only the sign); 1 in float32. `grads` hold the scaled gradients.
   */
  readonly lossScale: number;
  /** This rank's rows of the global batch. */
  readonly shard: Shard;
  /**
   * Milliseconds of the last synced step's exchange between ranks: all-reduce, gathers and
   * upload (the readback before them waits for the step's GPU work, so it is step time).
   */
  lastSyncMs = 0;
  /** Gradients, same layout as the weights. */
  readonly grads: FlatParams;
  /** AdamATan2 first moment. */
  readonly m: FlatParams;
  /** AdamATan2 second moment. */
  readonly v: FlatParams;
  /** The EMA shadow of the trainable weights, when the run keeps one. */
  readonly ema: FlatParams | undefined;
  /** Optimizer steps taken. */
  step = 0;
  /** Dispatches recorded by the last {@linkcode trainStep} (one command buffer). */
  lastDispatches = 0;
  /** The ACT carry. */
  carry: ActCarry;
  /** The next batch, uploaded before each step. */
  readonly incoming: BatchTensors;
  /** Metric sums since the last read (`METRIC_NAMES` order). `[8]` */
  readonly metrics: Tensor;
  readonly #minSteps: Tensor;
  readonly #lossType: LossType;
  readonly #seed: number;
  readonly #emaRate: number | undefined;
  readonly #freeze: boolean;
  /** Every rank's puzzle-embedding rows and ids, gathered (data-parallel runs). */
  #gathered: { dpuz: Tensor; ids: Tensor } | undefined;

  /**
   * @param model The model (weights loaded or initialised; the EMA starts from them).
   * @param batchSize global_batch_size (this rank trains its `shard` of it).
   * @param lossType arch.loss.loss_type.
   * @param seed Seeds the exploration draws.
   * @param opts EMA, freeze_weights and the shard.
   * @throws {RangeError} when the ranks do not divide the batch.
   */
  constructor(
    model: ReasoningModel,
    batchSize: number,
    lossType: LossType,
    seed: number,
    opts: TrainerOptions = {},
  ) {
    this.model = model;
    this.#emaRate = opts.emaRate;
    this.#freeze = (opts.freezeWeights ?? false) && model.puzzle_emb !== undefined;
    this.shard = opts.shard ?? { rank: 0, size: 1 };
    if (batchSize % this.shard.size !== 0) {
      throw new RangeError(
        `global batch ${batchSize} is not divisible by ${this.shard.size} ranks`,
      );
    }
    this.globalBatchSize = batchSize;
    batchSize /= this.shard.size;
    this.batchSize = batchSize;
    const mb = opts.microBatchSize ?? batchSize;
    if (!(Number.isInteger(mb) && mb >= 1)) {
      throw new RangeError(`Trainer: micro_batch_size must be a positive integer, got ${mb}`);
    }
    this.microBatchSize = Math.min(mb, batchSize);
    this.lossScale = model.half ? LOSS_SCALE_F16 : 1;
    this.#lossType = lossType;
    this.#seed = seed;
    const layout = { specs: [...model.params.specs], size: model.params.flat.size };
    this.grads = new FlatParams(model.gpu, layout, "grads");
    this.m = new FlatParams(model.gpu, layout, "adam_m");
    this.v = new FlatParams(model.gpu, layout, "adam_v");
    this.ema = opts.emaRate !== undefined ? new FlatParams(model.gpu, layout, "ema") : undefined;
    this.incoming = emptyBatch(model, batchSize, "incoming");
    this.metrics = Tensor.empty(model.gpu, [8], "f32", "train_metrics");
    this.#minSteps = Tensor.empty(model.gpu, [batchSize], "u32", "min_halt_steps");
    const enc = this.encoder();
    for (const t of [this.m.flat, this.v.flat, this.metrics]) fill(enc, t, 0);
    this.carry = initialCarry(enc, model, batchSize);
    if (this.ema) enc.copy(model.params.flat, this.ema.flat);
    enc.submit();
  }

  /**
   * Runs `f` with the EMA weights in the model (evaluation and `step_N` checkpoints during an
   * EMA run use them, as the reference does), then puts the raw weights back. Without EMA it just
   * runs `f`.
   */
  async withEmaWeights<T>(f: () => Promise<T>): Promise<T> {
    if (!this.ema) return await f();
    const params = this.model.params.flat;
    const raw = Tensor.empty(this.model.gpu, params.shape, "f32", "raw_params");
    let enc = this.encoder();
    enc.copy(params, raw);
    enc.copy(this.ema.flat, params);
    enc.submit();
    try {
      return await f();
    } finally {
      enc = this.encoder();
      enc.copy(raw, params);
      enc.submit();
      raw.release();
    }
  }

  /** A new encoder for this trainer's device. */
  encoder(): Encoder {
    return new Encoder(this.model.gpu);
  }

  /** Uploads the next batch (call between steps). Token arrays are widened to i32. */
  setBatch(
    inputs: ArrayLike<number>,
    labels: ArrayLike<number>,
    puzzleIds: ArrayLike<number>,
  ): void {
    writeTensor(this.incoming.inputs, inputs);
    writeTensor(this.incoming.labels, labels);
    writeTensor(this.incoming.puzzle_identifiers, puzzleIds);
  }

  /**
   * Encodes and submits one optimizer step on the uploaded batch (one rank; no readback).
   *
   * @param h Hyperparameters with the scheduled learning rates.
   */
  trainStep(h: StepHyper): void {
    const enc = this.#begin();
    const { dpuz } = this.#forwardBackward(enc);
    this.#update(enc, h, this.carry.data.puzzle_identifiers, dpuz);
    dpuz?.release();
    this.lastDispatches = enc.dispatches;
    enc.submit();
  }

  /**
   * One data-parallel optimizer step: forward and backward on this rank's rows, then one
   * readback of the flat gradient (and the puzzle-embedding rows and ids), their sum (and
   * gather) over the ranks, one upload, and the same optimizer step as every other rank. Every
   * rank must call it for every step.
   *
   * @param h Hyperparameters with the scheduled learning rates.
   * @param world The ranks.
   */
  async trainStepSynced(h: StepHyper, world: World): Promise<void> {
    let enc = this.#begin();
    const { dpuz } = this.#forwardBackward(enc);
    const dispatches = enc.dispatches;
    enc.submit();
    const ids = this.carry.data.puzzle_identifiers;
    const got = await readTensors(
      this.model.gpu,
      dpuz ? [this.grads.flat, dpuz, ids] : [
        this.grads.flat,
      ],
    );
    const t0 = performance.now();
    const grads = got[0] as Float32Array;
    await world.allReduceSum(grads);
    writeTensor(this.grads.flat, grads);
    let allIds = ids, allDpuz = dpuz;
    if (dpuz) {
      const mine = got[2];
      const gDpuz = await world.allGather(got[1] as Float32Array);
      const gIds = await world.allGather(new Int32Array(mine.buffer, mine.byteOffset, mine.length));
      this.#gathered ??= {
        dpuz: Tensor.empty(
          this.model.gpu,
          [this.globalBatchSize, dpuz.shape[1]],
          "f32",
          "dpuz_all",
        ),
        ids: Tensor.empty(this.model.gpu, [this.globalBatchSize], "i32", "puzzle_ids_all"),
      };
      writeTensor(this.#gathered.dpuz, gDpuz);
      writeTensor(this.#gathered.ids, gIds);
      allIds = this.#gathered.ids;
      allDpuz = this.#gathered.dpuz;
    }
    this.lastSyncMs = performance.now() - t0;
    enc = this.encoder();
    this.#update(enc, h, allIds, allDpuz);
    dpuz?.release();
    this.lastDispatches = dispatches + enc.dispatches;
    enc.submit();
  }

  /** Draws this step's exploration and counts the step; returns the step's first encoder. */
  #begin(): Encoder {
    const B = this.batchSize, arch = this.model.arch;
    // Exploration: with probability p a row must run at least U{2..halt_max_steps} segments.
    // Drawn from a stream per step, so a resumed run draws what an uninterrupted one would;
    // every rank draws the whole global batch's rows and keeps its own, so any number of ranks
    // draws what one would.
    const rng = new Rng(`${this.#seed}:explore:${this.step + 1}`);
    const first = this.shard.rank * B;
    const minSteps = new Uint32Array(B);
    for (let b = 0; b < first + B; b++) {
      if (rng.float() < arch.halt_exploration_prob) {
        const n = rng.range(2, arch.halt_max_steps);
        if (b >= first) minSteps[b - first] = n;
      }
    }
    writeTensor(this.#minSteps, minSteps);
    this.step++;
    const enc = this.encoder();
    fill(enc, this.grads.flat, 0);
    return enc;
  }

  /**
   * Encodes the segment, the halting decision, the losses and backward into `grads`: on all of
   * this rank's rows at once, or micro-batch by micro-batch (each one's rows copied out of the
   * carry, run, and copied back; gradients accumulate, the loss scale stays 1/global batch).
   */
  #forwardBackward(enc: Encoder): BackwardOut {
    const B = this.batchSize, mb = this.microBatchSize;
    if (mb >= B) return { dpuz: this.#rows(enc, this.carry, this.incoming, this.#minSteps) };
    let dpuz: Tensor | undefined;
    for (let b0 = 0; b0 < B; b0 += mb) {
      const n = Math.min(mb, B - b0);
      const part = carryRows(enc, this.model, this.carry, this.incoming, this.#minSteps, b0, n);
      const d = this.#rows(enc, part.carry, part.incoming, part.minSteps);
      if (d) {
        // The rows' puzzle-embedding gradients, for one SignSGD step on the whole batch's sum.
        dpuz ??= Tensor.empty(this.model.gpu, [B, d.shape[1]], "f32", "d_puzzle_emb");
        enc.copy(d, rowsView(dpuz, b0, n));
        d.release();
      }
      part.writeBack(enc);
    }
    return { dpuz };
  }

  /**
   * One segment with gradient on the rows of carry `c` (this rank's, or a micro-batch): returns
   * the gradient of the rows' puzzle-embedding slots, when the model has a puzzle embedding.
   */
  #rows(enc: Encoder, c: ActCarry, incoming: BatchTensors, minSteps: Tensor): Tensor | undefined {
    const model = this.model, B = c.halted.size, arch = model.arch;
    actBegin(enc, model, c, incoming);
    const x = model.inputEmbeddings(enc, c.data);
    const { out, saved } = model.inner(enc, c.inner, x, c.data, true);
    const noActContinue = model.spec.noActContinue;
    actHalt(
      enc,
      c,
      out.q_halt_logits,
      out.q_continue_logits,
      minSteps,
      arch.halt_max_steps,
      true,
      noActContinue,
    );
    // Q target (HRM): a second full segment from the new carry on the same data, without gradient.
    let target: Tensor | undefined;
    if (arch.halt_max_steps > 1 && !noActContinue) {
      const tmp = model.emptyCarry(B);
      enc.copy(c.inner.z_H, tmp.z_H);
      enc.copy(c.inner.z_L, tmp.z_L);
      const next = model.inner(enc, tmp, x, c.data, false).out;
      target = actTarget(enc, next.q_halt_logits, next.q_continue_logits, c.is_last);
      for (const t of [tmp.z_H, tmp.z_L, next.logits, next.q_halt_logits, next.q_continue_logits]) {
        t.release();
      }
    }
    x.release();
    // pretrain.py: loss / global_batch_size; times the static loss scale under float16.
    const gs = this.lossScale / this.globalBatchSize;
    const loss = actLoss(enc, { ...out, labels: c.data.labels, target }, {
      lossType: this.#lossType,
      gradScale: gs,
    });
    actMetrics(enc, c, loss.rows, out.q_halt_logits, this.metrics);
    const dpuz = model.innerBackward(enc, saved!, this.grads, loss.dlogits!, loss.dq!);
    for (
      const t of [
        out.logits,
        out.q_halt_logits,
        out.q_continue_logits,
        loss.rows,
        loss.dlogits!,
        loss.dq!,
        loss.preds,
      ]
    ) {
      t.release();
    }
    target?.release();
    return dpuz;
  }

  /** Encodes AdamATan2 over the weights, SignSGD over the puzzle rows `ids`, and the EMA. */
  #update(enc: Encoder, h: StepHyper, ids: Tensor, dpuz: Tensor | undefined): void {
    const model = this.model;
    if (!this.#freeze) {
      adamAtan2(enc, model.params.flat, this.grads.flat, this.m.flat, this.v.flat, {
        lr: h.lr,
        beta1: h.beta1,
        beta2: h.beta2,
        weightDecay: h.weight_decay,
        step: this.step,
        gradScale: 1 / this.lossScale,
      });
    }
    if (dpuz) {
      signSgdSparse(enc, model.puzzle_emb!, ids, dpuz, {
        lr: h.puzzle_emb_lr,
        weightDecay: h.puzzle_emb_weight_decay,
      });
    }
    if (this.ema) emaUpdate(enc, model.params.flat, this.ema.flat, this.#emaRate!);
  }

  /** Releases all GPU state of the trainer (not the model). */
  release(): void {
    for (const f of [this.grads, this.m, this.v]) f.release();
    this.ema?.release();
    releaseCarry(this.carry);
    releaseBatch(this.incoming);
    this.metrics.release();
    this.#minSteps.release();
    this.#gathered?.dpuz.release();
    this.#gathered?.ids.release();
  }
}

/** Rows `b0..b0+n` of a tensor whose first dimension is the batch (a view, no copy). */
function rowsView(t: Tensor, b0: number, n: number): Tensor {
  const row = t.size / t.shape[0];
  return Tensor.view(t, b0 * row, [n, ...t.shape.slice(1)]);
}

/**
 * A micro-batch: copies of rows `b0..b0+n` of the carry, the incoming batch and the exploration
 * draws (copies, not views: kernels bind whole tensors at aligned offsets), and `writeBack`,
 * which copies the carry rows back and returns the copies to the pool.
 */
function carryRows(
  enc: Encoder,
  model: ReasoningModel,
  c: ActCarry,
  incoming: BatchTensors,
  minSteps: Tensor,
  b0: number,
  n: number,
): { carry: ActCarry; incoming: BatchTensors; minSteps: Tensor; writeBack(enc: Encoder): void } {
  const take = (t: Tensor) => {
    const part = Tensor.empty(model.gpu, [n, ...t.shape.slice(1)], t.dtype, `${t.label}.micro`);
    enc.copy(rowsView(t, b0, n), part);
    return part;
  };
  const batch = (b: BatchTensors): BatchTensors => ({
    inputs: take(b.inputs),
    labels: take(b.labels),
    puzzle_identifiers: take(b.puzzle_identifiers),
  });
  const carry: ActCarry = {
    inner: { z_H: take(c.inner.z_H), z_L: take(c.inner.z_L) },
    steps: take(c.steps),
    halted: take(c.halted),
    is_last: take(c.is_last),
    data: batch(c.data),
  };
  const part = { carry, incoming: batch(incoming), minSteps: take(minSteps) };
  return {
    ...part,
    writeBack(enc: Encoder) {
      const pairs: [Tensor, Tensor][] = [
        [carry.inner.z_H, c.inner.z_H],
        [carry.inner.z_L, c.inner.z_L],
        [carry.steps, c.steps],
        [carry.halted, c.halted],
        [carry.is_last, c.is_last],
        [carry.data.inputs, c.data.inputs],
        [carry.data.labels, c.data.labels],
        [carry.data.puzzle_identifiers, c.data.puzzle_identifiers],
      ];
      for (const [from, to] of pairs) enc.copy(from, rowsView(to, b0, n));
      // Back to the pool at once: recorded work runs in order, so the next micro-batch may reuse
      // them (nothing writes them from the queue).
      for (const [from] of pairs) from.release();
      for (const t of [part.minSteps, ...Object.values(part.incoming)]) t.release();
    },
  };
}
