/**
 * The reference's learning-rate schedule (pretrain.py cosine_schedule_with_warmup_lr_lambda):
 * linear warmup from 0, then cosine decay to `lr_min_ratio`·base. With the default
 * lr_min_ratio = 1 it is warmup, then constant.
 *
 * @module
 */

/**
 * The learning rate at optimizer step `step` (1-based, as the reference increments before use).
 *
 * @param base Base learning rate.
 * @param step Current step (≥ 1).
 * @param warmup Warmup steps.
 * @param total Total steps of the run.
 * @param minRatio Final lr as a fraction of base.
 * @returns The learning rate.
 *
 * @example Warmup, then constant
 * ```ts
 * import { learningRate } from "./schedule.ts";
 * if (learningRate(1e-4, 1000, 2000, 10000, 1) !== 5e-5) throw new Error();
 * if (learningRate(1e-4, 5000, 2000, 10000, 1) !== 1e-4) throw new Error();
 * ```
 */
export function learningRate(
  base: number,
  step: number,
  warmup: number,
  total: number,
  minRatio: number,
): number {
  if (step < warmup) return base * step / Math.max(1, warmup);
  const progress = (step - warmup) / Math.max(1, total - warmup);
  return base * (minRatio + Math.max(0, (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * progress))));
}
