/**
 * A reasoning module (H_level or L_level): add the input injection to the state, then run the
 * blocks in order (HierarchicalReasoningModel_ACTV1ReasoningModule).
 *
 * @module
 */
import type { Encoder } from "../gpu/encoder.ts";
import type { Tensor } from "../gpu/tensor.ts";
import { add, add3 } from "../ops/elementwise.ts";
import { narrowSaved } from "../ops/cast.ts";
import {
  blockBackward,
  type BlockContext,
  blockForward,
  type BlockSaved,
  type BlockWeights,
} from "./block.ts";

/** Activations of one module call kept for backward. */
export interface LevelSaved {
  /** `z + injection`, the first block's input. `[B·T, D]` (f16 under float16 mixed precision) */
  input: Tensor;
  /** Per block, in order. */
  blocks: BlockSaved[];
}

/**
 * `levelForward(z, injection)` = blocks(z + injection). Returns the new state (a new tensor; the
 * caller still owns `z` and `injection`) and, with `save`, the activations for backward. An
 * injection of two tensors `[u, x]` is summed in the same pass as `z + (u + x)` (HRM's L input
 * z_L + (z_H + x), in the reference's order).
 */
export function levelForward(
  enc: Encoder,
  layers: readonly BlockWeights[],
  z: Tensor,
  injection: Tensor | readonly [Tensor, Tensor],
  c: BlockContext,
  save: boolean,
): { z: Tensor; saved?: LevelSaved } {
  let input = "length" in injection
    ? add3(enc, z, injection[0], injection[1])
    : add(enc, z, injection);
  let h = input;
  const blocks: BlockSaved[] = [];
  for (const w of layers) {
    const r = blockForward(enc, w, h, c, save);
    if (save) {
      // Once its block has run, a block input is only saved (for that block's backward and, as
      // its output, the previous block's): float16 keeps it in f16 (narrowSaved).
      const kept = narrowSaved(enc, h, c.half);
      r.saved!.h0 = kept;
      if (blocks.length > 0) blocks[blocks.length - 1].h2 = kept;
      else input = kept;
      blocks.push(r.saved!);
    } else h.release();
    h = r.y;
  }
  return save ? { z: h, saved: { input, blocks } } : { z: h };
}

/**
 * Backward of {@linkcode levelForward}: returns d(loss)/d(z + injection), which is both dz and
 * d(injection). Releases every saved activation except the module output (the new carry).
 */
export function levelBackward(
  enc: Encoder,
  layers: readonly BlockWeights[],
  dLayers: readonly BlockWeights[],
  dz: Tensor,
  s: LevelSaved,
  c: BlockContext,
): Tensor {
  let d = dz;
  for (let i = layers.length - 1; i >= 0; i--) {
    const dx = blockBackward(enc, layers[i], dLayers[i], d, s.blocks[i], c);
    if (d !== dz) d.release();
    // Block i's output is block i+1's input; the last block's output is the new carry.
    if (i < layers.length - 1) s.blocks[i].h2.release();
    d = dx;
  }
  s.input.release();
  return d;
}
