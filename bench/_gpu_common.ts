/**
 * Shared by `bench/gpu.ts` and its sections (`bench/_gpu_*.ts`): how a section is called (one
 * JSON argument in, one JSON file out, so a crash, an out-of-memory or a hung shader in one
 * section costs only that section), the adapter summary, and small timing helpers.
 *
 * @module
 */
import { describeGpu, type Gpu } from "../lib/gpu/device.ts";
import { readTensors } from "../lib/gpu/encoder.ts";
import { Tensor } from "../lib/gpu/tensor.ts";
import { atomicWriteText } from "../lib/io/atomic_write.ts";
import { isSoftwareAdapter } from "../lib/gpu/variants.ts";

/** What every section receives: its parameters and where to write its result. */
export interface SectionCall<P> {
  /** Section parameters (see each section's module doc). */
  params: P;
  /** The JSON file the section writes its {@linkcode SectionResult} to. */
  out: string;
}

/** What a section writes. */
export interface SectionResult {
  /** Result rows (see bench/gpu.ts for the row kinds). */
  rows: Record<string, unknown>[];
  /** Remarks for the summary (skipped shapes, batch reductions, ...). */
  notes: string[];
}

/** Reads `--call '{"params": ..., "out": ...}'` from the command line. */
export function sectionCall<P>(): SectionCall<P> {
  const i = Deno.args.indexOf("--call");
  if (i < 0 || !Deno.args[i + 1]) {
    console.error("this is a section of bench/gpu.ts; run `deno task bench gpu` instead");
    Deno.exit(2);
  }
  return JSON.parse(Deno.args[i + 1]) as SectionCall<P>;
}

/** Writes a section's result (atomically: a killed section leaves none, never half of one). */
export async function writeSection(out: string, result: SectionResult): Promise<void> {
  await atomicWriteText(out, JSON.stringify(result, null, 1) + "\n");
}

/** The adapter and device facts every result file starts with. */
export function adapterFacts(gpu: Gpu): Record<string, unknown> {
  const d = describeGpu(gpu);
  const info = gpu.adapter.info as GPUAdapterInfo & {
    subgroupMinSize?: number;
    subgroupMaxSize?: number;
  };
  return {
    adapter: {
      ...d.adapter,
      subgroupMinSize: info.subgroupMinSize,
      subgroupMaxSize: info.subgroupMaxSize,
    },
    isFallbackAdapter: d.isFallbackAdapter,
    software: isSoftwareAdapter(gpu),
    backend: d.backend,
    adapterFeatures: [...gpu.adapter.features].sort(),
    deviceFeatures: d.features,
    limits: d.limits,
  };
}

/** A file-name-safe slug of the adapter, e.g. `nvidia_h100_80gb_hbm3`. */
export function adapterSlug(gpu: Gpu): string {
  const i = gpu.adapter.info;
  const name = i.description || i.device || i.vendor || "unknown";
  return name.toLowerCase().replace(/\(.*?\)/g, "").replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "").slice(0, 48) || "unknown";
}

/** Median of a non-empty list. */
export function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** Waits until all submitted work is done (a 4-byte readback). */
export async function sync(gpu: Gpu): Promise<void> {
  const t = Tensor.empty(gpu, [1], "f32", "sync");
  await readTensors(gpu, [t]);
  t.release();
}

/** True when an error message reads as the device running out of memory. */
export function isOutOfMemory(message: string): boolean {
  return /out of memory|OutOfMemory|not enough memory|ERROR_OUT_OF_DEVICE_MEMORY|allocation failed/i
    .test(message);
}
