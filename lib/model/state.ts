/**
 * Moving HRM's weights between the GPU and state dicts with the reference's names: fresh
 * initialisation (trunc-normal LeCun, q_head bias −5, H_init/L_init std 1, puzzle embedding
 * zeros), loading a checkpoint (the `_orig_mod.model.` prefix of compiled reference checkpoints
 * is accepted) and reading everything back for saving.
 *
 * @module
 */
import { HrmError } from "../errors.ts";
import { readTensors, writeTensor } from "../gpu/encoder.ts";
import type { Tensor } from "../gpu/tensor.ts";
import { truncNormal } from "../nn/init.ts";
import { type StTensor, toFloat32 } from "../io/safetensors.ts";
import { Rng } from "../../datasets/rng.ts";
import type { ReasoningModel } from "./model.ts";
import { BUFFER_NAMES } from "./params.ts";

/** Prefixes a reference checkpoint may carry before `inner.`. */
const PREFIXES = ["_orig_mod.model.", "_orig_mod.", "model."];

/** Strips reference wrapper prefixes: `_orig_mod.model.inner.x` → `inner.x`. */
export function canonicalName(name: string): string {
  let n = name;
  for (let again = true; again;) {
    again = false;
    for (const p of PREFIXES) {
      if (n.startsWith(p)) {
        n = n.slice(p.length);
        again = true;
      }
    }
  }
  return n;
}

/** Every named tensor of the model: trainable views and buffers. */
export function namedTensors(model: ReasoningModel): Map<string, Tensor> {
  const m = new Map<string, Tensor>(model.params.views);
  m.set(BUFFER_NAMES.H_init, model.H_init);
  m.set(BUFFER_NAMES.L_init, model.L_init);
  if (model.puzzle_emb) m.set(BUFFER_NAMES.puzzle_emb, model.puzzle_emb);
  return m;
}

/**
 * Initialises the weights as the reference does, from `seed`.
 *
 * @param model The model.
 * @param seed Seed of the one PRNG.
 */
export function initHrm(model: ReasoningModel, seed: number): void {
  const rng = new Rng(seed);
  const flat = new Float32Array(model.params.flat.size);
  for (const s of model.params.specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const values = "std" in s.init
      ? truncNormal(rng, n, s.init.std)
      : new Float32Array(n).fill(s.init.fill);
    flat.set(values, s.offset);
  }
  writeTensor(model.params.flat, flat);
  writeTensor(model.H_init, truncNormal(rng, model.dims.D, 1));
  writeTensor(model.L_init, truncNormal(rng, model.dims.D, 1));
  if (model.puzzle_emb) writeTensor(model.puzzle_emb, new Float32Array(model.puzzle_emb.size));
}

/**
 * Loads a state dict into the model. Every tensor must be present with the model's shape.
 *
 * @param model The model.
 * @param tensors Tensors by (possibly prefixed) name, F32/F16/BF16.
 * @param file For error messages.
 * @throws {HrmError} naming the file and the first missing, unexpected or mis-shaped tensor.
 */
export function loadStateDict(
  model: ReasoningModel,
  tensors: ReadonlyMap<string, StTensor>,
  file: string,
): void {
  const targets = namedTensors(model);
  const byName = new Map<string, StTensor>();
  for (const [k, v] of tensors) byName.set(canonicalName(k), v);
  for (const [name, t] of targets) {
    const src = byName.get(name);
    if (!src) throw new HrmError(file, `checkpoint has no tensor ${name}`);
    if (src.shape.join() !== t.shape.join()) {
      throw new HrmError(
        file,
        `${name} has shape [${src.shape}], the model expects [${t.shape}] (checkpoint and config/dataset disagree)`,
      );
    }
  }
  const extra = [...byName.keys()].filter((k) => !targets.has(k));
  if (extra.length) {
    throw new HrmError(file, `unexpected tensors for this config: ${extra.slice(0, 5).join(", ")}`);
  }
  const flat = new Float32Array(model.params.flat.size);
  for (const s of model.params.specs) flat.set(toFloat32(byName.get(s.name)!), s.offset);
  writeTensor(model.params.flat, flat);
  for (const name of [BUFFER_NAMES.H_init, BUFFER_NAMES.L_init, BUFFER_NAMES.puzzle_emb]) {
    const t = targets.get(name);
    if (t) writeTensor(t, toFloat32(byName.get(name)!));
  }
}

/**
 * Reads all weights back (one readback) as a state dict with the reference's names.
 *
 * @param model The model.
 * @returns F32 tensors by name.
 */
export async function stateDict(model: ReasoningModel): Promise<Record<string, StTensor>> {
  const named = namedTensors(model);
  const buffers = [model.params.flat, model.H_init, model.L_init];
  if (model.puzzle_emb) buffers.push(model.puzzle_emb);
  const [flat, hInit, lInit, puz] = await readTensors(model.gpu, buffers);
  const out: Record<string, StTensor> = {};
  for (const s of model.params.specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    out[s.name] = {
      dtype: "F32",
      shape: [...s.shape],
      data: (flat as Float32Array).slice(s.offset, s.offset + n),
    };
  }
  out[BUFFER_NAMES.H_init] = {
    dtype: "F32",
    shape: [...named.get(BUFFER_NAMES.H_init)!.shape],
    data: hInit as Float32Array,
  };
  out[BUFFER_NAMES.L_init] = {
    dtype: "F32",
    shape: [...named.get(BUFFER_NAMES.L_init)!.shape],
    data: lInit as Float32Array,
  };
  if (puz) {
    out[BUFFER_NAMES.puzzle_emb] = {
      dtype: "F32",
      shape: [...model.puzzle_emb!.shape],
      data: puz as Float32Array,
    };
  }
  return out;
}
