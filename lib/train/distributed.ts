/**
 * What data-parallel training adds to a run (pretrain.py with world_size > 1), on top of a
 * {@linkcode World} (lib/dist): each rank's contiguous rows of every global batch, the weights
 * broadcast from rank 0 at start, small values rank 0 decides (the resume position) shared with
 * every rank, and stop decisions every rank agrees on.
 *
 * @module
 */
import { HrmError } from "../errors.ts";
import { readTensors, writeTensor } from "../gpu/encoder.ts";
import { Tensor } from "../gpu/tensor.ts";
import type { ReasoningModel } from "../model/model.ts";
import type { World } from "../dist/world.ts";
import type { HostBatch } from "./sampler.ts";
import type { Shard } from "./step.ts";

/**
 * Refuses a global batch the ranks cannot split evenly (the reference asserts the same).
 *
 * @throws {HrmError} naming the batch, the rank count and batches that would work.
 */
export function checkDivisible(batch: number, ranks: number, flag = "global_batch_size"): void {
  if (batch % ranks === 0) return;
  const down = Math.max(ranks, batch - (batch % ranks)), up = down + ranks;
  throw new HrmError(
    undefined,
    `${flag}=${batch} does not split evenly across ${ranks} ranks: use a multiple of ` +
      `${ranks} (e.g. ${down} or ${up}) or another number of ranks`,
  );
}

/**
 * The rows of a global batch that `shard` trains or evaluates: `[rank·B/size, (rank+1)·B/size)`,
 * as the reference's sampler slices for rank/num_replicas (test batches: the padded rows are
 * padding on whichever rank gets them). Views, no copy.
 *
 * @param batch A global batch from the sampler.
 * @param shard This rank and the number of ranks (must divide the batch).
 */
export function rankRows(batch: HostBatch, shard: Shard): HostBatch {
  if (shard.size === 1) return batch;
  const B = batch.puzzle_identifiers.length, n = B / shard.size;
  const S = batch.inputs.length / B, a = shard.rank * n;
  const effective = Math.max(0, Math.min(n, batch.effective - a));
  return {
    inputs: batch.inputs.subarray(a * S, (a + n) * S),
    labels: batch.labels.subarray(a * S, (a + n) * S),
    puzzle_identifiers: batch.puzzle_identifiers.subarray(a, a + n),
    effective,
    exampleIndex: batch.exampleIndex?.subarray(a, a + effective),
  };
}

/**
 * Makes every rank's weights and buffers rank 0's (pretrain.py broadcasts every parameter and
 * buffer from rank 0 before training).
 *
 * @param world The ranks.
 * @param model The model (on rank 0: the weights to send).
 * @param piece Floats per readback and broadcast (default 2^26, 256 MiB).
 */
export async function broadcastModel(
  world: World,
  model: ReasoningModel,
  piece = 1 << 26,
): Promise<void> {
  if (world.size === 1) return;
  const tensors: Tensor[] = [model.params.flat, model.H_init, model.L_init];
  if (model.puzzle_emb) tensors.push(model.puzzle_emb);
  // In pieces: ARC's puzzle-embedding table alone is ~2 GB, more than one staging buffer may hold.
  for (const whole of tensors) {
    for (let at = 0; at < whole.size; at += piece) {
      const n = Math.min(piece, whole.size - at);
      const t = at === 0 && n === whole.size ? whole : Tensor.view(whole, at, [n]);
      const data = world.rank === 0
        ? (await readTensors(model.gpu, [t]))[0] as Float32Array
        : new Float32Array(n);
      await world.broadcast(data);
      if (world.rank !== 0) writeTensor(t, data);
    }
  }
}

/**
 * Rank 0's `value` on every rank (JSON-serialisable; `undefined` travels as such).
 *
 * @param world The ranks.
 * @param value The value on rank 0 (ignored elsewhere).
 */
export async function shareFromRank0<T>(world: World, value: T): Promise<T> {
  if (world.size === 1) return value;
  const bytes = world.rank === 0
    ? new TextEncoder().encode(JSON.stringify({ v: value ?? null, u: value === undefined }))
    : new Uint8Array(0);
  const len = Int32Array.of(bytes.length);
  await world.broadcast(len);
  const words = new Int32Array(Math.ceil(len[0] / 4));
  new Uint8Array(words.buffer).set(bytes);
  await world.broadcast(words);
  const o = JSON.parse(new TextDecoder().decode(new Uint8Array(words.buffer, 0, len[0])));
  return o.u ? undefined as T : o.v as T;
}

/** True on every rank when `flag` is true on any rank (stop requests, time budgets). */
export async function anyRank(world: World, flag: boolean): Promise<boolean> {
  if (world.size === 1) return flag;
  const f = Int32Array.of(flag ? 1 : 0);
  await world.allReduceMax(f);
  return f[0] !== 0;
}
