/**
 * `hrm eval`: evaluates a checkpoint on a dataset's test split, always running halt_max_steps
 * segments (which may exceed the trained value), and optionally saves per-example predictions
 * and per-segment reasoning traces. Mazes also get valid/optimal path rates; ARC datasets can be
 * voted on (pass@K) and written as an ARC Prize submission.json.
 *
 * @module
 */
import { dirname, join } from "@std/path";
import { ProgressBar } from "@std/cli/unstable-progress-bar";
import type { Command } from "./command.ts";
import { HrmError } from "../errors.ts";
import { loadConfig } from "../config/load.ts";
import { requestGpu } from "../gpu/device.ts";
import { readSplit } from "../io/dataset.ts";
import { evaluate } from "../eval/evaluate.ts";
import { openWorld, rankName } from "../dist/world.ts";
import { selectGpu } from "../dist/gpu_select.ts";
import { broadcastModel } from "../train/distributed.ts";
import { evaluateAdaptive } from "../eval/adaptive.ts";
import { writePredictions } from "../eval/predictions.ts";
import { arcMetrics, arcVote, submissionJson } from "../eval/arc_vote.ts";
import { mazeMetrics } from "../eval/maze_metrics.ts";
import { readArcVariants } from "../../datasets/arc/invert.ts";
import { atomicWriteText } from "../io/atomic_write.ts";
import { inferTask, traceMeta, writeTrace } from "../eval/trace.ts";
import { buildModel, samplerSource } from "../train/loop.ts";
import { resolveCheckpoint } from "../train/checkpoint.ts";
import { positiveIntFlag, usageError } from "./parse.ts";

