/**
 * `hrm analyze pr`: the participation ratio (PR) of z_H and z_L, the HRM paper's "hierarchy of
 * dimensionality" (its trained Sudoku model: z_H ≈ 90, z_L ≈ 30; an untrained one shows no
 * such gap). States are collected from a checkpoint run on the first test examples, or read
 * from a trace recorded with `hrm eval --trace-states`; the spectra are saved as a PNG.
 *
 * @module
 */
import { dirname, join } from "@std/path";
import { ProgressBar } from "@std/cli/unstable-progress-bar";
import type { Command } from "./command.ts";
import { positiveIntFlag, usageError } from "./parse.ts";
import { HrmError } from "../errors.ts";
import { loadConfig } from "../config/load.ts";
import { loadTrace } from "../viz/load_trace.ts";
import { requestGpu } from "../gpu/device.ts";
import { readSplit } from "../io/dataset.ts";
import { buildModel, samplerSource } from "../train/loop.ts";
import { atomicWrite } from "../io/atomic_write.ts";
import { Rng } from "../../datasets/rng.ts";
import { encodePng } from "../viz/canvas.ts";
import { spectrum } from "../viz/pr.ts";
import {
  addTraceStates,
  collectModelStates,
  emptyClouds,
  type PrUnit,
  type StateClouds,
} from "../viz/pr_collect.ts";
import { type PrResult, prTable, spectraPlot } from "../viz/pr_report.ts";

function toResult(
  model: string,
  c: StateClouds,
  names: { z_H: string; z_L: string },
): PrResult {
  return { model, z_H: spectrum(c.z_H), z_L: spectrum(c.z_L), names };
}

/** `hrm analyze pr`. */
export const analyzePr: Command = {
  name: "analyze pr",
  summary: "participation ratio of z_H and z_L (the paper's dimensionality analysis)",
  usage: "analyze pr (--checkpoint FILE [--data DIR] | --trace FILE) [options] [key=value ...]",
  description:
    "PR = (sum λ)² / sum λ² over the eigenvalues λ of the covariance of the states. One sample\n" +
    "is the D-dim state of one token position after one segment (--unit token), or its mean over\n" +
    "positions (--unit segment); puzzle-embedding positions are left out. Prints a table and\n" +
    "saves the spectra as a PNG. The paper's trained Sudoku model: z_H ≈ 90, z_L ≈ 30.\n" +
    "Example:\n" +
    "  hrm analyze pr --checkpoint runs/sudoku/step_26040.safetensors --data data/sudoku-extreme-1k-aug-1000 --baseline-untrained",
  overrides: true,
  flags: [
    {
      name: "checkpoint",
      type: "string",
      arg: "FILE",
      help: "trained weights (safetensors or PyTorch)",
    },
    { name: "data", type: "string", arg: "DIR", help: "dataset folder (its test/ split is used)" },
    {
      name: "config",
      type: "string",
      arg: "FILE",
      help: "config (default: all_config.yaml beside the checkpoint)",
    },
    {
      name: "trace",
      type: "string",
      arg: "FILE",
      help: "use the states in a trace (hrm eval --trace-states) instead of running a model",
    },
    { name: "samples", type: "number", arg: "N", default: 64, help: "test examples to run" },
    {
      name: "baseline-untrained",
      type: "boolean",
      help: "also measure a freshly initialised model of the same config",
    },
    {
      name: "halt-max-steps",
      type: "number",
      arg: "N",
      help: "segments per example (default: the config's halt_max_steps)",
    },
    {
      name: "unit",
      type: "string",
      arg: "UNIT",
      default: "token",
      help: "one sample per token position and segment (token), or per segment (segment)",
    },
    {
      name: "max-states",
      type: "number",
      arg: "N",
      default: 20000,
      help: "most samples per module (more are subsampled at random, seeded)",
    },
    {
      name: "batch-size",
      type: "number",
      arg: "N",
      help: "rows per batch (default: min(32, global_batch_size))",
    },
    {
      name: "out",
      type: "string",
      arg: "PNG",
      help: "spectra picture (default: pr_spectra.png beside the checkpoint or trace)",
    },
    { name: "json", type: "boolean", help: "print the results as one JSON object" },
  ],
  async run(ctx): Promise<void> {
    const f = ctx.flags;
    const unit = f.unit as string;
    if (unit !== "token" && unit !== "segment") {
      throw usageError(`--unit must be token or segment, got ${unit}`);
    }
    const maxStates = positiveIntFlag(f["max-states"], "max-states");
    const trace = f.trace as string | undefined;
    const checkpoint = f.checkpoint as string | undefined;
    if (trace && checkpoint) throw usageError("give --checkpoint or --trace, not both");
    if (!trace && !checkpoint) throw usageError("missing --checkpoint FILE (or --trace FILE)");
    if (trace && f["baseline-untrained"]) {
      throw usageError(
        "--baseline-untrained needs --checkpoint: a trace holds no model to re-initialise",
      );
    }
    const results: PrResult[] = [];
    let what: string;
    if (trace) {
      const t = await loadTrace(trace);
      if (!t.z_H || !t.z_L) {
        throw new HrmError(
          trace,
          "trace has no z_H/z_L states: record them with hrm eval --trace FILE --trace-states",
        );
      }
      const { seq_len: S, puzzle_emb_len: P, hidden_size: D } = t.meta;
      const per = unit === "token" ? t.segments * S : t.segments;
      const clouds = emptyClouds(D);
      addTraceStates(clouds, t, { S, P, D }, {
        unit,
        keep: Math.min(1, maxStates / Math.max(1, t.n * per)),
        rng: new Rng("pr:0"),
      });
      results.push(toResult("trace", clouds, t.meta.states ?? { z_H: "z_H", z_L: "z_L" }));
      what = `${t.n} traced examples x ${t.segments} segments${
        unit === "token" ? ` x ${S} positions` : ""
      }, D = ${D}`;
    } else {
      const r = await measureCheckpoint(ctx.overrides, f, checkpoint!, unit, maxStates);
      results.push(...r.results);
      what = r.what;
    }
    const out = (f.out as string | undefined) ??
      join(dirname(trace ?? checkpoint!), "pr_spectra.png");
    try {
      await atomicWrite(out, encodePng(spectraPlot(results)));
    } catch (e) {
      throw new HrmError(out, `cannot write the spectra picture: ${(e as Error).message}`, {
        cause: e,
      });
    }
    if (f.json) {
      console.log(JSON.stringify({
        unit,
        samples: what,
        spectra: out,
        results: results.map((r) => ({
          model: r.model,
          z_H: { pr: r.z_H.pr, states: r.z_H.samples },
          z_L: { pr: r.z_L.pr, states: r.z_L.samples },
          state_names: r.names,
        })),
      }));
      return;
    }
    console.log(`participation ratio over ${what} (unit: ${unit})\n`);
    console.log(prTable(results));
    console.log("The paper's trained Sudoku model: z_H ≈ 90, z_L ≈ 30 (an untrained one: no gap).");
    console.log(`spectra: ${out}`);
  },
};

