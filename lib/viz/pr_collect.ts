/**
 * Collects z_H and z_L state clouds for the participation-ratio analysis, from a trace that has
 * states or by running a model over the first test examples chunk by chunk (so memory stays at
 * one chunk's states).
 *
 * A sample is the D-dimensional state of one token position of one example after one segment
 * (`unit: "token"`), or the mean over positions of one example after one segment
 * (`unit: "segment"`). The puzzle-embedding positions are left out: they hold no cell. When
 * there are more samples than `maxStates`, each is kept with probability maxStates / total by a
 * seeded generator, so runs repeat exactly.
 *
 * @module
 */
import { Rng } from "../../datasets/rng.ts";
import { evaluate } from "../eval/evaluate.ts";
import type { TraceData } from "../eval/evaluate.ts";
import type { LossType } from "../ops/losses.ts";
import type { ReasoningModel } from "../model/model.ts";
import type { SamplerSource } from "../train/sampler.ts";
import { CovarianceAccumulator } from "./pr.ts";

/** What one sample is. */
export type PrUnit = "token" | "segment";

/** The two state clouds. */
export interface StateClouds {
  /** High-level states. */
  z_H: CovarianceAccumulator;
  /** Low-level states. */
  z_L: CovarianceAccumulator;
}

/** Sizes of the states in a trace. */
export interface StateDims {
  /** Sequence length. */
  S: number;
  /** Puzzle-embedding positions before the tokens. */
  P: number;
  /** Hidden size. */
  D: number;
}

/** Options of {@linkcode addTraceStates}. */
export interface AddOptions {
  /** What one sample is. */
  unit: PrUnit;
  /** Probability of keeping each sample (1 = all). */
  keep: number;
  /** The generator deciding which samples are kept. */
  rng: Rng;
}

/**
 * Empty clouds.
 *
 * @param D State dimension (hidden_size).
 * @returns An accumulator for each module.
 */
export function emptyClouds(D: number): StateClouds {
  return { z_H: new CovarianceAccumulator(D), z_L: new CovarianceAccumulator(D) };
}

/**
 * Adds a trace's states to the clouds.
 *
 * @param clouds Where the samples go.
 * @param t Trace data with `z_H` and `z_L` (`[n, G, P + S, D]`).
 * @param dims Its sizes.
 * @param opts Sample unit and subsampling.
 * @throws {Error} if the trace has no states (callers check and report the file).
 */
export function addTraceStates(
  clouds: StateClouds,
  t: TraceData,
  dims: StateDims,
  opts: AddOptions,
): void {
  if (!t.z_H || !t.z_L) throw new Error("trace has no z_H/z_L states");
  const { S, P, D } = dims, T = S + P, G = t.segments;
  const mean = new Float64Array(D);
  // Both modules draw from generators with one seed, so z_H and z_L keep the same samples.
  const seed = opts.rng.int(2 ** 30);
  for (const [z, acc] of [[t.z_H, clouds.z_H], [t.z_L, clouds.z_L]] as const) {
    const rng = new Rng(seed);
    for (let e = 0; e < t.n; e++) {
      for (let s = 0; s < G; s++) {
        const base = (e * G + s) * T;
        if (opts.unit === "segment") {
          if (opts.keep < 1 && rng.float() >= opts.keep) continue;
          mean.fill(0);
          for (let p = P; p < T; p++) {
            const o = (base + p) * D;
            for (let k = 0; k < D; k++) mean[k] += z[o + k];
          }
          for (let k = 0; k < D; k++) mean[k] /= S;
          acc.add(mean);
          continue;
        }
        for (let p = P; p < T; p++) {
          if (opts.keep < 1 && rng.float() >= opts.keep) continue;
          acc.add(z, (base + p) * D);
        }
      }
    }
  }
}

/**
 * A test source restricted to examples `[a, b)` (puzzle indices rebased), for chunked runs.
 *
 * @param src The whole split.
 * @param a First example.
 * @param b One past the last example.
 * @returns A source with only those examples.
 */
export function sliceSource(src: SamplerSource, a: number, b: number): SamplerSource {
  const S = src.seq_len, pi = src.puzzle_indices;
  let first = 0;
  while (first + 1 < pi.length - 1 && pi[first + 1] <= a) first++;
  let last = first;
  while (last + 1 < pi.length - 1 && pi[last + 1] < b) last++;
  const indices = new Int32Array(last - first + 2);
  for (let p = first; p <= last; p++) indices[p - first] = Math.max(0, pi[p] - a);
  indices[last - first + 1] = b - a;
  return {
    ...src,
    inputs: src.inputs.subarray(a * S, b * S),
    labels: src.labels.subarray(a * S, b * S),
    puzzle_identifiers: src.puzzle_identifiers.subarray(first, last + 1),
    puzzle_indices: indices,
    group_indices: Int32Array.from([0, last - first + 1]),
  };
}

/** Options of {@linkcode collectModelStates}. */
export interface CollectOptions {
  /** Test examples to run (the first ones). */
  examples: number;
  /** Rows per evaluation batch (also the chunk size). */
  batchSize: number;
  /** Segments per example (default: the model's halt_max_steps). */
  segments?: number;
  /** LM loss flavour (evaluate reports a loss). */
  lossType: LossType;
  /** What one sample is. */
  unit: PrUnit;
  /** Most samples per module before random subsampling. */
  maxStates: number;
  /** Seed of the subsampling. */
  seed: number;
  /** Called after each chunk with examples done and total. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Runs `model` over the first test examples and collects its states after every segment.
 *
 * @param model The model (trained or freshly initialised).
 * @param src The test split.
 * @param opts Examples, batch size, unit, subsampling.
 * @returns The clouds.
 */
export async function collectModelStates(
  model: ReasoningModel,
  src: SamplerSource,
  opts: CollectOptions,
): Promise<StateClouds> {
  const { S, P, D } = model.dims;
  const total = Math.min(opts.examples, src.inputs.length / src.seq_len);
  const G = opts.segments ?? model.arch.halt_max_steps;
  const perExample = opts.unit === "token" ? G * S : G;
  const keep = Math.min(1, opts.maxStates / Math.max(1, total * perExample));
  const clouds = emptyClouds(D);
  const rng = new Rng(`pr:${opts.seed}`);
  for (let a = 0; a < total; a += opts.batchSize) {
    const b = Math.min(total, a + opts.batchSize);
    const r = await evaluate(model, sliceSource(src, a, b), {
      batchSize: opts.batchSize,
      haltMaxSteps: G,
      lossType: opts.lossType,
      limit: b - a,
      traceLimit: b - a,
      traceStates: true,
    });
    addTraceStates(clouds, r.trace!, { S, P, D }, { unit: opts.unit, keep, rng });
    opts.onProgress?.(b, total);
  }
  return clouds;
}
