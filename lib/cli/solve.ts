/**
 * `hrm solve`: hands a trained model puzzles of one's own (Sudoku or maze text) and prints each
 * answer, whether it is valid, the segments used and the final Q-halt probability; `--json`
 * gives one object per line. Bad puzzles are refused one by one (exit status 1 if any was).
 *
 * @module
 */
import { dirname, join } from "@std/path";
import type { Command } from "./command.ts";
import { usageError } from "./parse.ts";
import { plural } from "./help.ts";
import { HrmError } from "../errors.ts";
import { loadConfig } from "../config/load.ts";
import { requestGpu } from "../gpu/device.ts";
import { readWeights } from "../io/weights.ts";
import { atomicWrite } from "../io/atomic_write.ts";
import { exists } from "../io/folders.ts";
import { type Trace, writeTrace } from "../eval/trace.ts";
import { loadSolveModel, type Solution, solve } from "../eval/solve.ts";
import {
  parsePuzzle,
  type Puzzle,
  solutionTokens,
  splitPuzzles,
  sudokuLines,
} from "../eval/puzzles.ts";
import type { ReasoningModel } from "../model/model.ts";
import { exampleView } from "../viz/view.ts";
import { renderTerm, terminalWidth, useColor } from "../viz/term.ts";
import { renderPng } from "../viz/png_render.ts";

