/**
 * Records GPU work into one command buffer: a whole training step is one `Encoder` and one
 * submit, because every `mapAsync`/`onSubmittedWorkDone` costs at least 10 ms in Deno. Shapes
 * travel as per-dispatch uniforms packed into one arena that is uploaded once at submit.
 *
 * @module
 */
import { checkGpuErrors, type Gpu } from "./device.ts";
import type { Constants, Kernel } from "./pipelines.ts";
import { type DType, numel, Tensor } from "./tensor.ts";

/** A float uniform value (plain numbers are u32). */
export interface F32 {
  /** The value. */
  f32: number;
}

/** Wraps a number to be written to a uniform as f32 (plain numbers are written as u32). */
export function f32(x: number): F32 {
  return { f32: x };
}

/** An i32 uniform value. */
export interface I32 {
  /** The value. */
  i32: number;
}

/** Wraps a number to be written to a uniform as i32. */
export function i32(x: number): I32 {
  return { i32: x };
}

/** Uniform values in WGSL struct order: u32 (number), f32 ({@linkcode f32}) or i32. */
export type Params = readonly (number | F32 | I32)[];

/** One dispatch: a kernel, its bindings in `@binding` order, uniforms and workgroup counts. */
export interface Dispatch {
  /** The kernel (WGSL file + entry point). */
  kernel: Kernel;
  /** `override` constants. */
  constants?: Constants;
  /** Storage bindings `@binding(0..n-1)` in group 0. */
  bindings: readonly Tensor[];
  /** Uniform struct bound at `@binding(n)` after the storage bindings; omit when none. */
  params?: Params;
  /** Workgroup counts; counts over the per-dimension limit must be folded by the caller. */
  workgroups: readonly [number, number?, number?];
}

const SLOT_BYTES = 256;
const DEBUG = Boolean(Deno.env.get("HRM_GPU_DEBUG"));
const PROFILE = Boolean(Deno.env.get("HRM_GPU_PROFILE"));
const profiles = new WeakMap<Gpu, Map<string, { count: number; ms: number }>>();
const pendingProfiles: Promise<void>[] = [];

/**
 * GPU time per kernel gathered under `HRM_GPU_PROFILE=1` (timestamp queries around every
 * dispatch), after waiting for outstanding readbacks.
 *
 * @returns Kernel label → dispatch count and total milliseconds.
 */
export async function gpuProfile(gpu: Gpu): Promise<Map<string, { count: number; ms: number }>> {
  await Promise.all(pendingProfiles.splice(0));
  return profiles.get(gpu) ?? new Map();
}
const MAX_PARAMS = SLOT_BYTES / 4;

/**
 * Encodes dispatches and copies for one submit.
 *
 * @example Record and submit
 * ```ts ignore
 * const enc = new Encoder(gpu);
 * scaleForward(enc, x, 2, y);
 * enc.submit();
 * ```
 */
