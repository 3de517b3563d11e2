/**
 * Evaluation as the reference runs it (pretrain.py evaluate): every test batch starts from a
 * fresh carry and runs exactly `halt_max_steps` segments (no early halting in eval); metrics are
 * taken at the last segment. `halt_max_steps` may exceed the trained value (inference-time
 * scaling). Optionally records every segment's prediction and Q values (and states) for traces.
 *
 * With a {@linkcode World} of several ranks, every rank evaluates its rows of each global test
 * batch (the reference's sampler slice for rank/num_replicas) and the metric sums, predictions
 * and traces are combined over the ranks, so every rank returns what one process would.
 *
 * @module
 */
import { Encoder, readTensors, writeTensor } from "../gpu/encoder.ts";
import { Tensor } from "../gpu/tensor.ts";
import { fill } from "../ops/elementwise.ts";
import { actLoss, type LossType } from "../ops/losses.ts";
import {
  actMetrics,
  emptyBatch,
  evalSegment,
  initialCarry,
  METRIC_NAMES,
  releaseBatch,
  releaseCarry,
} from "../model/act.ts";
import type { ReasoningModel } from "../model/model.ts";
import { type SamplerSource, testBatches } from "../train/sampler.ts";
import { checkDivisible, rankRows } from "../train/distributed.ts";
import type { World } from "../dist/world.ts";

/** Options of {@linkcode evaluate}. */
export interface EvalOptions {
  /** Rows per batch. */
  batchSize: number;
  /** Segments to run (default: the model's halt_max_steps). */
  haltMaxSteps?: number;
  /** LM loss flavour for the reported lm_loss. */
  lossType: LossType;
  /** Evaluate only the first `limit` examples. */
  limit?: number;
  /** Keep per-example outputs (for --save-preds, voting, maze checks). */
  keepPredictions?: boolean;
  /** Record per-segment outputs of the first `traceLimit` examples. */
  traceLimit?: number;
  /** Also record z_H and z_L per segment in the trace. */
  traceStates?: boolean;
  /** Called after each batch with examples done and total. */
  onProgress?: (done: number, total: number) => void;
  /** Split each batch across these ranks (`batchSize` must divide); default: one process. */
  world?: World;
}

/** Per-example outputs in file order. */
export interface Predictions {
  /** `[N, S]` */
  inputs: Int32Array;
  /** `[N, S]` (−100 = ignored) */
  labels: Int32Array;
  /** `[N]` */
  puzzle_identifiers: Int32Array;
  /** argmax of the last segment's logits. `[N, S]` */
  preds: Int32Array;
  /** `[N]` */
  q_halt_logits: Float32Array;
  /** `[N]` */
  q_continue_logits: Float32Array;
  /** Segments run. `[N]` */
  steps: Int32Array;
}

/** Per-segment record of the first examples. */
export interface TraceData {
  /** Examples traced. */
  n: number;
  /** Segments. */
  segments: number;
  /** `[n, S]` */
  inputs: Int32Array;
  /** `[n, S]` */
  labels: Int32Array;
  /** `[n]` */
  puzzle_identifiers: Int32Array;
  /** `[n, segments, S]` */
  preds: Int32Array;
  /** `[n, segments]` */
  q_halt_logits: Float32Array;
  /** `[n, segments]` */
  q_continue_logits: Float32Array;
  /** `[n, segments, T, D]` when states were asked for. */
  z_H?: Float32Array;
  /** `[n, segments, T, D]` when states were asked for. */
  z_L?: Float32Array;
}

/** What {@linkcode evaluate} returns. */
export interface EvalResult {
  /** The reference's eval metrics, divided by count (lm_loss etc. too, as in eval). */
  metrics: Record<string, number>;
  /** Present with `keepPredictions`. */
  predictions?: Predictions;
  /** Present with `traceLimit`. */
  trace?: TraceData;
}

/**
 * Evaluates `model` on a test split.
 *
 * @param model The model.
 * @param src The test split.
 * @param opts See {@linkcode EvalOptions}.
 * @returns Metrics, and predictions/trace when asked for.
 */
