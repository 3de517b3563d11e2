/**
 * Run folders: `all_config.yaml`, model checkpoints `step_N.safetensors` with the reference's
 * state-dict names (the EMA weights when the run keeps an EMA, as the reference saves), and
 * `state_N.safetensors` with what an exact resume needs (AdamATan2 moments, the ACT carry, the
 * step and sampler position; with EMA also the raw weights and the shadow). `latest.json` names the newest complete pair;
 * every file is written to a temporary name and renamed, so a `kill -9` loses at most the steps
 * since the last checkpoint.
 *
 * The files do not depend on the number of ranks that trained: the carry of a data-parallel run
 * is stored as one global batch (every rank's rows in rank order, the rows one process would
 * have), and every rank resumes from its rows of it, whatever the count was before.
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
import { SingleWorld, type World } from "../dist/world.ts";
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
  /** Ranks that trained up to here (absent in runs from before data-parallel training: 1). */
  world_size?: number;
  /** Steps of the time-based checkpoints kept (`--checkpoint-every-minutes`), oldest first. */
  timed?: number[];
}

const positionSchema = z.object({
  step: z.number().int().nonnegative(),
  iteration: z.number().int().positive(),
  batchInIteration: z.number().int().nonnegative(),
  checkpoint: z.string(),
  state: z.string(),
  world_size: z.number().int().positive().optional(),
  timed: z.array(z.number().int().nonnegative()).optional(),
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

/** The shape a resume tensor has in the state file: the carry over all ranks' rows. */
function fileShape(name: string, t: Tensor, ranks: number): number[] {
  return name.startsWith("carry.") ? [t.shape[0] * ranks, ...t.shape.slice(1)] : [...t.shape];
}

/**
 * Writes a checkpoint of `trainer` into `runDir` and points `latest.json` at it. With several
 * ranks every rank must call it (the carry is gathered); rank 0 alone writes.
 *
 * @returns The position written.
 */
export async function saveCheckpoint(
  runDir: string,
  trainer: Trainer,
  pos: Omit<RunPosition, "checkpoint" | "state" | "world_size">,
  world: World = new SingleWorld(),
): Promise<RunPosition> {
  const checkpoint = `step_${pos.step}.safetensors`;
  const state = `state_${pos.step}.safetensors`;
  const full: RunPosition = { ...pos, checkpoint, state, world_size: world.size };
  const root = world.rank === 0;
  const named = resumeTensors(trainer);
  // Rank 0 reads everything; the others only their carry rows, for the gather.
  const names = Object.keys(named).filter((n) => root || n.startsWith("carry."));
  const data = await readTensors(trainer.model.gpu, names.map((n) => named[n]));
  const st: Record<string, StTensor> = {};
  for (const [i, n] of names.entries()) {
    const d = data[i];
    let values = d instanceof Float32Array ? d : new Int32Array(d.buffer, d.byteOffset, d.length);
    if (n.startsWith("carry.")) values = await world.allGather(values);
    const shape = fileShape(n, named[n], world.size);
    st[n] = values instanceof Float32Array
      ? { dtype: "F32", shape, data: values }
      : { dtype: "I32", shape, data: values };
  }
  if (!root) return full;
  const weights = await trainer.withEmaWeights(() => stateDict(trainer.model));
  await writeSafetensors(join(runDir, checkpoint), weights, {
    format: `hrm state_dict (${trainer.model.spec.referenceClass} names)`,
    step: String(pos.step),
    // The dataset shape it was trained on, so another dataset is refused by name.
    seq_len: String(trainer.model.arch.seq_len),
    vocab_size: String(trainer.model.arch.vocab_size),
  });
  await writeSafetensors(join(runDir, state), st, {
    step: String(trainer.step),
    world_size: String(world.size),
  });
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

/**
 * Restores the optimizer moments, the carry and the step count from a state file. With several
 * ranks every rank must call it: rank 0 reads the file and sends it, each rank keeps its rows
 * of the carry (whatever number of ranks wrote it).
 */
export async function loadResumeState(
  runDir: string,
  pos: RunPosition,
  trainer: Trainer,
  world: World = new SingleWorld(),
): Promise<void> {
  const file = join(runDir, pos.state);
  const tensors = world.rank === 0 ? (await readSafetensors(file)).tensors : undefined;
  for (const [name, t] of Object.entries(resumeTensors(trainer))) {
    const shape = fileShape(name, t, world.size);
    const n = shape.reduce((a, b) => a * b, 1);
    let values: Float32Array | Int32Array = t.dtype === "f32"
      ? new Float32Array(n)
      : new Int32Array(n);
    if (tensors) {
      const s = tensors.get(name);
      if (!s) throw new HrmError(file, `state has no tensor ${name}`);
      if (s.shape.join() !== shape.join()) {
        throw new HrmError(file, `${name} has shape [${s.shape}], the run expects [${shape}]`);
      }
      values = t.dtype === "f32" ? toFloat32(s) : s.data as Int32Array;
    }
    await world.broadcast(values);
    // The carry: this rank's rows; the rest (moments, EMA) is the same on every rank.
    const at = name.startsWith("carry.") ? world.rank * t.size : 0;
    writeTensor(t, values.subarray(at, at + t.size));
  }
  trainer.step = pos.step;
}

/**
 * The checkpoint file a `--checkpoint` argument means: a file as is, or a run folder's latest
 * checkpoint (named in its `latest.json`).
 *
 * @param path What the user passed.
 * @returns The file, and whether it came from a run folder.
 * @throws {HrmError} for a missing path, or a folder that holds no run.
 */
export async function resolveCheckpoint(path: string): Promise<{ file: string; fromRun: boolean }> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(path);
  } catch {
    throw new HrmError(path, "checkpoint not found");
  }
  if (!st.isDirectory) return { file: path, fromRun: false };
  try {
    await Deno.stat(join(path, "latest.json"));
  } catch {
    throw new HrmError(
      path,
      "is a folder without latest.json, not a checkpoint: pass a step_N.safetensors file",
    );
  }
  const pos = await readPosition(path);
  return { file: join(path, pos.checkpoint), fromRun: true };
}

/**
 * Removes the model and state files of a checkpoint (an older time-based one).
 *
 * @param runDir The run folder.
 * @param step Its step.
 */
export async function removeCheckpoint(runDir: string, step: number): Promise<void> {
  for (const f of [`step_${step}.safetensors`, `state_${step}.safetensors`]) {
    await Deno.remove(join(runDir, f)).catch(() => {});
  }
}
