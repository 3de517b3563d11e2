/**
 * Compiled compute pipelines, cached by kernel source, entry point and `override` constants
 * (what is actually compiled), so specialisation never needs a copy of a shader.
 *
 * @module
 */

/** One WGSL file and one of its entry points. */
export interface Kernel {
  /** Short name of the file, e.g. `rmsnorm` (part of labels and cache keys). */
  file: string;
  /** The WGSL source. */
  source: string;
  /** The entry point, e.g. `rmsnorm_fwd`. */
  entry: string;
}

/** Values for WGSL `override` declarations. */
export type Constants = Record<string, number | boolean>;

/** Caches shader modules and pipelines. */
export class PipelineCache {
  #device: GPUDevice;
  #modules = new Map<string, GPUShaderModule>();
  #pipelines = new Map<string, GPUComputePipeline>();

  /** @param device The device pipelines are created on. */
  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /** Number of compiled pipelines (for tests and benchmarks). */
  get size(): number {
    return this.#pipelines.size;
  }

  /**
   * The pipeline for `kernel` specialised with `constants`; compiled on first use.
   * Labelled `file:entry` so GPU errors name the kernel.
   */
  get(kernel: Kernel, constants: Constants = {}): GPUComputePipeline {
    const keys = Object.keys(constants).sort();
    const key = `${kernel.file}:${kernel.entry}|${
      keys.map((k) => `${k}=${+constants[k]}`).join(",")
    }`;
    let p = this.#pipelines.get(key);
    if (p) return p;
    let module = this.#modules.get(kernel.file);
    if (!module) {
      module = this.#device.createShaderModule({ code: kernel.source, label: kernel.file });
      this.#modules.set(kernel.file, module);
    }
    const numeric: Record<string, number> = {};
    for (const k of keys) numeric[k] = +constants[k];
    p = this.#device.createComputePipeline({
      label: `${kernel.file}:${kernel.entry}`,
      layout: "auto",
      compute: { module, entryPoint: kernel.entry, constants: numeric },
    });
    this.#pipelines.set(key, p);
    return p;
  }
}