/** `hrm solve`. */
export const solveCommand: Command = {
  name: "solve",
  summary: "solve your own Sudoku or maze puzzles with a trained checkpoint",
  usage: "solve --checkpoint FILE [--config FILE] [PUZZLE ...] [--file FILE|-] [options]",
  description: "Sudoku: 81 characters (16 for the demo's 4×4), digits with . or 0 for blanks;\n" +
    "spaces, |, - and line breaks are ignored. Maze: the grid of # (wall), space, S and G, as\n" +
    "lines or one line. --file reads one puzzle per line, grids separated by blank lines, or a\n" +
    "published CSV (source,question,answer,rating). The model's kind and sizes come from the\n" +
    "checkpoint (safetensors or the reference's PyTorch file) and its config. With --act each\n" +
    "puzzle stops at the first segment whose halting rule fires (HRM: q_halt > q_continue,\n" +
    "TRM: q_halt > 0) instead of always running halt_max_steps. Examples:\n" +
    "  hrm solve --checkpoint runs/demo/run/step_1012.safetensors '412. 231. .4.2 .2.1'\n" +
    "  hrm solve --checkpoint ckpt/checkpoint --file puzzles.txt --act --json",
  overrides: true,
  positionals: "PUZZLE ...",
  flags: [
    { name: "checkpoint", type: "string", arg: "FILE", help: "trained weights" },
    {
      name: "config",
      type: "string",
      arg: "FILE",
      help: "config (default: all_config.yaml beside the checkpoint)",
    },
    { name: "file", type: "string", arg: "FILE", help: "puzzles to read (- for standard input)" },
    { name: "json", type: "boolean", help: "print one JSON object per puzzle per line" },
    {
      name: "halt-max-steps",
      type: "number",
      arg: "N",
      help: "most segments per puzzle (default: the config's halt_max_steps)",
    },
    { name: "act", type: "boolean", help: "stop each puzzle when its halting rule fires" },
    { name: "batch-size", type: "number", arg: "N", default: 64, help: "puzzles per GPU batch" },
    {
      name: "trace",
      type: "string",
      arg: "FILE",
      help: "write every segment's prediction (for hrm show)",
    },
    { name: "show", type: "string", arg: "KIND", help: "draw the reasoning: term or png" },
    {
      name: "out",
      type: "string",
      arg: "PATH",
      help: "PNG file for --show png (N appended per puzzle)",
    },
  ],
  async run(ctx): Promise<void> {
    const f = ctx.flags;
    const checkpoint = f.checkpoint as string | undefined;
    if (!checkpoint) throw usageError("missing --checkpoint FILE");
    const show = f.show as string | undefined;
    if (show !== undefined && show !== "term" && show !== "png") {
      throw usageError(`--show must be term or png, got ${show}`);
    }
    if (show === "png" && !f.out) throw usageError("--show png needs --out PATH");
    if (f.out && show !== "png") throw usageError("--out is for --show png");
    const steps = f["halt-max-steps"] as number | undefined;
    if (steps !== undefined && !(Number.isInteger(steps) && steps >= 1)) {
      throw usageError(`--halt-max-steps must be a positive integer, got ${steps}`);
    }
    const batchSize = f["batch-size"] as number;
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
      throw usageError(`--batch-size must be a positive integer, got ${batchSize}`);
    }
    const texts = [...ctx.positionals];
    if (f.file) texts.push(...splitPuzzles(await readInput(f.file as string)));
    if (!texts.length) {
      throw usageError("no puzzles: give PUZZLE arguments or --file FILE (- for standard input)");
    }
    const file = (f.config as string | undefined) ?? join(dirname(checkpoint), "all_config.yaml");
    if (!(await exists(file))) {
      throw new HrmError(file, "no config found: pass --config FILE (all_config.yaml of the run)");
    }
    const config = await loadConfig({ file, overrides: ctx.overrides });
    const weights = await readWeights(checkpoint);
    const parsed = texts.map(parsePuzzle);
    const first = parsed.find((p) => typeof p !== "string");
    if (!first) {
      // Nothing to solve: report each refusal without loading the model.
      parsed.forEach((error, index) => {
        const s = { index, puzzle: texts[index].trim(), error: error as string };
        console.log(f.json ? jsonLine(s) : describe(s, false));
      });
      throw new HrmError(undefined, `${texts.length} of ${texts.length} puzzles refused`);
    }
    const model = await loadSolveModel(await requestGpu(), {
      config,
      weights,
      file: checkpoint,
      seqLen: typeof first === "object" ? first.tokens.length : undefined,
    });
    try {
      const solutions = await solve(model, texts, {
        haltMaxSteps: steps,
        act: Boolean(f.act),
        batchSize,
        record: Boolean(f.trace || show),
      });
      const color = !f.json && useColor();
      for (const s of solutions) console.log(f.json ? jsonLine(s) : describe(s, color));
      const solved = solutions.filter((s) => !s.error);
      if (solved.length && (f.trace || show)) {
        const trace = solveTrace(model, solved, checkpoint);
        if (f.trace) await writeTrace(f.trace as string, trace);
        if (show) await draw(trace, solved, show, f.out as string | undefined, color);
      }
      const refused = solutions.length - solved.length;
      if (refused) {
        throw new HrmError(undefined, `${refused} of ${solutions.length} puzzles refused`);
      }
    } finally {
      model.release();
    }
  },
};

async function readInput(path: string): Promise<string> {
  try {
    if (path === "-") return await new Response(Deno.stdin.readable).text();
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new HrmError(path, `cannot read puzzles: ${(e as Error).message}`, { cause: e });
  }
}

function jsonLine(s: Solution): string {
  if (s.error) return JSON.stringify({ index: s.index, puzzle: s.puzzle, error: s.error });
  return JSON.stringify({
    index: s.index,
    puzzle: s.puzzle,
    kind: s.kind,
    answer: s.answer,
    valid: s.valid,
    ...(s.reason ? { reason: s.reason } : {}),
    segments: s.segments,
    q_halt: Number(s.q_halt!.toFixed(6)),
  });
}

