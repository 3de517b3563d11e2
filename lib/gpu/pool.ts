/**
 * A counted size-class buffer pool, so a training step allocates nothing after warm-up. Sizes
 * round up to one of four classes per power of two (at most 19% slack), all storage buffers share
 * one usage, and the counters let tests assert that everything came back.
 *
 * @module
 */
import { HrmError } from "../errors.ts";

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Rounds a byte count up to its size class (>= 256 bytes; 4 classes per octave). */
export function sizeClass(bytes: number): number {
  const b = Math.max(256, Math.ceil(bytes / 4) * 4);
  const p = 2 ** Math.floor(Math.log2(b));
  const step = p / 4;
  return Math.ceil(b / step) * step;
}

/** Counters of a {@linkcode BufferPool}. */
export interface PoolStats {
  /** Bytes in all buffers ever created and not destroyed. */
  allocatedBytes: number;
  /** Bytes currently handed out. */
  inUseBytes: number;
  /** The most bytes handed out at once since the last {@linkcode BufferPool.resetPeak}. */
  peakInUseBytes: number;
  /** Number of `createBuffer` calls so far. */
  creations: number;
  /** Buffers currently handed out. */
  inUseBuffers: number;
}

/** Hands out storage buffers by size class and takes them back. */
export class BufferPool {
  #device: GPUDevice;
  #free = new Map<number, GPUBuffer[]>();
  #inUse = new Set<GPUBuffer>();
  #stats: PoolStats = {
    allocatedBytes: 0,
    inUseBytes: 0,
    peakInUseBytes: 0,
    creations: 0,
    inUseBuffers: 0,
  };

  /** @param device The device buffers are created on. */
  #usage: number;

  /**
   * @param device The device buffers are created on.
   * @param usage Buffer usage flags (default: storage + copy source/destination).
   */
  constructor(device: GPUDevice, usage: number = STORAGE) {
    this.#device = device;
    this.#usage = usage;
  }

  /**
   * A storage buffer of at least `bytes` bytes (contents undefined).
   * @param bytes Requested size.
   * @param label Debug label (the tensor's role).
   */
  acquire(bytes: number, label = "tensor"): GPUBuffer {
    const lim = this.#device.limits;
    const max = Math.min(lim.maxBufferSize, lim.maxStorageBufferBindingSize);
    let size = sizeClass(bytes);
    // Near the limit the size class would round a buffer that fits past it (ARC-1's 1.97 GB
    // puzzle embedding to 2^31 bytes): take the exact size there.
    if (size > max) size = Math.max(256, Math.ceil(bytes / 4) * 4);
    if (size > max) {
      // Refuse here: the device would report the oversized buffer once per dispatch using it.
      throw new HrmError(
        undefined,
        `buffer "${label}" needs ${size} bytes, more than this adapter allows per buffer ` +
          `(${max}): use a smaller batch or model, or an adapter with larger buffers`,
      );
    }
    let buf = this.#free.get(size)?.pop();
    if (!buf) {
      buf = this.#device.createBuffer({ size, usage: this.#usage, label });
      this.#stats.allocatedBytes += size;
      this.#stats.creations++;
    }
    this.#inUse.add(buf);
    this.#stats.inUseBytes += size;
    this.#stats.inUseBuffers++;
    this.#stats.peakInUseBytes = Math.max(this.#stats.peakInUseBytes, this.#stats.inUseBytes);
    return buf;
  }

  /** Returns a buffer from {@linkcode acquire}. Releasing twice is a bug and throws. */
  release(buf: GPUBuffer): void {
    if (!this.#inUse.delete(buf)) throw new Error(`BufferPool: ${buf.label} released twice`);
    this.#stats.inUseBytes -= buf.size;
    this.#stats.inUseBuffers--;
    const list = this.#free.get(buf.size);
    if (list) list.push(buf);
    else this.#free.set(buf.size, [buf]);
  }

  /** Destroys all free buffers (e.g. between benchmark configurations). */
  trim(): void {
    for (const list of this.#free.values()) {
      for (const b of list) {
        this.#stats.allocatedBytes -= b.size;
        b.destroy();
      }
    }
    this.#free.clear();
  }

  /** Starts a new peak measurement at the current in-use level. */
  resetPeak(): void {
    this.#stats.peakInUseBytes = this.#stats.inUseBytes;
  }

  /** A snapshot of the counters. */
  stats(): PoolStats {
    return { ...this.#stats };
  }
}
