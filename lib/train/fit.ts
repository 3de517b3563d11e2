/**
 * Will a model and batch fit this adapter? WebGPU caps every buffer (maxBufferSize) and every
 * storage binding (maxStorageBufferBindingSize); a tensor past either fails on the device, once
 * per dispatch that touches it. {@linkcode checkFits} compares the largest tensors a step needs
 * with those limits before anything is allocated and refuses in one line with the numbers and the
 * way out (a smaller batch, a `*-cpu` preset, an adapter with larger buffers).
 *
 * @module
 */
import { HrmError } from "../errors.ts";
import type { HrmArch, HrmDims } from "../model/dims.ts";

/** One tensor a step allocates, by the shape that grows with the batch. */
export interface BigTensor {
  /** What it holds. */
  name: string;
  /** Shape; the first dimension is the batch when `perBatch`. */
  shape: number[];
  /** Scales with the batch size. */
  perBatch: boolean;
}

/**
 * The largest tensors of a training or evaluation step (f32 each): the widest activations
 * (qkv, SwiGLU gate/up, mlp_t's transposed SwiGLU), the logits and the puzzle-embedding table.
 */
export function bigTensors(arch: HrmArch, d: HrmDims, batch: number): BigTensor[] {
  const out: BigTensor[] = [
    { name: "qkv activations", shape: [batch, d.T, 3 * d.D], perBatch: true },
    { name: "SwiGLU gate/up activations", shape: [batch, d.T, 2 * d.F], perBatch: true },
    { name: "logits", shape: [batch, d.S, d.V], perBatch: true },
  ];
  if (d.Ft) {
    out.push({ name: "mlp_t gate/up activations", shape: [batch, d.D, 2 * d.Ft], perBatch: true });
  }
  if (arch.puzzle_emb_ndim > 0) {
    out.push({
      name: "puzzle embedding table",
      shape: [arch.num_puzzle_identifiers, arch.puzzle_emb_ndim],
      perBatch: false,
    });
  }
  return out;
}

/** The adapter limits that bound one tensor. */
export interface BufferLimits {
  /** GPUSupportedLimits.maxBufferSize. */
  maxBufferSize: number;
  /** GPUSupportedLimits.maxStorageBufferBindingSize. */
  maxStorageBufferBindingSize: number;
}

/** `1.9 GB`, `512 MB`. */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(0)} MB`;
  return `${(n / 1e3).toFixed(0)} kB`;
}

/**
 * The largest number of rows, at most `batch`, whose every per-batch tensor fits one buffer of
 * the adapter (0 when even one row, or a tensor independent of the batch, does not fit): the
 * automatic micro-batch size.
 *
 * @param limits The device's limits.
 * @param arch The architecture with the dataset sizes.
 * @param dims Its derived shapes.
 * @param batch The batch wanted.
 */
export function largestFittingBatch(
  limits: BufferLimits,
  arch: HrmArch,
  dims: HrmDims,
  batch: number,
): number {
  const limit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  const sized = bigTensors(arch, dims, batch).map((t) => ({
    ...t,
    bytes: t.shape.reduce((a, b) => a * b, 1) * 4,
  }));
  if (sized.some((t) => !t.perBatch && t.bytes > limit)) return 0;
  const fits = (b: number) => sized.every((t) => !t.perBatch || t.bytes / batch * b <= limit);
  let lo = 0, hi = batch;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Refuses a model and batch whose largest tensor exceeds the adapter's per-buffer limits.
 *
 * @param limits The device's limits.
 * @param arch The architecture with the dataset sizes.
 * @param dims Its derived shapes.
 * @param batch Rows per step (global_batch_size, or the eval batch).
 * @param flag How the user sets the batch, for the message (e.g. `global_batch_size`).
 * @throws {HrmError} naming the tensor, its size, the limit and what to change.
 */
export function checkFits(
  limits: BufferLimits,
  arch: HrmArch,
  dims: HrmDims,
  batch: number,
  flag = "global_batch_size",
): void {
  const limit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  const sized = bigTensors(arch, dims, batch).map((t) => ({
    ...t,
    bytes: t.shape.reduce((a, b) => a * b, 1) * 4,
  }));
  const worst = sized.filter((t) => t.bytes > limit).sort((a, b) => b.bytes - a.bytes)[0];
  if (!worst) return;
  const head = `the model needs a ${formatBytes(worst.bytes)} buffer for its ${worst.name} ` +
    `([${worst.shape.join(", ")}] f32), more than this adapter's ${formatBytes(limit)} per buffer`;
  if (sized.some((t) => !t.perBatch && t.bytes > limit)) {
    throw new HrmError(
      undefined,
      `${head}: use an adapter with larger buffers (a discrete GPU), a dataset with fewer ` +
        `puzzle identifiers, or arch.puzzle_emb_ndim=0`,
    );
  }
  const fit = largestFittingBatch(limits, arch, dims, batch);
  throw new HrmError(
    undefined,
    `${head} at ${flag} ${batch}: ${
      fit ? `use ${flag}=${fit} or less, ` : "no batch fits; use "
    }a smaller model (a *-cpu preset, e.g. --preset sudoku-cpu), or an adapter with larger ` +
      `buffers`,
  );
}
