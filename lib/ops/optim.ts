/**
 * Optimizer updates, in place on GPU buffers: AdamATan2 for every model parameter (pip
 * `adam-atan2`, as pretrain.py uses it) and SignSGD with decoupled weight decay for the sparse
 * puzzle embedding (models/sparse_embedding.py), and TRM's moving average of the weights
 * (models/ema.py). Hyperparameters travel as uniforms, so a
 * learning-rate schedule costs nothing.
 *
 * @module
 */
import adamSrc from "../../kernels/optim.wgsl" with { type: "text" };
import signSrc from "../../kernels/optim_sign_sgd.wgsl" with { type: "text" };
import emaSrc from "../../kernels/optim_ema.wgsl" with { type: "text" };
import { type Encoder, f32 } from "../gpu/encoder.ts";
import { grid1d } from "../gpu/grid.ts";
import { Tensor } from "../gpu/tensor.ts";

const WG = 64;
const ADAM = { file: "optim", source: adamSrc, entry: "adam_atan2" };
const SIGN = { file: "optim_sign_sgd", source: signSrc, entry: "sign_sgd" };
const EMA = { file: "optim_ema", source: emaSrc, entry: "ema" };

/** Options of {@linkcode adamAtan2}. */
export interface AdamAtan2Options {
  /** Learning rate for this step (after the schedule). */
  lr: number;
  /** β1 (HRM: 0.9). */
  beta1: number;
  /** β2 (HRM: 0.95). */
  beta2: number;
  /** Decoupled weight decay (HRM: 0.1 or 1.0). */
  weightDecay: number;
  /** Step count after increment: 1 on the first update. */
  step: number;
  /**
   * Where the first-moment bias correction goes. `"inside"` (the default): `lr·atan2(m/(1-β1ᵗ),
   * √v/√(1-β2ᵗ))`, the form of the golden fixture's plain-torch re-implementation (README of
   * /work/shared/golden/hrm-a). `"outside"`: `lr/(1-β1ᵗ)·atan2(m, √v/√(1-β2ᵗ))`, what the
   * CUDA kernel of pip `adam-atan2` (imoneoi, csrc/adam_atan2.cu) computes. They differ only
   * while β1ᵗ is not negligible (at t = 1 the step is lr·π/4 vs ≈ 0.997·lr).
   * @default {"inside"}
   */
  biasCorrection?: "inside" | "outside";
  /**
   * Elements per dispatch (rounded down to the storage offset alignment); defaults to the
   * largest storage binding. Tests set it small to exercise chunking.
   */
  chunkElements?: number;
  /**
   * Multiplies the gradients before use: 1/S undoes a static loss scale S (float16 mixed
   * precision scales the loss gradient so small gradients survive f16 operands).
   * @default {1}
   */
  gradScale?: number;
}

function sameSize(op: string, ts: readonly Tensor[]): void {
  const n = ts[0].size;
  for (const t of ts) {
    if (t.size !== n || t.dtype !== "f32") {
      throw new RangeError(
        `${op}: ${ts.map((x) => `${x.label} [${x.shape}] ${x.dtype}`).join(", ")} ` +
          `must be f32 of equal size`,
      );
    }
  }
}

/**
 * One AdamATan2 step over flat f32 buffers of equal size (a=b=1, no epsilon):
 * `p ← p·(1 − lr·wd)`; `m ← β1·m + (1−β1)·g`; `v ← β2·v + (1−β2)·g²`;
 * `p ← p − lr·atan2(m/(1−β1ᵗ), √v/√(1−β2ᵗ))` (see `biasCorrection` for the package's form).
 * `atan2(0, 0) = 0`, so entries with zero gradient and zero moments only decay.
 *
 * Buffers larger than one storage binding are updated in chunks (views at aligned offsets), so
 * any size works as long as each tensor's own offset is aligned.
 *
 * @param enc The encoder to record into.
 * @param params Parameters, updated in place // [n]
 * @param grads Gradients // [n]
 * @param m First moments, updated in place (start at 0) // [n]
 * @param v Second moments, updated in place (start at 0) // [n]
 * @param opts Hyperparameters and the step count.
 * @throws {RangeError} naming the op and shapes when sizes or dtypes differ, or step < 1.
 *
 * @example One step
 * ```ts ignore
 * adamAtan2(enc, params, grads, m, v, {
 *   lr: 1e-4, beta1: 0.9, beta2: 0.95, weightDecay: 0.1, step: 1,
 * });
 * ```
 */
export function adamAtan2(
  enc: Encoder,
  params: Tensor,
  grads: Tensor,
  m: Tensor,
  v: Tensor,
  opts: AdamAtan2Options,
): void {
  sameSize("adamAtan2", [params, grads, m, v]);
  const { lr, beta1, beta2, weightDecay, step } = opts;
  if (!(Number.isInteger(step) && step >= 1)) {
    throw new RangeError(`adamAtan2: step must be an integer >= 1, got ${step}`);
  }
  const bc1 = 1 - beta1 ** step;
  const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
  const outside = opts.biasCorrection === "outside";
  const stepSize = outside ? lr / bc1 : lr;
  const mDiv = outside ? 1 : bc1;
  forEachChunk(enc, params.size, opts.chunkElements, (view, len) => {
    enc.dispatch({
      kernel: ADAM,
      bindings: [view(grads), view(params), view(m), view(v)],
      params: [
        len,
        f32(stepSize),
        f32(mDiv),
        f32(bc2Sqrt),
        f32(1 - lr * weightDecay),
        f32(beta1),
        f32(beta2),
        f32(1 - beta1),
        f32(1 - beta2),
        f32(opts.gradScale ?? 1),
      ],
      workgroups: grid1d(enc.gpu, len, WG),
    });
  });
}

