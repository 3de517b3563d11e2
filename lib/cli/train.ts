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
import { exists } from "../io/folders.ts";
import { usageError } from "./parse.ts";
import { plural } from "./help.ts";
import { loadConfig } from "../config/load.ts";
import { presetNames, PRESETS } from "../config/presets.ts";
import { requestGpu } from "../gpu/device.ts";
import { type TrainResult, trainRun } from "../train/loop.ts";
import { openWorld, rankName } from "../dist/world.ts";
import { selectGpu } from "../dist/gpu_select.ts";

/** `hrm train`. */
export const train: Command = {
  name: "train",
  summary: "train an HRM or TRM on a dataset (deep supervision, ACT; arch.name picks the model)",
  usage: "train --data DIR [--config FILE | --preset NAME] [options] [key=value ...]",
  description: "Trains with the reference's semantics and writes RUN_DIR/{all_config.yaml,\n" +
    "step_N.safetensors,state_N.safetensors,latest.json,metrics.jsonl}. Config keys can be\n" +
    "overridden after the options, e.g. `lr=7e-5 arch.L_cycles=4 global_batch_size=384`.\n" +
    "A run is epochs/eval_interval iterations of eval_interval epochs, each followed by an\n" +
    "evaluation (the last included); steps stop at total_steps = floor(epochs · examples /\n" +
    "global_batch_size). --max-steps and Ctrl-C stop early (with a checkpoint).\n" +
    "Each metrics.jsonl train row sums the --log-every steps since the previous one (losses\n" +
    "per example, accuracies weighted by the examples counted); --log-every 1 logs every step.\n" +
    "eval_save_outputs=[preds,q_halt_logits] saves those outputs at every evaluation as\n" +
    "RUN_DIR/step_N_all_preds.safetensors.\n" +
    "TRM (arch.name recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1, the trm-*\n" +
    "presets): with ema=true, evaluation and step_N.safetensors use the EMA weights and\n" +
    "state_N.safetensors keeps the raw ones (so --resume is exact); freeze_weights=true trains\n" +
    "only the puzzle embeddings.\n" +
    "Started by Open MPI's mpirun (e.g. `mpirun -np 8 hrm train ...`), trains data-parallel:\n" +
    "global_batch_size split across ranks, one GPU per rank (README: Multi-GPU training).\n\n" +
    "Presets (--preset NAME):\n" +
    presetNames().map((n) => `  ${n.padEnd(22)} ${PRESETS[n].summary}`).join("\n"),
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
    { name: "preset", type: "string", arg: "NAME", help: "start from a preset (listed above)" },
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
      help: "run folder (default: checkpoint_path if set, else runs/<data>-YYYYMMDD-HHMMSS)",
    },
    {
      name: "overwrite",
      type: "boolean",
      help: "replace a run already in --out (otherwise refused: use --resume to continue it)",
    },
    {
      name: "max-steps",
      type: "number",
      arg: "N",
      help: "stop after N optimizer steps (N more with --resume) and checkpoint",
    },
    {
      name: "log-every",
      type: "number",
      arg: "N",
      default: 10,
      help: "steps per metrics.jsonl train row (sums over them; 1 logs every step, as the " +
        "reference)",
    },
    { name: "eval-limit", type: "number", arg: "N", help: "evaluate on at most N test examples" },
    {
      name: "checkpoint-every-minutes",
      type: "number",
      arg: "M",
      default: 30,
      help: "also checkpoint every M minutes, keeping the last two such (0: only at evaluations)",
    },
  ],
  async run(ctx): Promise<void> {
    const f = ctx.flags;
    const resume = f.resume as string | undefined;
    const file = (f.config as string | undefined) ??
      (resume ? join(resume, "all_config.yaml") : undefined);
    if (resume && !f.config && !(await exists(join(resume, "all_config.yaml")))) {
      throw new HrmError(resume, "no run to resume here (no all_config.yaml)");
    }
    const overrides = [...ctx.overrides];
    if (f.data) overrides.unshift(`data_path=${f.data}`);
    const config = await loadConfig({ file, preset: f.preset as string | undefined, overrides });
    if (!config.data_path) {
      throw new HrmError(undefined, "no dataset: pass --data DIR (or data_path=DIR)");
    }
    const out = resume ?? (f.out as string | undefined) ?? config.checkpoint_path ??
      defaultRunDir(config.data_path);
    // Under mpirun: one rank per GPU (chosen before the adapter is opened), rank 0 reports.
    const world = openWorld();
    const choice = world.distributed ? selectGpu(world) : undefined;
    const gpu = await requestGpu();
    if (choice) {
      console.error(
        `hrm: ${rankName(world)}: ${gpu.adapter.info.description || "adapter"}; ${choice.note}`,
      );
    }
    const every = f["checkpoint-every-minutes"] as number;
    if (!(every >= 0)) throw usageError(`--checkpoint-every-minutes must be >= 0, got ${every}`);
    let bar: ProgressBar | undefined;
    let last: Record<string, number> = {};
    // Ctrl-C or SIGTERM: finish the step in flight and checkpoint; a second one quits at once.
    const abort = new AbortController();
    const onSignal = () => {
      if (abort.signal.aborted) Deno.exit(130);
      console.error("\nhrm: stopping after the step in flight (press Ctrl-C again to quit now)");
      abort.abort();
    };
    // Under mpirun, Ctrl-C and a failing rank end every rank at once (lib/dist/world.ts); mpirun
    // forwards SIGUSR2 to every rank, so `kill -USR2 <mpirun pid>` is the graceful stop there.
    const signals = listen(["SIGINT", "SIGTERM", "SIGUSR2"], onSignal);
    const result = await trainRun(gpu, {
      config,
      out,
      init: f.init as string | undefined,
      resume: resume !== undefined,
      overwrite: f.overwrite === true,
      maxSteps: f["max-steps"] as number | undefined,
      logEvery: f["log-every"] as number,
      evalLimit: f["eval-limit"] as number | undefined,
      signal: abort.signal,
      checkpointEveryMinutes: every,
      world,
      onNote: (line) => console.error(`hrm: ${line}`),
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
    }).finally(signals);
    await bar?.stop();
    if (world.rank === 0) console.log(trainSummary(result));
    if (abort.signal.aborted) {
      throw new HrmError(
        undefined,
        `stopped at step ${result.step}; continue with: hrm train --resume ${out}`,
        { exitCode: 130 },
      );
    }
  },
};