export async function evaluate(
  model: ReasoningModel,
  src: SamplerSource,
  opts: EvalOptions,
): Promise<EvalResult> {
  const gpu = model.gpu;
  const shard = { rank: opts.world?.rank ?? 0, size: opts.world?.size ?? 1 };
  checkDivisible(opts.batchSize, shard.size, "the evaluation batch size");
  const B = opts.batchSize / shard.size; // rows on this rank
  const segments = opts.haltMaxSteps ?? model.arch.halt_max_steps;
  const { S, T, D } = model.dims;
  const total = Math.min(src.inputs.length / S, opts.limit ?? Infinity);
  const traceN = Math.min(opts.traceLimit ?? 0, total);
  const keep = opts.keepPredictions ?? false;
  const P: Predictions | undefined = keep
    ? {
      inputs: new Int32Array(total * S),
      labels: new Int32Array(total * S),
      puzzle_identifiers: new Int32Array(total),
      preds: new Int32Array(total * S),
      q_halt_logits: new Float32Array(total),
      q_continue_logits: new Float32Array(total),
      steps: new Int32Array(total),
    }
    : undefined;
  const trace: TraceData | undefined = traceN > 0
    ? {
      n: traceN,
      segments,
      inputs: new Int32Array(traceN * S),
      labels: new Int32Array(traceN * S),
      puzzle_identifiers: new Int32Array(traceN),
      preds: new Int32Array(traceN * segments * S),
      q_halt_logits: new Float32Array(traceN * segments),
      q_continue_logits: new Float32Array(traceN * segments),
      z_H: opts.traceStates ? new Float32Array(traceN * segments * T * D) : undefined,
      z_L: opts.traceStates ? new Float32Array(traceN * segments * T * D) : undefined,
    }
    : undefined;

  const incoming = emptyBatch(model, B, "eval");
  const minSteps = Tensor.empty(gpu, [B], "u32", "min_steps");
  const acc = Tensor.empty(gpu, [8], "f32", "eval_metrics");
  writeTensor(minSteps, new Uint32Array(B));
  let enc = new Encoder(gpu);
  fill(enc, acc, 0);
  enc.submit();
  let done = 0;
  for (const global of testBatches(src, opts.batchSize, total)) {
    const hb = rankRows(global, shard);
    if (P) {
      // Every rank knows every batch: inputs, labels and ids need no exchange.
      for (let i = 0; i < global.effective; i++) {
        const e = global.exampleIndex![i];
        P.inputs.set(global.inputs.subarray(i * S, (i + 1) * S), e * S);
        P.labels.set(global.labels.subarray(i * S, (i + 1) * S), e * S);
        P.puzzle_identifiers[e] = global.puzzle_identifiers[i];
      }
    }
    // A rank whose rows are all padding still runs them: padding rows add to the summed
    // losses (the reference's q_halt_loss counts every row), as in one process.
    writeTensor(incoming.inputs, hb.inputs);
    writeTensor(incoming.labels, hb.labels);
    writeTensor(incoming.puzzle_identifiers, hb.puzzle_identifiers);
    enc = new Encoder(gpu);
    const carry = initialCarry(enc, model, B);
    const tracing = trace && done < traceN;
    const segPreds: Tensor[] = [], segQ: Tensor[] = [], segZ: Tensor[] = [];
    let last: { preds: Tensor; qh: Tensor; qc: Tensor } | undefined;
    for (let s = 0; s < segments; s++) {
      const { x, out } = evalSegment(enc, model, carry, incoming, minSteps, segments);
      x.release();
      const isLast = s === segments - 1;
      if (isLast || tracing) {
        const lm = actLoss(enc, { ...out, labels: carry.data.labels }, {
          lossType: opts.lossType,
          gradScale: 1,
          wantGrad: false,
        });
        if (isLast) {
          actMetrics(enc, carry, lm.rows, out.q_halt_logits, acc);
          last = { preds: lm.preds, qh: out.q_halt_logits, qc: out.q_continue_logits };
        }
        if (tracing) {
          segPreds.push(lm.preds);
          segQ.push(out.q_halt_logits, out.q_continue_logits);
          if (opts.traceStates) {
            const zh = Tensor.empty(gpu, carry.inner.z_H.shape, "f32", "trace_z_H");
            const zl = Tensor.empty(gpu, carry.inner.z_L.shape, "f32", "trace_z_L");
            enc.copy(carry.inner.z_H, zh);
            enc.copy(carry.inner.z_L, zl);
            segZ.push(zh, zl);
          }
        }
        lm.rows.release();
        if (!tracing && !isLast) lm.preds.release();
        if (!isLast && !tracing) {
          out.q_halt_logits.release();
          out.q_continue_logits.release();
        }
      } else {
        out.q_halt_logits.release();
        out.q_continue_logits.release();
      }
      out.logits.release();
    }
    enc.submit();
    const reads = [last!.preds, last!.qh, last!.qc, carry.steps, ...segPreds, ...segQ, ...segZ];
    const r = await readTensors(gpu, reads);
    const n = hb.effective;
    if (P) {
      for (let i = 0; i < n; i++) {
        const e = hb.exampleIndex![i];
        P.preds.set((r[0] as Int32Array).subarray(i * S, (i + 1) * S), e * S);
        P.q_halt_logits[e] = r[1][i];
        P.q_continue_logits[e] = r[2][i];
        P.steps[e] = r[3][i];
      }
    }
    if (tracing && trace) {
      const base = 4, nq = segPreds.length;
      for (let i = 0; i < n; i++) {
        const e = hb.exampleIndex![i];
        if (e >= traceN) continue;
        trace.inputs.set(hb.inputs.subarray(i * S, (i + 1) * S), e * S);
        trace.labels.set(hb.labels.subarray(i * S, (i + 1) * S), e * S);
        trace.puzzle_identifiers[e] = hb.puzzle_identifiers[i];
        for (let s = 0; s < segments; s++) {
          trace.preds.set(
            (r[base + s] as Int32Array).subarray(i * S, (i + 1) * S),
            (e * segments + s) * S,
          );
          trace.q_halt_logits[e * segments + s] = r[base + nq + 2 * s][i];
          trace.q_continue_logits[e * segments + s] = r[base + nq + 2 * s + 1][i];
          if (opts.traceStates) {
            const zb = base + 3 * nq;
            trace.z_H!.set(
              (r[zb + 2 * s] as Float32Array).subarray(i * T * D, (i + 1) * T * D),
              (e * segments + s) * T * D,
            );
            trace.z_L!.set(
              (r[zb + 2 * s + 1] as Float32Array).subarray(i * T * D, (i + 1) * T * D),
              (e * segments + s) * T * D,
            );
          }
        }
      }
    }
    const owned = new Set<Tensor>([last!.preds, last!.qh, last!.qc, ...segPreds, ...segQ, ...segZ]);
    for (const t of owned) t.release();
    releaseCarry(carry);
    done += global.effective;
    opts.onProgress?.(done, total);
  }
  const [sums] = await readTensors(gpu, [acc]);
  if (opts.world && shard.size > 1) {
    // Each example's outputs are non-zero on one rank only, so the sums are the gathered values.
    const w = opts.world;
    await w.allReduceSum(sums as Float32Array);
    if (P) {
      for (const a of [P.preds, P.q_halt_logits, P.q_continue_logits, P.steps]) {
        await w.allReduceSum(a);
      }
    }
    if (trace) {
      for (
        const a of [
          trace.inputs,
          trace.labels,
          trace.puzzle_identifiers,
          trace.preds,
          trace.q_halt_logits,
          trace.q_continue_logits,
          trace.z_H,
          trace.z_L,
        ]
      ) if (a) await w.allReduceSum(a);
    }
  }
  releaseBatch(incoming);
  minSteps.release();
  acc.release();
  const count = Math.max(1, sums[0]);
  const metrics: Record<string, number> = {};
  METRIC_NAMES.forEach((k, i) => {
    if (k === "q_continue_loss") return;
    metrics[k] = k === "count" ? sums[0] : sums[i] / count;
  });
  return { metrics, predictions: P, trace };
}