/** `hrm eval`. */
export const evalCommand: Command = {
  name: "eval",
  summary: "evaluate a checkpoint on a dataset's test split",
  usage: "eval --data DIR --checkpoint FILE [--config FILE] [options] [key=value ...]",
  description: "The config comes from --config, or all_config.yaml beside the checkpoint.\n" +
    "Prints accuracy, exact_accuracy (the headline), q_halt_accuracy and mean steps; for mazes\n" +
    'also valid_path and optimal_path (the paper\'s "valid and optimal"). With --arc-vote,\n' +
    "ARC predictions are inverted to each task's frame and voted on: arc_pass@K counts tasks\n" +
    "with every test input right (HRM), arc_pass@K_frac gives fractional credit (TRM).\n" +
    "The reference always runs halt_max_steps segments; --act evaluates again with each example\n" +
    "stopping at its first segment whose halting rule fires (HRM: q_halt > q_continue, TRM:\n" +
    "q_halt > 0) and adds act_accuracy, act_exact_accuracy and act_mean_segments.",
  overrides: true,
  flags: [
    { name: "data", type: "string", arg: "DIR", help: "dataset folder (its test/ split is used)" },
    {
      name: "checkpoint",
      type: "string",
      arg: "FILE",
      help: "model weights (safetensors or PyTorch)",
    },
    {
      name: "config",
      type: "string",
      arg: "FILE",
      help: "config (default: all_config.yaml beside the checkpoint)",
    },
    {
      name: "halt-max-steps",
      type: "number",
      arg: "N",
      help: "segments to run (inference-time scaling)",
    },
    {
      name: "batch-size",
      type: "number",
      arg: "N",
      help: "rows per batch (default: global_batch_size)",
    },
    { name: "limit", type: "number", arg: "N", help: "evaluate only the first N test examples" },
    {
      name: "save-preds",
      type: "string",
      arg: "FILE",
      help: "write per-example predictions (safetensors)",
    },
    {
      name: "trace",
      type: "string",
      arg: "FILE",
      help: "write per-segment reasoning traces (safetensors)",
    },
    { name: "trace-limit", type: "number", arg: "N", default: 16, help: "examples to trace" },
    {
      name: "trace-states",
      type: "boolean",
      help: "also record z_H and z_L per segment in the trace",
    },
    {
      name: "arc-vote",
      type: "boolean",
      help: "ARC: vote over augmented variants, report pass@1/2/10, write submission.json",
    },
    {
      name: "submission",
      type: "string",
      arg: "FILE",
      help: "where --arc-vote writes submission.json (default: beside --save-preds or the " +
        "checkpoint; implies --arc-vote)",
    },
    {
      name: "act",
      type: "boolean",
      help: "also evaluate with adaptive halting: act_exact_accuracy, act_mean_segments",
    },
    { name: "json", type: "boolean", help: "print the metrics as one JSON object" },
  ],
  async run(ctx): Promise<void> {
    const f = ctx.flags;
    if (typeof f.checkpoint !== "string") throw usageError("missing --checkpoint FILE");
    const haltMaxSteps = f["halt-max-steps"] === undefined
      ? undefined
      : positiveIntFlag(f["halt-max-steps"], "halt-max-steps");
    if (f["batch-size"] !== undefined) positiveIntFlag(f["batch-size"], "batch-size");
    if (f.limit !== undefined) positiveIntFlag(f.limit, "limit");
    const { file: checkpoint, fromRun } = await resolveCheckpoint(f.checkpoint);
    if (fromRun) console.error(`checkpoint: ${checkpoint} (the run's latest)`);
    const file = (f.config as string | undefined) ?? join(dirname(checkpoint), "all_config.yaml");
    try {
      await Deno.stat(file);
    } catch {
      throw new HrmError(file, "no config found: pass --config FILE (all_config.yaml of the run)");
    }
    const overrides = [...ctx.overrides];
    if (f.data) overrides.unshift(`data_path=${f.data}`);
    const config = await loadConfig({ file, overrides });
    const test = await readSplit(config.data_path, "test");
    if (f.data) await checkSameShape(file, f.data as string, test.meta);
    const vote = Boolean(f["arc-vote"] || f.submission);
    const variants = vote ? await readArcVariants(config.data_path) : undefined;
    const maze = inferTask(test.meta.vocab_size, test.meta.seq_len, test.arrays.labels) === "maze";
    // Under mpirun each rank evaluates its rows of every batch; rank 0 reports and writes.
    const world = openWorld();
    const root = world.rank === 0;
    const choice = world.distributed ? selectGpu(world) : undefined;
    const gpu = await requestGpu();
    if (choice) {
      console.error(
        `hrm: ${rankName(world)}: ${gpu.adapter.info.description || "adapter"}; ${choice.note}`,
      );
    }
    const batchSize = (f["batch-size"] as number | undefined) ?? config.global_batch_size;
    const model = await buildModel(
      gpu,
      config,
      test.meta,
      root ? checkpoint : undefined,
      batchSize / world.size,
      f["batch-size"] === undefined ? "global_batch_size" : "--batch-size",
    );
    await broadcastModel(world, model);
    if (root && model.dtypeNote) console.error(`hrm: ${model.dtypeNote}`);
    const src = samplerSource(test);
    const total = Math.min(src.inputs.length / test.meta.seq_len, (f.limit as number) ?? Infinity);
    const bar = root
      ? new ProgressBar({
        max: total,
        fmt: (p) => `eval ${p.progressBar} ${p.value}/${p.max} [${p.styledTime}]`,
      })
      : undefined;
    try {
      const r = await evaluate(model, src, {
        batchSize,
        haltMaxSteps,
        lossType: config.arch.loss.loss_type,
        limit: f.limit as number | undefined,
        keepPredictions: Boolean(f["save-preds"]) || vote || maze,
        traceLimit: f.trace ? f["trace-limit"] as number : 0,
        traceStates: f["trace-states"] as boolean,
        onProgress: (done) => {
          if (bar) bar.value = done;
        },
        world,
      });
      await bar?.stop();
      const metrics: Record<string, number> = {};
      for (const [k, v] of Object.entries(r.metrics)) {
        metrics[k] = v;
        if (k === "exact_accuracy" && maze && r.predictions) {
          Object.assign(metrics, mazeMetrics(r.predictions, Math.sqrt(test.meta.seq_len)));
        }
      }
      if (f.act && root) {
        // Not split across ranks: rank 0 alone runs the adaptive pass.
        const actBar = new ProgressBar({
          max: total,
          fmt: (p) => `eval --act ${p.progressBar} ${p.value}/${p.max} [${p.styledTime}]`,
        });
        const a = await evaluateAdaptive(model, src, {
          batchSize,
          haltMaxSteps: f["halt-max-steps"] as number | undefined,
          limit: f.limit as number | undefined,
          onProgress: (done) => {
            actBar.value = done;
          },
        });
        await actBar.stop();
        metrics.act_accuracy = a.accuracy;
        metrics.act_exact_accuracy = a.exact_accuracy;
        metrics.act_mean_segments = a.mean_segments;
      }
      if (!root) return;
      const voted = variants && r.predictions ? arcVote(r.predictions, variants) : undefined;
      if (voted) Object.assign(metrics, arcMetrics(voted));
      if (f.json) console.log(JSON.stringify(metrics));
      else {
        const width = Math.max(16, ...Object.keys(metrics).map((k) => k.length));
        for (const [k, v] of Object.entries(metrics)) {
          console.log(`${k.padEnd(width)} ${v.toFixed(4)}`);
        }
      }
      if (r.predictions && f["save-preds"]) {
        await writePredictions(
          f["save-preds"] as string,
          r.predictions,
          test.meta.seq_len,
          undefined,
          {
            checkpoint,
            dataset: config.data_path,
          },
        );
      }
      if (voted) {
        const near = (f["save-preds"] as string | undefined) ?? checkpoint;
        const path = (f.submission as string | undefined) ??
          join(dirname(near), "submission.json");
        await atomicWriteText(path, JSON.stringify(submissionJson(voted)) + "\n");
        console.error(`submission.json (${voted.tasks.length} tasks) written to ${path}`);
      }
      if (r.trace && f.trace) {
        await writeTrace(f.trace as string, {
          ...r.trace,
          meta: traceMeta(test, model, config.data_path, checkpoint),
        });
      }
    } finally {
      model.release();
    }
  },
};

/**
 * Refuses a --data whose sequence length or vocabulary differ from the dataset the run trained
 * on (its all_config.yaml's data_path), when that dataset is at hand: a 4×4 Sudoku model on
 * 10×10 mazes would otherwise run and report nonsense.
 */
async function checkSameShape(
  configFile: string,
  data: string,
  meta: { seq_len: number; vocab_size: number },
): Promise<void> {
  const trainedOn = (await loadConfig({ file: configFile })).data_path;
  let trained: { seq_len?: number; vocab_size?: number };
  try {
    trained = JSON.parse(await Deno.readTextFile(join(trainedOn, "train", "dataset.json")));
  } catch {
    return; // the training data is elsewhere; the checkpoint's own metadata is still checked
  }
  for (const k of ["seq_len", "vocab_size"] as const) {
    if (trained[k] !== undefined && trained[k] !== meta[k]) {
      throw new HrmError(
        data,
        `${k} ${meta[k]}, but the run trained on ${trainedOn} (${k} ${trained[k]}): ` +
          `evaluate on a dataset of the same task and size`,
      );
    }
  }
}