export class Encoder {
  /** The device. */
  readonly gpu: Gpu;
  #encoder: GPUCommandEncoder;
  #pass: GPUComputePassEncoder | undefined;
  #arena = new ArrayBuffer(SLOT_BYTES * 64);
  #slots = 0;
  #flushedSlots = 0;
  #uniforms: { buffer: GPUBuffer; first: number; count: number }[] = [];
  #pendingUniform: {
    slot: number;
    entries: GPUBindGroupEntry[];
    layout: GPUBindGroupLayout;
    pipeline: GPUComputePipeline;
    workgroups: readonly [number, number?, number?];
    label: string;
  }[] = [];
  #deferredRelease: Tensor[] = [];
  #profileReads: { read: GPUBuffer; labels: string[] }[] = [];
  #rawQueries: { qs: GPUQuerySet; label: string }[] = [];
  /** Dispatches recorded so far. */
  dispatches = 0;

  /** @param gpu The device to record for. */
  constructor(gpu: Gpu) {
    this.gpu = gpu;
    this.#encoder = gpu.device.createCommandEncoder();
  }

  /**
   * Records one dispatch.
   * @throws {RangeError} when a workgroup count exceeds the device limit (names the kernel).
   */
  dispatch(d: Dispatch): void {
    const limit = this.gpu.limits.maxComputeWorkgroupsPerDimension;
    const [x, y = 1, z = 1] = d.workgroups;
    const name = `${d.kernel.file}:${d.kernel.entry}`;
    if (x > limit || y > limit || z > limit) {
      throw new RangeError(`${name}: workgroups [${x},${y},${z}] exceed the limit ${limit}`);
    }
    if (x === 0 || y === 0 || z === 0) return;
    checkAliasing(name, d.bindings);
    const pipeline = this.gpu.pipelines.get(d.kernel, d.constants);
    const entries: GPUBindGroupEntry[] = d.bindings.map((t, i) => ({
      binding: i,
      resource: t.binding(),
    }));
    let slot = -1;
    if (d.params) {
      if (d.params.length > MAX_PARAMS) throw new RangeError(`${name}: too many params`);
      slot = this.#slots++;
      if (this.#slots * SLOT_BYTES > this.#arena.byteLength) {
        const bigger = new ArrayBuffer(this.#arena.byteLength * 2);
        new Uint8Array(bigger).set(new Uint8Array(this.#arena));
        this.#arena = bigger;
      }
      const u = new Uint32Array(this.#arena, slot * SLOT_BYTES, MAX_PARAMS);
      const f = new Float32Array(this.#arena, slot * SLOT_BYTES, MAX_PARAMS);
      const s = new Int32Array(this.#arena, slot * SLOT_BYTES, MAX_PARAMS);
      d.params.forEach((p, i) => {
        if (typeof p === "number") {
          if (!(p >= 0 && p <= 0xffffffff && Number.isInteger(p))) {
            throw new RangeError(`${name}: param ${i} = ${p} is not a u32 (wrap floats in f32())`);
          }
          u[i] = p;
        } else if ("f32" in p) f[i] = p.f32;
        else s[i] = p.i32;
      });
    }
    if (DEBUG) {
      this.#debugDispatch(name, pipeline, entries, slot, [x, y, z]);
      return;
    }
    // The uniform buffer's size is known only at submit, so dispatches with params are recorded
    // then; the order of all commands is kept by deferring everything after the first one.
    this.#pendingUniform.push({
      slot,
      entries,
      layout: pipeline.getBindGroupLayout(0),
      pipeline,
      workgroups: [x, y, z],
      label: name,
    });
    this.dispatches++;
  }

  #flushDispatches(): void {
    if (!this.#pendingUniform.length) return;
    // Each flush owns one uniform buffer covering the slots recorded since the previous flush;
    // all of them are filled by writeBuffer at submit, which the queue orders before this work.
    const first = this.#flushedSlots, count = this.#slots - first;
    let uniform: GPUBuffer | undefined;
    if (count > 0) {
      uniform = this.gpu.uniforms.acquire(count * SLOT_BYTES);
      this.#uniforms.push({ buffer: uniform, first, count });
      this.#flushedSlots = this.#slots;
    }
    if (PROFILE) {
      this.#profileDispatches(uniform, first);
      return;
    }
    const pass = this.#pass ??= this.#encoder.beginComputePass();
    for (const p of this.#pendingUniform) {
      const entries = withUniform(p.entries, p.slot, uniform, first);
      const bg = this.gpu.device.createBindGroup({ layout: p.layout, entries, label: p.label });
      pass.setPipeline(p.pipeline);
      pass.setBindGroup(0, bg);
      pass.dispatchWorkgroups(p.workgroups[0], p.workgroups[1], p.workgroups[2]);
    }
    this.#pendingUniform = [];
  }

  // HRM_GPU_DEBUG=1: every dispatch is its own submit inside an error scope, so a validation
  // error names its kernel (wgpu reports dispatch errors per command buffer, without it).
  #debugDispatch(
    name: string,
    pipeline: GPUComputePipeline,
    entries: GPUBindGroupEntry[],
    slot: number,
    wg: readonly [number, number, number],
  ): void {
    this.#endPass();
    const dev = this.gpu.device;
    dev.pushErrorScope("validation");
    dev.pushErrorScope("out-of-memory");
    let uniform: GPUBuffer | undefined;
    if (slot >= 0) {
      uniform = dev.createBuffer({
        size: SLOT_BYTES,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      dev.queue.writeBuffer(uniform, 0, this.#arena, slot * SLOT_BYTES, SLOT_BYTES);
      entries = [...entries, { binding: entries.length, resource: { buffer: uniform } }];
    }
    dev.queue.submit([this.#encoder.finish()]);
    this.#encoder = dev.createCommandEncoder();
    const bg = dev.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries,
      label: name,
    });
    const pass = this.#encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(wg[0], wg[1], wg[2]);
    pass.end();
    dev.queue.submit([this.#encoder.finish()]);
    this.#encoder = dev.createCommandEncoder();
    for (let i = 0; i < 2; i++) {
      dev.popErrorScope().then((e) => {
        if (e) this.gpu.errors.push(`${name}: ${e.message}`);
      });
    }
    this.dispatches++;
  }

  // HRM_GPU_PROFILE=1: each dispatch gets its own pass with timestamps, summed per kernel into
  // gpuProfile(gpu) after submit (readback is asynchronous; await flushProfile(gpu)).
  #profileDispatches(uniform: GPUBuffer | undefined, first: number): void {
    const dev = this.gpu.device;
    const n = this.#pendingUniform.length;
    const qs = dev.createQuerySet({ type: "timestamp", count: 2 * n });
    this.#pendingUniform.forEach((p, i) => {
      const entries = withUniform(p.entries, p.slot, uniform, first);
      const bg = dev.createBindGroup({ layout: p.layout, entries, label: p.label });
      const pass = this.#encoder.beginComputePass({
        timestampWrites: {
          querySet: qs,
          beginningOfPassWriteIndex: 2 * i,
          endOfPassWriteIndex: 2 * i + 1,
        },
      });
      pass.setPipeline(p.pipeline);
      pass.setBindGroup(0, bg);
      pass.dispatchWorkgroups(p.workgroups[0], p.workgroups[1], p.workgroups[2]);
      pass.end();
    });
    const resolved = dev.createBuffer({
      size: 16 * n,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    const read = dev.createBuffer({
      size: 16 * n,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.#encoder.resolveQuerySet(qs, 0, 2 * n, resolved, 0);
    this.#encoder.copyBufferToBuffer(resolved, 0, read, 0, 16 * n);
    const labels = this.#pendingUniform.map((p) => p.label);
    this.#profileReads.push({ read, labels });
    this.#pendingUniform = [];
  }

  /** Records a buffer-to-buffer copy of `src` into `dst` (same byte size). */
  copy(src: Tensor, dst: Tensor): void {
    if (src.bytes !== dst.bytes) {
      throw new RangeError(`copy ${src.label} -> ${dst.label}: ${src.bytes} vs ${dst.bytes} bytes`);
    }
    this.#endPass();
    this.#encoder.copyBufferToBuffer(src.buffer, src.offset, dst.buffer, dst.offset, src.bytes);
  }

  #endPass(): void {
    this.#flushDispatches();
    this.#pass?.end();
    this.#pass = undefined;
  }

  /** Releases `t` after this encoder is submitted (for tensors read by recorded work). */
  releaseAfterSubmit(...ts: Tensor[]): void {
    this.#deferredRelease.push(...ts);
  }

  /** Access for ops that need raw encoder commands (texture copies); ends the open pass. */
  raw(): GPUCommandEncoder {
    this.#endPass();
    return this.#encoder;
  }

  /**
   * Begins a compute pass of the caller's own (ops whose bindings `dispatch` cannot express, such
   * as textures); the caller ends it. Under `HRM_GPU_PROFILE=1` the whole pass is timed as `label`.
   */
  rawPass(label: string): GPUComputePassEncoder {
    const raw = this.raw();
    if (!PROFILE) return raw.beginComputePass({ label });
    const qs = this.gpu.device.createQuerySet({ type: "timestamp", count: 2 });
    this.#rawQueries.push({ qs, label });
    return raw.beginComputePass({
      label,
      timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
    });
  }

  // Resolves the timestamps of rawPass passes (all ended by now) into one profile read.
  #resolveRawQueries(): void {
    const n = this.#rawQueries.length;
    if (!n) return;
    const dev = this.gpu.device;
    // Resolve offsets must be 256-byte aligned; the read buffer packs them 16 bytes apart.
    const resolved = dev.createBuffer({
      size: 256 * n,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    const read = dev.createBuffer({
      size: 16 * n,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.#rawQueries.forEach((q, i) => {
      this.#encoder.resolveQuerySet(q.qs, 0, 2, resolved, 256 * i);
      this.#encoder.copyBufferToBuffer(resolved, 256 * i, read, 16 * i, 16);
    });
    this.#profileReads.push({ read, labels: this.#rawQueries.map((q) => q.label) });
    this.#rawQueries = [];
  }

  /** Uploads the uniforms, then submits everything recorded. The encoder is done after this. */
  submit(): void {
    this.#endPass();
    this.#resolveRawQueries();
    const q = this.gpu.device.queue;
    for (const u of this.#uniforms) {
      q.writeBuffer(u.buffer, 0, this.#arena, u.first * SLOT_BYTES, u.count * SLOT_BYTES);
    }
    q.submit([this.#encoder.finish()]);
    for (const { read, labels } of this.#profileReads) {
      const stats = profiles.get(this.gpu) ?? new Map<string, { count: number; ms: number }>();
      profiles.set(this.gpu, stats);
      pendingProfiles.push(
        read.mapAsync(GPUMapMode.READ).then(() => {
          const t = new BigUint64Array(read.getMappedRange());
          labels.forEach((l, i) => {
            const e = stats.get(l) ?? { count: 0, ms: 0 };
            e.count++;
            e.ms += Number(t[2 * i + 1] - t[2 * i]) / 1e6;
            stats.set(l, e);
          });
          read.unmap();
          read.destroy();
        }),
      );
    }
    this.#profileReads = [];
    // Safe to reuse at once: later writes to these buffers are queued after this submit.
    for (const u of this.#uniforms) this.gpu.uniforms.release(u.buffer);
    this.#uniforms = [];
    for (const t of this.#deferredRelease) t.release();
    this.#deferredRelease = [];
  }
}

/** A dispatch's bind-group entries plus its uniform slot (bound after the storage bindings). */
function withUniform(
  entries: GPUBindGroupEntry[],
  slot: number,
  uniform: GPUBuffer | undefined,
  first: number,
): GPUBindGroupEntry[] {
  if (slot < 0) return entries;
  return [...entries, {
    binding: entries.length,
    resource: { buffer: uniform!, offset: (slot - first) * SLOT_BYTES, size: SLOT_BYTES },
  }];
}

/**
 * WebGPU rejects a dispatch that binds one buffer range as writable and again as anything else,
 * and wgpu's message does not name the kernel; catching partial overlaps here does. (Binding the
 * very same range twice is allowed: two read-only uses are legal.)
 */
function checkAliasing(name: string, bindings: readonly Tensor[]): void {
  for (let i = 0; i < bindings.length; i++) {
    for (let j = i + 1; j < bindings.length; j++) {
      const a = bindings[i], b = bindings[j];
      if (a.buffer !== b.buffer) continue;
      const sameRange = a.offset === b.offset && a.bytes === b.bytes;
      const overlap = a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
      if (overlap && !sameRange) {
        throw new RangeError(`${name}: bindings ${i} (${a.label}) and ${j} (${b.label}) overlap`);
      }
    }
  }
}

/**
 * Copies `data` into `t` through the queue. The queue runs this before any later submit and
 * after all earlier ones, so call it between steps, not while an encoder that reads `t` is open.
 */
export function writeTensor(t: Tensor, data: ArrayLike<number> | ArrayBufferView): void {
  const src = data as ArrayLike<number>;
  if (src.length !== t.size) {
    throw new RangeError(`writeTensor ${t.label}: ${src.length} values for ${t.size} elements`);
  }
  const Ctor = typedArrayOf(t.dtype);
  // Uploaded as is when already of the tensor's type (batches every step), converted otherwise
  // (to f16 with round-to-nearest-even).
  const arr = (src instanceof Ctor ? src : Ctor.from(src)) as TypedArray;
  // Deno panics on a zero-byte writeBuffer; writes are whole 4-byte words (an odd f16 count is
  // padded with one zero element, inside the tensor's 4-byte-rounded binding).
  if (arr.byteLength === 0) return;
  if (arr.byteLength % 4 !== 0) {
    const padded = new Uint8Array(arr.byteLength + 2);
    padded.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    t.gpu.device.queue.writeBuffer(t.buffer, t.offset, padded.buffer, 0, padded.byteLength);
    return;
  }
  t.gpu.device.queue.writeBuffer(t.buffer, t.offset, arr.buffer, arr.byteOffset, arr.byteLength);
}

/** A typed array of one of the tensor element types. */
export type TypedArray =
  | Float32Array<ArrayBuffer>
  | Int32Array<ArrayBuffer>
  | Uint32Array<ArrayBuffer>
  | Float16Array<ArrayBuffer>;

/** The typed-array constructor holding `dtype`'s elements. */
function typedArrayOf(
  dtype: DType,
): typeof Float32Array | typeof Int32Array | typeof Uint32Array | typeof Float16Array {
  return dtype === "f32"
    ? Float32Array
    : dtype === "i32"
    ? Int32Array
    : dtype === "f16"
    ? Float16Array
    : Uint32Array;
}

/** Creates a pooled tensor holding `data`. */
export function upload(
  gpu: Gpu,
  data: ArrayLike<number>,
  shape: readonly number[],
  dtype: DType = "f32",
  label = "upload",
): Tensor {
  if (data.length !== numel(shape)) {
    throw new RangeError(`upload ${label}: ${data.length} values for shape [${shape}]`);
  }
  const t = Tensor.empty(gpu, shape, dtype, label);
  writeTensor(t, data);
  return t;
}

/**
 * Reads tensors back to the CPU with one map (one ~10 ms wait however many tensors); f16
 * tensors are returned widened to a Float32Array (exact).
 *
 * @throws {Error} naming the kernel when the device reported an error since the last check.
 */
export async function readTensors(
  gpu: Gpu,
  ts: readonly Tensor[],
): Promise<(Float32Array | Int32Array | Uint32Array)[]> {
  let total = 0;
  const offsets = ts.map((t) => {
    const o = total;
    total += Math.ceil(t.bytes / 4) * 4;
    return o;
  });
  const staging = gpu.device.createBuffer({
    size: Math.max(4, total),
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    label: "readback",
  });
  const enc = gpu.device.createCommandEncoder();
  // Copies are whole 4-byte words: an odd f16 count reads its padding too (dropped below).
  ts.forEach((t, i) => {
    if (t.bytes) enc.copyBufferToBuffer(t.buffer, t.offset, staging, offsets[i], t.binding().size!);
  });
  gpu.device.queue.submit([enc.finish()]);
  try {
    await staging.mapAsync(GPUMapMode.READ);
  } catch (e) {
    checkGpuErrors(gpu, "readback");
    throw e;
  }
  const bytes = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  checkGpuErrors(gpu, ts.map((t) => t.label).join(", "));
  // f16 tensors come back widened to f32 (exactly), so callers handle one float type.
  return ts.map((t, i) =>
    t.dtype === "f16"
      ? Float32Array.from(new Float16Array(bytes, offsets[i], t.size))
      : new (typedArrayOf(t.dtype) as typeof Float32Array)(bytes, offsets[i], t.size)
  );
}

/** Reads one tensor back (see {@linkcode readTensors}). */
export async function readTensor(
  gpu: Gpu,
  t: Tensor,
): Promise<Float32Array | Int32Array | Uint32Array> {
  return (await readTensors(gpu, [t]))[0];
}
