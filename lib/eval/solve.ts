/**
 * Solving one's own puzzles with a trained model (`hrm solve`, and the library's
 * {@linkcode solve}): text in, each answer back with its validity, the segments used and the
 * final Q-halt probability. Puzzle identifiers are the blank id 0 (Sudoku and maze datasets
 * train with one). The model comes from a checkpoint and its config; sizes the released
 * all_config.yaml lacks come from the tensors ({@linkcode loadSolveModel}).
 *
 * @module
 */
import { join } from "@std/path";
import type { HrmConfig } from "../config/schema.ts";
import { HrmError } from "../errors.ts";
import type { Gpu } from "../gpu/device.ts";
import type { Safetensors } from "../io/safetensors.ts";
import { archFromConfig, hrmDims } from "../model/dims.ts";
import { createModel } from "../model/create.ts";
import type { ReasoningModel } from "../model/model.ts";
import { canonicalName, loadStateDict } from "../model/state.ts";
import { BUFFER_NAMES } from "../model/params.ts";
import { checkFits, largestFittingBatch } from "../train/fit.ts";
import { runSegments } from "./adaptive.ts";
import { judgeAnswer, parsePuzzle, type Puzzle, type PuzzleKind } from "./puzzles.ts";

/** Options of {@linkcode solve}. */
export interface SolveOptions {
  /** Most segments per puzzle (default: the model's halt_max_steps). */
  haltMaxSteps?: number;
  /** Stop each puzzle at the first segment whose halting rule fires. */
  act?: boolean;
  /** Puzzles per GPU batch. @default {64} */
  batchSize?: number;
  /** Keep every segment's prediction and Q logits (for traces and pictures). */
  record?: boolean;
}

/** One puzzle's outcome; `error` is set (and nothing else) when the puzzle was refused. */
export interface Solution {
  /** 0-based position in the input. */
  index: number;
  /** The puzzle as one line in its alphabet (as given, when refused). */
  puzzle: string;
  /** Why the puzzle was refused. */
  error?: string;
  /** Sudoku or maze. */
  kind?: PuzzleKind;
  /** Grid side. */
  side?: number;
  /** The answer in the puzzle's alphabet (maze rows joined by newlines, path as `o`). */
  answer?: string;
  /** Whether the answer is a valid solution. */
  valid?: boolean;
  /** Why it is not valid. */
  reason?: string;
  /** Segments run. */
  segments?: number;
  /** sigmoid(q_halt logit) at the last segment: the model's belief that its answer is right. */
  q_halt?: number;
  /** The model's input tokens. `[S]` */
  tokens?: Int32Array;
  /** With `record`: per-segment predictions `[G, S]` and Q logits `[G]` (G = segments asked). */
  record?: { preds: Int32Array; q_halt_logits: Float32Array; q_continue_logits: Float32Array };
}

/**
 * Solves puzzles given as text (see `puzzles.ts` for the formats).
 *
 * @param model A trained model whose vocabulary and sequence length fit the puzzles.
 * @param puzzles Puzzle texts, one per entry.
 * @param opts Segments, adaptive halting, batching, recording.
 * @returns One {@linkcode Solution} per puzzle, in order; refused puzzles carry `error`.
 *
 * @example Solving the demo's 4×4 Sudoku
 * ```ts ignore
 * import { loadConfig, loadSolveModel, readWeights, requestGpu, solve } from "@hrm/hrm";
 * const file = "runs/demo/run/step_1012.safetensors";
 * const model = await loadSolveModel(await requestGpu(), {
 *   config: await loadConfig({ file: "runs/demo/run/all_config.yaml" }),
 *   weights: await readWeights(file),
 *   file,
 * });
 * const [s] = await solve(model, ["4 1 2 . | 2 3 1 . | . 4 . 2 | . 2 . 1"], { act: true });
 * console.log(s.answer, s.valid, s.segments, s.q_halt); // "4123231414323241" true 2 0.97
 * ```
 */
export async function solve(
  model: ReasoningModel,
  puzzles: readonly string[],
  opts: SolveOptions = {},
): Promise<Solution[]> {
  const G = opts.haltMaxSteps ?? model.arch.halt_max_steps;
  const { S, V } = model.dims;
  const out: Solution[] = [];
  const ok: { i: number; p: Puzzle }[] = [];
  puzzles.forEach((text, index) => {
    const p = parsePuzzle(text);
    const error = typeof p === "string" ? p : fitError(p, V, S);
    out.push(
      error ? { index, puzzle: text.trim(), error } : { index, puzzle: (p as Puzzle).text },
    );
    if (!error) ok.push({ i: index, p: p as Puzzle });
  });
  // As many rows per batch as the adapter's buffers hold (a 30×30 maze model needs fewer).
  const limits = model.gpu.limits;
  const B = largestFittingBatch(limits, model.arch, model.dims, opts.batchSize ?? 64);
  if (B === 0) checkFits(limits, model.arch, model.dims, 1, "--batch-size");
  for (let b0 = 0; b0 < ok.length; b0 += B) {
    const chunk = ok.slice(b0, b0 + B);
    const inputs = new Int32Array(chunk.length * S);
    chunk.forEach(({ p }, j) => inputs.set(p.tokens, j * S));
    const run = await runSegments(model, inputs, new Int32Array(chunk.length), {
      segments: G,
      act: opts.act ?? false,
      record: opts.record,
    });
    chunk.forEach(({ i, p }, j) => {
      const preds = run.preds.subarray(j * S, (j + 1) * S);
      const a = judgeAnswer(p, preds);
      const r = run.record;
      Object.assign(
        out[i],
        {
          kind: p.kind,
          side: p.side,
          answer: a.text,
          valid: a.valid,
          reason: a.reason,
          segments: run.segments[j],
          q_halt: 1 / (1 + Math.exp(-run.q_halt_logits[j])),
          tokens: p.tokens,
          record: r
            ? {
              preds: r.preds.slice(j * G * S, (j + 1) * G * S),
              q_halt_logits: r.q_halt_logits.slice(j * G, (j + 1) * G),
              q_continue_logits: r.q_continue_logits.slice(j * G, (j + 1) * G),
            }
            : undefined,
        } satisfies Partial<Solution>,
      );
    });
  }
  return out;
}