/** Adds a listener for each signal the platform has; returns a function removing them. */
function listen(signals: Deno.Signal[], fn: () => void): () => void {
  const added = signals.filter((s) => {
    try {
      Deno.addSignalListener(s, fn);
      return true;
    } catch {
      return false; // e.g. SIGTERM on Windows
    }
  });
  return () => added.forEach((s) => Deno.removeSignalListener(s, fn));
}

/**
 * The closing lines of `hrm train`: steps trained by this invocation (of the run's total),
 * the checkpoint, and the last evaluation with the step it describes.
 */
export function trainSummary(r: TrainResult): string {
  const done = r.step - r.startStep;
  const lines = [
    done === 0
      ? `nothing to train: the run is ${r.complete ? "complete" : "stopped"} at step ${r.step}`
      : `trained ${plural(done, "step")}${
        r.startStep ? ` (steps ${r.startStep + 1}–${r.step} of the run)` : ""
      }${r.complete ? "; the run is complete" : ""}; checkpoint ${r.checkpoint}`,
  ];
  if (r.eval) {
    lines.push(
      `eval @ step ${r.evalStep}: exact_accuracy ${fmt(r.eval.exact_accuracy)} accuracy ${
        fmt(r.eval.accuracy)
      }${r.evalStep !== r.step ? ` (the model at step ${r.step} is not evaluated)` : ""}`,
    );
  }
  return lines.join("\n");
}

/**
 * The default run folder: `runs/<dataset folder name>-<local time YYYYMMDD-HHMMSS>`.
 *
 * @example
 * ```ts
 * import { defaultRunDir } from "./train.ts";
 * const d = defaultRunDir("data/sudoku-mini/", new Date(2026, 0, 2, 3, 4, 5));
 * if (d !== "runs/sudoku-mini-20260102-030405") throw new Error(d);
 * ```
 */
export function defaultRunDir(dataPath: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-` +
    `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return join("runs", `${dataPath.replace(/\/+$/, "").split("/").pop()}-${stamp}`);
}

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