async function measureCheckpoint(
  overrides: string[],
  f: Record<string, unknown>,
  checkpoint: string,
  unit: PrUnit,
  maxStates: number,
): Promise<{ results: PrResult[]; what: string }> {
  const file = (f.config as string | undefined) ?? join(dirname(checkpoint), "all_config.yaml");
  try {
    await Deno.stat(file);
  } catch {
    throw new HrmError(file, "no config found: pass --config FILE (all_config.yaml of the run)");
  }
  const layers = [...overrides];
  if (f.data) layers.unshift(`data_path=${f.data}`);
  const config = await loadConfig({ file, overrides: layers });
  const samples = positiveIntFlag(f.samples, "samples");
  const haltMaxSteps = f["halt-max-steps"] === undefined
    ? undefined
    : positiveIntFlag(f["halt-max-steps"], "halt-max-steps");
  const batchSize = f["batch-size"] === undefined
    ? Math.min(32, config.global_batch_size)
    : positiveIntFlag(f["batch-size"], "batch-size");
  const test = await readSplit(config.data_path, "test");
  const src = samplerSource(test);
  const examples = Math.min(samples, src.inputs.length / test.meta.seq_len);
  const gpu = await requestGpu();
  const results: PrResult[] = [];
  let G = 0, S = 0, D = 0;
  const runs: [string, string | undefined][] = [["trained", checkpoint]];
  if (f["baseline-untrained"]) runs.push(["untrained", undefined]);
  for (const [name, init] of runs) {
    const model = await buildModel(gpu, config, test.meta, init);
    G = haltMaxSteps ?? model.arch.halt_max_steps;
    S = model.dims.S;
    D = model.dims.D;
    const bar = new ProgressBar({
      max: examples,
      fmt: (p) => `${name} ${p.progressBar} ${p.value}/${p.max} [${p.styledTime}]`,
    });
    try {
      const clouds = await collectModelStates(model, src, {
        examples,
        batchSize,
        segments: G,
        lossType: config.arch.loss.loss_type,
        unit,
        maxStates,
        seed: config.seed,
        onProgress: (done) => {
          bar.value = done;
        },
      });
      await bar.stop();
      results.push(toResult(name, clouds, model.spec.stateNames));
    } finally {
      model.release();
    }
  }
  const what = `${examples} test examples x ${G} segments${
    unit === "token" ? ` x ${S} positions` : ""
  }, D = ${D}`;
  return { results, what };
}