/** Why a model of vocabulary `V` and sequence length `S` cannot take `p`, if it cannot. */
function fitError(p: Puzzle, V: number, S: number): string | undefined {
  const what = p.kind === "sudoku" ? `a ${p.side}×${p.side} Sudoku` : `a ${p.side}×${p.side} maze`;
  if (p.vocab !== V) {
    return `${what} needs a model with a vocabulary of ${p.vocab}; this checkpoint's has ${V} ` +
      `(${modelTask(V, S)})`;
  }
  if (p.tokens.length !== S) {
    return `${what} has ${p.tokens.length} cells; this checkpoint takes ${S} (${modelTask(V, S)})`;
  }
  return undefined;
}

/** A guess at what a model of these sizes solves, for messages. */
function modelTask(V: number, S: number): string {
  const side = Math.round(Math.sqrt(S));
  if (V === side + 2 && (side === 9 || side === 4)) {
    return `${side}×${side} Sudoku${V === 6 ? " or maze" : ""}`;
  }
  if (V === 6 && side * side === S) return `${side}×${side} maze`;
  if (V === 12) return "ARC";
  return `vocab ${V}, seq_len ${S}`;
}

/** Options of {@linkcode loadSolveModel}. */
export interface SolveModelOptions {
  /** The run's configuration (e.g. its all_config.yaml, loaded). */
  config: HrmConfig;
  /** The checkpoint's tensors (`readWeights`). */
  weights: Safetensors;
  /** The checkpoint file, for error messages. */
  file: string;
  /** Puzzle length when neither the dataset nor the weights fix it (RoPE models). */
  seqLen?: number;
}

/**
 * Builds a model for solving from a checkpoint and its config. The vocabulary and the number of
 * puzzle identifiers come from the tensors (`embed_tokens`, `puzzle_emb`); the sequence length
 * from the checkpoint's metadata (hrm's checkpoints record it), else the config's dataset
 * (`data_path/test/dataset.json`) when it is there, else learned position embeddings, else
 * `seqLen`.
 *
 * @param gpu The device.
 * @param opts Config, weights, and the puzzles' length as a fallback.
 * @returns The model with the checkpoint's weights.
 * @throws {HrmError} naming the file when a size cannot be found or the tensors do not fit the
 * config.
 */
export async function loadSolveModel(gpu: Gpu, opts: SolveModelOptions): Promise<ReasoningModel> {
  const byName = new Map([...opts.weights.tensors].map(([k, v]) => [canonicalName(k), v]));
  const emb = byName.get("inner.embed_tokens.embedding_weight");
  if (!emb || emb.shape.length !== 2) {
    throw new HrmError(opts.file, "checkpoint has no inner.embed_tokens.embedding_weight");
  }
  const puz = byName.get(BUFFER_NAMES.puzzle_emb);
  const trained = Number(opts.weights.metadata.seq_len); // hrm's own checkpoints record it
  const sizes = {
    vocab_size: emb.shape[0],
    num_puzzle_identifiers: puz ? puz.shape[0] : 1,
    seq_len: trained > 0 ? trained : await datasetSeqLen(opts.config.data_path) ?? 0,
  };
  if (!sizes.seq_len) {
    const pos = byName.get("inner.embed_pos.embedding_weight");
    if (pos) {
      const P = hrmDims(archFromConfig(opts.config.arch, { ...sizes, seq_len: 1 })).P;
      sizes.seq_len = pos.shape[0] - P;
    } else sizes.seq_len = opts.seqLen ?? 0;
  }
  if (!sizes.seq_len) {
    throw new HrmError(opts.file, "cannot tell the puzzle length: give a puzzle or the dataset");
  }
  const model = createModel(gpu, archFromConfig(opts.config.arch, sizes));
  try {
    loadStateDict(model, opts.weights.tensors, opts.file);
  } catch (e) {
    model.release();
    throw e;
  }
  return model;
}

/** seq_len of the dataset a run trained on, when its dataset.json is readable. */
async function datasetSeqLen(dataPath: string): Promise<number | undefined> {
  for (const split of ["test", "train"]) {
    try {
      const meta = JSON.parse(await Deno.readTextFile(join(dataPath, split, "dataset.json")));
      if (Number.isInteger(meta.seq_len) && meta.seq_len > 0) return meta.seq_len;
    } catch {
      // not there: the caller falls back to the weights or the puzzles
    }
  }
  return undefined;
}