/** A puzzle's report: a header line, then the answer grid (givens dimmed) or maze with its path. */
function describe(s: Solution, color: boolean): string {
  const head = `puzzle ${s.index + 1}`;
  if (s.error) return `${head}: refused: ${s.error}`;
  const verdict = s.valid
    ? "valid"
    : `NOT valid (${s.reason}${unsolvable(s) ? "; the puzzle has no solution" : ""})`;
  const lines = [
    `${head}: ${verdict}, ${plural(s.segments!, "segment")}, ` +
    `q_halt ${s.q_halt!.toFixed(3)}`,
  ];
  if (s.kind === "sudoku") {
    const digits = Array.from(s.answer!, (c) => (c === "." ? 0 : Number(c)));
    const givens = Array.from(s.tokens!, (t) => (t >= 2 ? 1 : 0));
    lines.push(...sudokuLines(digits, givens, color).map((l) => `  ${l}`));
  } else {
    const path = (l: string) => color ? l.replaceAll("o", "\x1b[1;34mo\x1b[0m") : l;
    lines.push(...s.answer!.split("\n").map((l) => `  ${path(l)}`));
  }
  return lines.join("\n") + "\n";
}

/** True when the exact solvers find no solution of `s`'s puzzle (so no answer can be valid). */
function unsolvable(s: Solution): boolean {
  const p = parsePuzzle(s.puzzle);
  return typeof p !== "string" && solutionTokens(p, p.tokens) === undefined;
}

/**
 * The solved puzzles as a trace, as `hrm eval --trace` writes one, up to the last segment any of
 * them ran (with --act, a puzzle that stopped earlier keeps its answer). The labels are a
 * solution ({@linkcode solutionTokens}: the model's own when valid), so pictures mark right and
 * wrong cells; −100 where a puzzle has none.
 */
function solveTrace(model: ReasoningModel, solved: Solution[], checkpoint: string): Trace {
  const { S, P, D, V } = model.dims;
  const n = solved.length, G = Math.max(...solved.map((s) => s.segments!));
  const cat = <T extends Int32Array | Float32Array>(make: new (n: number) => T, parts: T[]) => {
    const out = new make(parts.reduce((k, p) => k + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  return {
    n,
    segments: G,
    inputs: cat(Int32Array, solved.map((s) => s.tokens!)),
    labels: cat(Int32Array, solved.map((s) => solutionLabels(s, S))),
    puzzle_identifiers: new Int32Array(n),
    preds: cat(Int32Array, solved.map((s) => s.record!.preds.subarray(0, G * S))),
    q_halt_logits: cat(Float32Array, solved.map((s) => s.record!.q_halt_logits.subarray(0, G))),
    q_continue_logits: cat(
      Float32Array,
      solved.map((s) => s.record!.q_continue_logits.subarray(0, G)),
    ),
    meta: {
      // the model, its state names and halting rule, for TRM's labels and halting marks
      model: model.spec.kind,
      states: model.spec.stateNames,
      no_ACT_continue: model.spec.noActContinue,
      task: solved[0].kind!,
      vocab_size: V,
      seq_len: S,
      puzzle_emb_len: P,
      hidden_size: D,
      dataset: "",
      checkpoint,
    },
  };
}

function solutionLabels(s: Solution, S: number): Int32Array {
  const p = parsePuzzle(s.puzzle) as Puzzle;
  const last = s.record!.preds.subarray((s.segments! - 1) * S, s.segments! * S);
  return solutionTokens(p, last) ?? new Int32Array(S).fill(-100);
}

async function draw(
  trace: Trace,
  solved: Solution[],
  show: string,
  out: string | undefined,
  color: boolean,
): Promise<void> {
  for (let i = 0; i < trace.n; i++) {
    const view = exampleView(trace, i, "solve");
    view.title = `puzzle ${solved[i].index + 1}, ${trace.segments} segments`;
    if (show === "term") {
      const text = renderTerm(view, { color, width: terminalWidth() });
      await Deno.stdout.write(new TextEncoder().encode(text));
      continue;
    }
    const path = trace.n === 1 ? out! : out!.replace(/(\.png)?$/, `.${solved[i].index + 1}$1`);
    try {
      await atomicWrite(path, renderPng(view));
    } catch (e) {
      throw new HrmError(path, `cannot write: ${(e as Error).message}`, { cause: e });
    }
    console.error(`wrote ${path}`);
  }
}
