/**
 * Shared by the model benchmarks: a training step of a preset (optionally with arch overrides and
 * another batch size) on fixed pseudo-random Sudoku-shaped tokens, ready to run.
 *
 * @module
 */
import type { Gpu } from "../lib/gpu/device.ts";
import { createModel } from "../lib/model/create.ts";
import type { ReasoningModel } from "../lib/model/model.ts";
import { archFromConfig, type HrmArch } from "../lib/model/dims.ts";
import { initHrm } from "../lib/model/state.ts";
import { type StepHyper, Trainer, type TrainerOptions } from "../lib/train/step.ts";
import { getPreset } from "../lib/config/presets.ts";

/** A ready training step and what it was built from. */
export interface BenchStep {
  /** The model (HRM or TRM, by the preset's arch.name). */
  model: ReasoningModel;
  /** The trainer (batch uploaded). */
  trainer: Trainer;
  /** The architecture after overrides. */
  arch: HrmArch;
  /** Rows per step. */
  B: number;
  /** Sequence length (Sudoku: 81; the demo's 4×4: 16). */
  S: number;
  /** Uploads the batch and encodes one step (no readback). */
  run(): void;
  /** Releases model and trainer. */
  release(): void;
}

/** Optimizer settings of the benchmark steps (values do not change the speed). */
export const BENCH_HYPER: StepHyper = {
  lr: 1e-4,
  puzzle_emb_lr: 1e-4,
  weight_decay: 0.1,
  puzzle_emb_weight_decay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
};

/**
 * Builds a step of `preset` at Sudoku's shapes (S 81, vocab 11, one puzzle identifier), or at
 * `shape` (the demo's 4×4 Sudoku: S 16, vocab 6).
 *
 * @param gpu The device.
 * @param preset A preset name (e.g. `sudoku-cpu`, `trm-sudoku-mlp`).
 * @param overrides Arch fields to replace (e.g. hidden_size, cycles).
 * @param batch Rows per step (default: the preset's global_batch_size).
 * @param shape Sequence length and vocabulary.
 * @param opts Trainer options beyond the preset's EMA (e.g. `microBatchSize`).
 */
export function benchStep(
  gpu: Gpu,
  preset: string,
  overrides: Partial<HrmArch> = {},
  batch?: number,
  { S, V } = { S: 81, V: 11 },
  opts: TrainerOptions = {},
): BenchStep {
  const cfg = getPreset(preset);
  const arch = {
    ...archFromConfig(cfg.arch, { vocab_size: V, seq_len: S, num_puzzle_identifiers: 1 }),
    ...overrides,
  };
  const B = batch ?? cfg.global_batch_size;
  const model = createModel(gpu, arch);
  initHrm(model, 0);
  const trainer = new Trainer(model, B, cfg.arch.loss.loss_type, 0, {
    emaRate: cfg.ema ? cfg.ema_rate : undefined,
    ...opts,
  });
  const inputs = Int32Array.from({ length: B * S }, (_, i) => 1 + (i * 7) % (V - 1));
  const ids = new Int32Array(B);
  return {
    model,
    trainer,
    arch,
    B,
    S,
    run() {
      trainer.setBatch(inputs, inputs, ids);
      trainer.trainStep(BENCH_HYPER);
    },
    release() {
      trainer.release();
      model.release();
    },
  };
}

/**
 * Block calls of one training step: `forward` counts every block forward (the segment's
 * H_cycles·(L_cycles·L blocks + H blocks), twice for HRM's second no-grad forward, not with TRM's
 * no_ACT_continue), `grad` the calls whose backward runs (the last gradLCalls L updates and the
 * H update).
 *
 * @param model The model.
 */
export function stepBlockCalls(model: ReasoningModel): { forward: number; grad: number } {
  const a = model.arch, spec = model.spec;
  const layers = (l: string) => spec.levels.find(([n]) => n === l)?.[1] ?? 0;
  const hBlocks = layers(spec.hLevel), lBlocks = layers("L");
  const segment = a.H_cycles * (a.L_cycles * lBlocks + hBlocks);
  const second = !spec.noActContinue && a.halt_max_steps > 1 ? 1 : 0;
  return { forward: (1 + second) * segment, grad: spec.gradLCalls * lBlocks + hBlocks };
}

/**
 * Linear-layer FLOPs of one training step: every block call forward
 * ({@linkcode stepBlockCalls}), the backward (twice the forward) of the calls with gradient, and the heads.
 * mlp_t blocks mix along the sequence axis instead of attention's projections.
 *
 * @param model The model.
 * @param B Rows per step.
 */
export function stepMatmulFlops(model: ReasoningModel, B: number): number {
  const a = model.arch, { D, F, Ft, T, S, V } = model.dims, spec = model.spec;
  const mixer = a.mlp_t ? D * 2 * (T * 2 * Ft + Ft * T) : T * 2 * (D * 3 * D + D * D);
  const perBlock = B * (T * 2 * (D * 2 * F + F * D) + mixer);
  const calls = stepBlockCalls(model);
  const second = !spec.noActContinue && a.halt_max_steps > 1 ? 1 : 0;
  const heads = 2 * B * S * D * V;
  return perBlock * (calls.forward + 2 * calls.grad) + (3 + second) * heads;
}
