/**
 * `hrm train`: trains HRM on a dataset folder and writes a run folder (all_config.yaml,
 * step_N.safetensors checkpoints, metrics.jsonl).
 *
 * @module
 */
import { join } from "@std/path";
import { ProgressBar } from "@std/cli/unstable-progress-bar";
import type { Command } from "./command.ts";
import { HrmError } from "../errors.ts";
import { loadConfig } from "../config/load.ts";
import { requestGpu } from "../gpu/device.ts";
import { trainRun } from "../train/loop.ts";

/** `hrm train`. */
export const train: Command = {
  name: "train",
  summary: "train an HRM on a dataset (deep supervision, ACT, 1-step gradient)",
  usage: "train --data DIR [--config FILE | --preset NAME] [options] [key=value ...]",
  description: "Trains with the reference's semantics and writes RUN_DIR/{all_config.yaml,\n" +
    "step_N.safetensors,state_N.safetensors,latest.json,metrics.jsonl}. Config keys can be\n" +
    "overridden after the options, e.g. `lr=7e-5 arch.L_cycles=4 global_batch_size=384`.",
  overrides: true,
  flags: [
    {
      name: "data",
      type: "string",
      arg: "DIR",
      help: "dataset folder (train/ and test/); sets data_path",
    },
    {
      name: "config",
      type: "string",
      arg: "FILE",
      help: "config file (JSON or YAML, e.g. all_config.yaml)",
    },
    { name: "preset", type: "string", arg: "NAME", help: "start from a preset (see README)" },
    {
      name: "init",
      type: "string",
      arg: "CKPT",
      help: "initial weights (safetensors or PyTorch state dict)",
    },
    {
      name: "resume",
      type: "string",
      arg: "RUN_DIR",
      help: "continue a run exactly where it stopped",
    },
    {
      name: "out",
      type: "string",
      arg: "RUN_DIR",
      help: "run folder (default runs/<data>-<time>)",
    },
    {
      name: "max-steps",
      type: "number",
      arg: "N",
      help: "stop after N optimizer steps and checkpoint",
    },
    {
      name: "log-every",
      type: "number",
      arg: "N",
      default: 10,
      help: "steps between metric readbacks",
    },
    { name: "eval-limit", type: "number", arg: "N", help: "evaluate on at most N test examples" },
  ],
  async run(ctx): Promise<void> {
    const f = ctx.flags;
    const resume = f.resume as string | undefined;
    const file = (f.config as string | undefined) ??
      (resume ? join(resume, "all_config.yaml") : undefined);
    const overrides = [...ctx.overrides];
    if (f.data) overrides.unshift(`data_path=${f.data}`);
    const config = await loadConfig({ file, preset: f.preset as string | undefined, overrides });
    if (!config.data_path) {
      throw new HrmError(undefined, "no dataset: pass --data DIR (or data_path=DIR)");
    }
    const out = resume ?? (f.out as string | undefined) ??
      join("runs", `${config.data_path.replace(/\/+$/, "").split("/").pop()}-${Date.now()}`);
    const gpu = await requestGpu();
    let bar: ProgressBar | undefined;
    let last: Record<string, number> = {};
    const result = await trainRun(gpu, {
      config,
      out,
      init: f.init as string | undefined,
      resume: resume !== undefined,
      maxSteps: f["max-steps"] as number | undefined,
      logEvery: f["log-every"] as number,
      evalLimit: f["eval-limit"] as number | undefined,
      onLog: (row) => {
        if ("train/lm_loss" in row) last = row;
        if ("eval/exact_accuracy" in row) {
          console.error(
            `\neval @ step ${row.step}: exact_accuracy ${fmt(row["eval/exact_accuracy"])}, ` +
              `accuracy ${fmt(row["eval/accuracy"])}`,
          );
        }
      },
      onStep: (step, total) => {
        bar ??= new ProgressBar({
          max: total,
          fmt: (p) =>
            `train ${p.progressBar} ${p.value}/${p.max} [${p.styledTime}, eta ${
              eta(p.time, p.value, p.max, step)
            }] ` +
            `loss ${fmt(last["train/lm_loss"])} acc ${fmt(last["train/accuracy"])} exact ${
              fmt(last["train/exact_accuracy"])
            }`,
        });
        bar.max = total;
        bar.value = step;
      },
    });
    await bar?.stop();
    console.log(`trained ${result.step} steps; checkpoint ${result.checkpoint}`);
    if (result.eval) {
      console.log(
        `eval exact_accuracy ${fmt(result.eval.exact_accuracy)} accuracy ${
          fmt(result.eval.accuracy)
        }`,
      );
    }
  },
};

let firstStep: number | undefined;
function eta(ms: number, value: number, max: number, step: number): string {
  firstStep ??= step - 1;
  const done = value - firstStep;
  if (done <= 0) return "?";
  const s = Math.round(ms / 1000 / done * (max - value));
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

function fmt(x: number | undefined): string {
  return x === undefined ? "-" : x.toFixed(4);
}
