/**
 * Run folders: `all_config.yaml`, model checkpoints `step_N.safetensors` with the reference's
 * state-dict names (the EMA weights when the run keeps an EMA, as the reference saves), and
 * `state_N.safetensors` with what an exact resume needs (AdamATan2 moments, the ACT carry, the
 * step and sampler position; with EMA also the raw weights and the shadow). `latest.json` names the newest complete pair;
 * every file is written to a temporary name and renamed, so a `kill -9` loses at most the steps
 * since the last checkpoint.
 *
 * @module
 */
import { join } from "@std/path";
import { z } from "zod";
import { HrmError } from "../errors.ts";
import { readTensors, writeTensor } from "../gpu/encoder.ts";
import type { Tensor } from "../gpu/tensor.ts";
import { atomicWriteText } from "../io/atomic_write.ts";
import { readSafetensors, type StTensor, toFloat32, writeSafetensors } from "../io/safetensors.ts";
import { stateDict } from "../model/state.ts";
import type { Trainer } from "./step.ts";

/** Where a run stands; stored in `latest.json`. */
export interface RunPosition {
  /** Optimizer steps done. */
  step: number;
  /** Sampler iteration (1-based) the next batch comes from. */
  iteration: number;
  /** Batches of that iteration already used. */
  batchInIteration: number;
  /** Model checkpoint file, relative to the run folder. */
  checkpoint: string;
  /** Optimizer/carry state file, relative to the run folder. */
  state: string;
}

const positionSchema = z.object({
  step: z.number().int().nonnegative(),
  iteration: z.number().int().positive(),
  batchInIteration: z.number().int().nonnegative(),
  checkpoint: z.string(),
  state: z.string(),
});

/**
 * The trainer tensors saved for resuming, by name. With EMA the model checkpoint holds the EMA
 * weights, so the state also keeps the raw weights and the shadow.
 */
function resumeTensors(t: Trainer): Record<string, Tensor> {
  const c = t.carry;
  const ema: Record<string, Tensor> = t.ema
    ? { "params.raw": t.model.params.flat, "ema.shadow": t.ema.flat }
    : {};
  return {
    ...ema,
    "adam.m": t.m.flat,
    "adam.v": t.v.flat,
    "carry.z_H": c.inner.z_H,
    "carry.z_L": c.inner.z_L,
    "carry.steps": c.steps,
    "carry.halted": c.halted,
    "carry.is_last": c.is_last,
    "carry.inputs": c.data.inputs,
    "carry.labels": c.data.labels,
    "carry.puzzle_identifiers": c.data.puzzle_identifiers,
  };
}

/**
 * Writes a checkpoint of `trainer` into `runDir` and points `latest.json` at it.
 *
 * @returns The position written.
 */
export async function saveCheckpoint(
  runDir: string,
  trainer: Trainer,
  pos: Omit<RunPosition, "checkpoint" | "state">,
): Promise<RunPosition> {
  const weights = await trainer.withEmaWeights(() => stateDict(trainer.model));
  const checkpoint = `step_${pos.step}.safetensors`;
  await writeSafetensors(join(runDir, checkpoint), weights, {
    format: `hrm state_dict (${trainer.model.spec.referenceClass} names)`,
    step: String(pos.step),
  });
  const named = resumeTensors(trainer);
  const names = Object.keys(named);
  const data = await readTensors(trainer.model.gpu, names.map((n) => named[n]));
  const st: Record<string, StTensor> = {};
  names.forEach((n, i) => {
    const t = named[n];
    const d = data[i];
    st[n] = d instanceof Float32Array ? { dtype: "F32", shape: [...t.shape], data: d } : {
      dtype: "I32",
      shape: [...t.shape],
      data: new Int32Array(d.buffer, d.byteOffset, d.length),
    };
  });
  const state = `state_${pos.step}.safetensors`;
  await writeSafetensors(join(runDir, state), st, { step: String(trainer.step) });
  const full: RunPosition = { ...pos, checkpoint, state };
  await atomicWriteText(join(runDir, "latest.json"), JSON.stringify(full, null, 2) + "\n");
  return full;
}

/** Reads `latest.json` of a run folder. */
export async function readPosition(runDir: string): Promise<RunPosition> {
  const file = join(runDir, "latest.json");
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch {
    throw new HrmError(file, "no checkpoint to resume from (missing latest.json)");
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new HrmError(file, `malformed JSON: ${(e as Error).message}`);
  }
  const r = positionSchema.safeParse(raw);
  if (!r.success) throw new HrmError(file, `invalid run position: ${r.error.issues[0].message}`);
  return r.data;
}

/** Restores the optimizer moments, the carry and the step count from a state file. */
export async function loadResumeState(
  runDir: string,
  pos: RunPosition,
  trainer: Trainer,
): Promise<void> {
  const file = join(runDir, pos.state);
  const { tensors } = await readSafetensors(file);
  const named = resumeTensors(trainer);
  for (const [name, t] of Object.entries(named)) {
    const s = tensors.get(name);
    if (!s) throw new HrmError(file, `state has no tensor ${name}`);
    if (s.shape.join() !== t.shape.join()) {
      throw new HrmError(file, `${name} has shape [${s.shape}], the run expects [${t.shape}]`);
    }
    writeTensor(t, s.dtype === "I32" ? s.data as Int32Array : toFloat32(s));
  }
  trainer.step = pos.step;
}
