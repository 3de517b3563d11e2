/**
 * Inference-time scaling for `hrm report`: evaluation accuracy against the number of ACT
 * segments run (the paper's figure: a model trained with halt_max_steps M often keeps improving
 * past M). Results are cached in `RUN_DIR/scaling.json`, keyed by checkpoint, dataset and
 * example limit, and saved after each measurement so an interrupted report loses nothing.
 *
 * @module
 */
import { join } from "@std/path";
import { z } from "zod";
import { HrmError } from "../errors.ts";
import { atomicWriteText } from "../io/atomic_write.ts";

/** One measurement. */
export interface ScalingPoint {
  /** Segments run (halt_max_steps at evaluation). */
  segments: number;
  /** evaluate()'s metrics (exact_accuracy, accuracy, q_halt_accuracy, steps, ...). */
  metrics: Record<string, number>;
}

/** The contents of `scaling.json`. */
export interface ScalingCache {
  /** Checkpoint file, relative to the run folder. */
  checkpoint: string;
  /** Its step. */
  step: number;
  /** Dataset folder evaluated. */
  dataset: string;
  /** Examples evaluated (0 = all). */
  limit: number;
  /** The halt_max_steps the model was trained with. */
  trained_halt_max_steps: number;
  /** Measurements, by increasing segments. */
  results: ScalingPoint[];
  /**
   * Adaptive halting (`--act`) with at most `halt_max_steps` segments: its metrics
   * (exact_accuracy, accuracy, count) and `mean_segments`, the compute it used.
   */
  act?: { halt_max_steps: number; metrics: Record<string, number> };
}

const schema = z.object({
  checkpoint: z.string(),
  step: z.number(),
  dataset: z.string(),
  limit: z.number().int().nonnegative(),
  trained_halt_max_steps: z.number().int().positive(),
  results: z.array(z.object({
    segments: z.number().int().positive(),
    metrics: z.record(z.string(), z.number()),
  })),
  act: z.object({
    halt_max_steps: z.number().int().positive(),
    metrics: z.record(z.string(), z.number()),
  }).optional(),
});

/**
 * The cache file of a run folder.
 *
 * @param runDir The run folder.
 * @returns `RUN_DIR/scaling.json`.
 */
export function scalingFile(runDir: string): string {
  return join(runDir, "scaling.json");
}

/**
 * Reads `scaling.json`, or undefined when there is none.
 *
 * @param runDir The run folder.
 * @returns The cache.
 * @throws {HrmError} when the file exists but is malformed.
 */
export async function readScaling(runDir: string): Promise<ScalingCache | undefined> {
  const file = scalingFile(runDir);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch {
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new HrmError(
      file,
      `malformed JSON: ${(e as Error).message} (delete it to measure again)`,
    );
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new HrmError(
      file,
      `not a scaling cache: ${
        issue.path.join(".") || "(top)"
      }: ${issue.message} (delete it to measure again)`,
    );
  }
  return r.data;
}

/**
 * Writes `scaling.json` atomically, results sorted by segments.
 *
 * @param runDir The run folder.
 * @param cache The cache.
 */
export async function writeScaling(runDir: string, cache: ScalingCache): Promise<void> {
  cache.results.sort((a, b) => a.segments - b.segments);
  await atomicWriteText(scalingFile(runDir), JSON.stringify(cache, null, 2) + "\n");
}

/** What a measurement is for; a cache for anything else is replaced. */
export interface ScalingKey {
  /** Checkpoint file, relative to the run folder. */
  checkpoint: string;
  /** Its step. */
  step: number;
  /** Dataset folder. */
  dataset: string;
  /** Examples evaluated (0 = all). */
  limit: number;
  /** The trained halt_max_steps. */
  trained_halt_max_steps: number;
}

/**
 * Measures every segment count the cache lacks, saving after each.
 *
 * @param runDir The run folder.
 * @param key Checkpoint, dataset and limit of this measurement.
 * @param segments Segment counts wanted.
 * @param measure Evaluates at one segment count and returns the metrics.
 * @param onMeasured Called after each new measurement.
 * @returns The updated cache.
 */
export async function measureScaling(
  runDir: string,
  key: ScalingKey,
  segments: number[],
  measure: (segments: number) => Promise<Record<string, number>>,
  onMeasured?: (p: ScalingPoint) => void,
): Promise<ScalingCache> {
  const old = await readScaling(runDir).catch(() => undefined);
  const same = old && old.checkpoint === key.checkpoint && old.dataset === key.dataset &&
    old.limit === key.limit;
  const cache: ScalingCache = { ...key, results: same ? old.results : [] };
  if (same && old.act) cache.act = old.act;
  for (const g of segments) {
    if (cache.results.some((p) => p.segments === g)) continue;
    const p = { segments: g, metrics: await measure(g) };
    cache.results.push(p);
    await writeScaling(runDir, cache);
    onMeasured?.(p);
  }
  return cache;
}
