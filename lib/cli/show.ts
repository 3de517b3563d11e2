/**
 * `hrm show`: draws one traced example's reasoning, segment by segment, in the terminal, as a
 * PNG or as a self-contained HTML page. Traces come from `hrm eval --trace FILE`.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { usageError } from "./parse.ts";
import { HrmError } from "../errors.ts";
import { loadTrace } from "../viz/load_trace.ts";
import { atomicWrite, atomicWriteText } from "../io/atomic_write.ts";
import { renderHtml } from "../viz/html.ts";
import { renderPng } from "../viz/png_render.ts";
import { renderTerm, terminalWidth, useColor } from "../viz/term.ts";
import { exampleView } from "../viz/view.ts";

/**
 * Parses a segment list such as `1,2,8-16` (1-based, inclusive ranges).
 *
 * @param text The flag's value.
 * @param total Segments in the trace (for range checks; none: no upper bound).
 * @returns Sorted unique segment numbers.
 * @throws {HrmError} (usage) for malformed or out-of-range entries.
 *
 * @example
 * ```ts
 * import { parseSegments } from "./show.ts";
 * if (parseSegments("1,4-6,4", 16).join() !== "1,4,5,6") throw new Error();
 * ```
 */
export function parseSegments(text: string, total = Infinity): number[] {
  const out = new Set<number>();
  for (const part of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw usageError(`--segments: cannot read "${part}" (use e.g. 1,2,8-16)`);
    const a = Number(m[1]), b = Number(m[2] ?? m[1]);
    if (a < 1) throw usageError(`--segments: ${part}: segments count from 1`);
    if (a > b) throw usageError(`--segments: ${part} runs backwards (write ${b}-${a})`);
    if (b > total) {
      throw usageError(
        `--segments: ${part} is outside 1..${total} (the trace has ${total} segments)`,
      );
    }
    for (let s = a; s <= b; s++) out.add(s);
  }
  if (!out.size) throw usageError("--segments is empty");
  return [...out].sort((x, y) => x - y);
}

/** `hrm show`. */
export const show: Command = {
  name: "show",
  summary: "draw a traced example's reasoning, segment by segment (terminal, PNG or HTML)",
  positionals: "TRACE",
  usage: "show TRACE [--example I] [--format term|png|html] [--out PATH] [options]",
  description:
    "TRACE is a file written by `hrm eval --trace TRACE` or `hrm solve --trace TRACE`.\n" +
    "Sudoku: givens on grey, right digits blue, wrong red, changed cells yellow. Maze: walls,\n" +
    "start, goal and the predicted path (blue on the shortest path, orange off it, pale where\n" +
    "missing). ARC: input, target and prediction in the ARC palette. Terminal colours follow\n" +
    "NO_COLOR/FORCE_COLOR.\n" +
    "Examples:\n" +
    "  hrm show trace.safetensors --example 3\n" +
    "  hrm show trace.safetensors --format png --out reasoning.png --segments 1-4,16",
  flags: [
    { name: "example", type: "number", arg: "I", default: 0, help: "0-based example in the trace" },
    {
      name: "format",
      type: "string",
      arg: "KIND",
      help: "term, png or html (default: from --out's extension, else term)",
    },
    {
      name: "out",
      type: "string",
      arg: "PATH",
      help: "file to write (png/html; default beside TRACE)",
    },
    {
      name: "segments",
      type: "string",
      arg: "LIST",
      help: "segments to draw, e.g. 1,2,8-16 (default all)",
    },
    {
      name: "width",
      type: "number",
      arg: "COLS",
      help: "terminal columns (default: the terminal's)",
    },
  ],
  async run(ctx): Promise<void> {
    const f = ctx.flags;
    if (ctx.positionals.length !== 1) {
      throw usageError(
        ctx.positionals.length
          ? `expected one TRACE file, got ${ctx.positionals.length}`
          : "missing TRACE file",
      );
    }
    const file = ctx.positionals[0];
    const out = f.out as string | undefined;
    const format = (f.format as string | undefined) ??
      (out?.endsWith(".png")
        ? "png"
        : out?.endsWith(".html") || out?.endsWith(".htm")
        ? "html"
        : "term");
    if (!["term", "png", "html"].includes(format)) {
      throw usageError(`--format must be term, png or html, got ${format}`);
    }
    if (format === "term" && out) throw usageError("--out needs --format png or html");
    const trace = await loadTrace(file);
    const example = f.example as number;
    const view = exampleView(trace, example, file);
    const segments = f.segments ? parseSegments(f.segments as string, trace.segments) : undefined;
    if (format === "term") {
      const width = (f.width as number | undefined) ?? terminalWidth();
      const text = renderTerm(view, { color: useColor(), width, segments });
      await Deno.stdout.write(new TextEncoder().encode(text));
      return;
    }
    const path = out ?? `${file.replace(/\.safetensors$/, "")}.example${example}.${format}`;
    try {
      if (format === "png") await atomicWrite(path, renderPng(view, { segments }));
      else await atomicWriteText(path, renderHtml(view, { segments }));
    } catch (e) {
      throw new HrmError(path, `cannot write: ${(e as Error).message}`, { cause: e });
    }
    console.log(`wrote ${path}`);
  },
};
