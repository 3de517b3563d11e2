/**
 * `hrm demo`, the main job on any machine: generate a small held-out puzzle task (4×4 Sudoku,
 * test puzzles not equivalent to any training puzzle under Sudoku symmetries), train a small HRM
 * (or, with `--model trm`, a small TRM) within a time budget, evaluate it on the held-out puzzles
 * and print one it solved.
 *
 * @module
 */
import { join } from "@std/path";
import { ProgressBar } from "@std/cli/unstable-progress-bar";
import type { Command } from "./command.ts";
import { plural } from "./help.ts";
import { loadConfig } from "../config/load.ts";
import { requestGpu } from "../gpu/device.ts";
import { readSplit } from "../io/dataset.ts";
import { evaluate } from "../eval/evaluate.ts";
import { buildModel, samplerSource, trainRun } from "../train/loop.ts";
import { generateMiniSudokuDataset } from "../../datasets/sudoku/mini.ts";
import { usageError } from "./parse.ts";

/** The demo's preset per model. */
const PRESETS: Record<string, string> = { hrm: "sudoku-mini", trm: "trm-sudoku-mini" };

/** `hrm demo`. */
export const demo: Command = {
  name: "demo",
  summary: "generate a small dataset, train a small HRM (or TRM) and evaluate it",
  usage: "demo [options] [key=value ...]",
  description:
    "4×4 Sudoku: trains the `sudoku-mini` preset (`trm-sudoku-mini` with --model trm)\n" +
    "for --minutes, then reports exact accuracy on held-out puzzles (none equivalent to a\n" +
    "training puzzle under symmetry).",
  overrides: true,
  flags: [
    {
      name: "out",
      type: "string",
      arg: "DIR",
      default: "runs/demo",
      help: "where data and the run go",
    },
    { name: "minutes", type: "number", arg: "M", default: 7, help: "training time budget" },
    { name: "train", type: "number", arg: "N", default: 1000, help: "training puzzles" },
    { name: "test", type: "number", arg: "N", default: 200, help: "held-out test puzzles" },
    { name: "seed", type: "number", arg: "S", default: 0, help: "seed for data and training" },
    {
      name: "model",
      type: "string",
      arg: "NAME",
      default: "hrm",
      help: "which model to train: hrm or trm",
    },
  ],
  async run(ctx): Promise<void> {
    const f = ctx.flags;
    const kind = f.model as string;
    const preset = PRESETS[kind];
    if (!preset) throw usageError(`--model must be hrm or trm, got ${kind}`);
    const NAME = kind.toUpperCase();
    const out = f.out as string, seed = f.seed as number;
    const t0 = performance.now();
    const data = join(out, "data");
    const gen = await generateMiniSudokuDataset({
      out: data,
      train: f.train as number,
      test: f.test as number,
      extraClues: 6,
      aug: 8,
      seed,
    });
    console.log(
      `data: ${gen.train} training and ${gen.test} held-out 4×4 Sudoku puzzles ` +
        `(${gen.meanBlanks.toFixed(1)} blanks on average) in ${data}`,
    );
    const config = await loadConfig({
      preset,
      overrides: [
        `data_path=${data}`,
        `seed=${seed}`,
        "epochs=100000",
        "eval_interval=100000",
        ...ctx.overrides,
      ],
    });
    const gpu = await requestGpu();
    const deadline = Date.now() + (f.minutes as number) * 60_000;
    const bar = new ProgressBar({
      max: Math.round((f.minutes as number) * 60),
      fmt: (p) => `train ${p.progressBar} ${p.styledTime} step ${step} loss ${loss} exact ${exact}`,
    });
    let step = 0, loss = "-", exact = "-";
    const run = join(out, "run");
    const result = await trainRun(gpu, {
      config,
      out: run,
      overwrite: true, // the demo replaces its own folder
      logEvery: 20,
      shouldStop: () => Date.now() >= deadline,
      onStep: (s) => {
        step = s;
        bar.value = Math.round((Date.now() - (deadline - bar.max * 1000)) / 1000);
      },
      onLog: (row) => {
        if ("train/lm_loss" in row) {
          loss = row["train/lm_loss"].toFixed(3);
          exact = row["train/exact_accuracy"].toFixed(3);
        }
      },
    });
    await bar.stop();
    const test = await readSplit(data, "test");
    const model = await buildModel(gpu, config, test.meta, result.checkpoint);
    try {
      const r = await evaluate(model, samplerSource(test), {
        batchSize: config.global_batch_size,
        lossType: config.arch.loss.loss_type,
        keepPredictions: true,
      });
      const m = r.metrics;
      console.log(
        `\nheld-out exact accuracy: ${
          (100 * m.exact_accuracy).toFixed(1)
        }% of ${m.count} puzzles ` +
          `(token accuracy ${(100 * m.accuracy).toFixed(1)}%), after ${
            plural(result.step, "step")
          }, ` +
          `${((performance.now() - t0) / 1000).toFixed(0)} s in all`,
      );
      const p = r.predictions!;
      const S = test.meta.seq_len;
      for (let i = 0; i < p.steps.length; i++) {
        const preds = p.preds.subarray(i * S, (i + 1) * S);
        const labels = p.labels.subarray(i * S, (i + 1) * S);
        if (!preds.every((v, j) => labels[j] < 0 || v === labels[j])) continue;
        console.log(
          `\none held-out puzzle it solved (puzzle → ${NAME}'s answer after ${
            p.steps[i]
          } segments):`,
        );
        console.log(sideBySide(p.inputs.subarray(i * S, (i + 1) * S), preds));
        break;
      }
      console.log(
        `\nrun folder: ${run} (hrm eval --checkpoint ${result.checkpoint} --data ${data} --trace t.safetensors; hrm show t.safetensors)`,
      );
    } finally {
      model.release();
    }
  },
};

/** Two 4×4 grids side by side; tokens: 1 blank, d + 1 digit d. */
function sideBySide(puzzle: ArrayLike<number>, answer: ArrayLike<number>): string {
  const cell = (t: number) => (t >= 2 ? String(t - 1) : ".");
  const row = (g: ArrayLike<number>, r: number) =>
    [0, 1, 2, 3].map((c) => cell(g[r * 4 + c])).join(" ").replace(/^(\S \S) /, "$1 | ");
  const lines: string[] = [];
  for (let r = 0; r < 4; r++) {
    if (r === 2) lines.push("  ----+----      ----+----");
    lines.push(`  ${row(puzzle, r)}  ${r === 1 ? "→" : " "}   ${row(answer, r)}`);
  }
  return lines.join("\n");
}