/**
 * Runs `f` on consecutive chunks of `n` elements that each fit one storage binding (views at
 * aligned offsets), so any buffer size works as long as each tensor's own offset is aligned.
 */
function forEachChunk(
  enc: Encoder,
  n: number,
  chunkElements: number | undefined,
  f: (view: (t: Tensor) => Tensor, len: number) => void,
): void {
  const gpu = enc.gpu;
  const align = gpu.limits.minStorageBufferOffsetAlignment / 4;
  const maxChunk = Math.floor(gpu.limits.maxStorageBufferBindingSize / 4);
  let chunk = Math.min(chunkElements ?? maxChunk, maxChunk);
  chunk = Math.max(align, Math.floor(chunk / align) * align);
  for (let start = 0; start < n; start += chunk) {
    const len = Math.min(chunk, n - start);
    const whole = start === 0 && len === n;
    f((t: Tensor) => whole ? t : Tensor.view(t, start, [len]), len);
  }
}

/**
 * The weights' exponential moving average (TRM's EMAHelper.update, `mu` = ema_rate):
 * `shadow ← (1 − rate)·params + rate·shadow`, in place over flat f32 buffers of equal size.
 *
 * @param enc The encoder to record into.
 * @param params The weights after this step's update // [n]
 * @param shadow The average, updated in place (starts as a copy of the weights) // [n]
 * @param rate ema_rate (TRM's default 0.999).
 * @param chunkElements Elements per dispatch (default: the largest storage binding).
 * @throws {RangeError} naming the op and shapes when sizes or dtypes differ, or rate is outside [0, 1].
 *
 * @example After AdamATan2
 * ```ts ignore
 * emaUpdate(enc, model.params.flat, shadow.flat, 0.999);
 * ```
 */
export function emaUpdate(
  enc: Encoder,
  params: Tensor,
  shadow: Tensor,
  rate: number,
  chunkElements?: number,
): void {
  sameSize("emaUpdate", [params, shadow]);
  if (!(rate >= 0 && rate <= 1)) {
    throw new RangeError(`emaUpdate: rate must be in [0, 1], got ${rate}`);
  }
  forEachChunk(enc, params.size, chunkElements, (view, len) => {
    enc.dispatch({
      kernel: EMA,
      bindings: [view(params), view(shadow)],
      params: [len, f32(rate), f32(1 - rate)],
      workgroups: grid1d(enc.gpu, len, WG),
    });
  });
}

/** Options of {@linkcode signSgdSparse}. */
export interface SignSgdOptions {
  /** Learning rate for this step (HRM: puzzle_emb_lr after the schedule). */
  lr: number;
  /** Decoupled weight decay (HRM: puzzle_emb_weight_decay). */
  weightDecay: number;
}

/**
 * SignSGD with decoupled weight decay on the rows of a sparse embedding that a batch touched:
 * `G[id] = Σ_{b : ids[b] = id} grad[b]` (duplicates add up), then for each id present
 * `W[id] ← W[id]·(1 − lr·wd) − lr·sign(G[id])`. Rows not in the batch are untouched; ids
 * outside `[0, numIds)` are skipped. Deterministic without atomics: the first batch row holding
 * an id sums that id's gradients in batch order and is the only writer.
 *
 * @param enc The encoder to record into.
 * @param W The table, updated in place // [numIds, Dp]
 * @param ids i32 puzzle identifiers of the batch // [B]
 * @param grad Gradient of the batch's gathered rows // [B, Dp]
 * @param opts Learning rate and weight decay.
 * @throws {RangeError} naming the op and shapes on a shape or dtype mismatch.
 *
 * @example Update the puzzle embedding
 * ```ts ignore
 * signSgdSparse(enc, puzzleEmb, puzzle_identifiers, dPuzzleRows, { lr: 1e-2, weightDecay: 0.1 });
 * ```
 */
export function signSgdSparse(
  enc: Encoder,
  W: Tensor,
  ids: Tensor,
  grad: Tensor,
  opts: SignSgdOptions,
): void {
  const B = ids.size;
  const shapes = `W ${W.label} [${W.shape}], ids ${ids.label} [${ids.shape}] ${ids.dtype}, ` +
    `grad ${grad.label} [${grad.shape}]`;
  if (W.shape.length !== 2 || ids.dtype !== "i32" || grad.size !== B * (W.shape[1] ?? 0)) {
    throw new RangeError(
      `signSgdSparse: ${shapes}: expected W [numIds, Dp], i32 ids [B], grad [B, Dp]`,
    );
  }
  const [numIds, Dp] = W.shape;
  enc.dispatch({
    kernel: SIGN,
    bindings: [ids, grad, W],
    params: [B, Dp, numIds, f32(opts.lr), f32(1 - opts.lr * opts.weightDecay)],
    workgroups: grid1d(enc.gpu, B * Dp, WG),
  });
}
