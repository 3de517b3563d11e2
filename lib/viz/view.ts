/**
 * What a reasoning picture shows, independent of how it is drawn: for one traced example, the
 * fixed panels (puzzle, target) and, per ACT segment, the prediction as a grid of coloured cells
 * plus the segment's numbers (accuracy, halting Q values, cells changed). The terminal, PNG and
 * HTML renderers draw this same view, so they always agree.
 *
 * @module
 */
import { HrmError } from "../errors.ts";
import { inferTask, type Trace, type TraceTask } from "../eval/trace.ts";
import { haltDecision } from "../model/dims.ts";
import {
  type ExampleData,
  type ExampleView,
  IGNORE,
  type SegmentStats,
  type SegmentView,
} from "./types.ts";
import { sudokuPanels } from "./sudoku_view.ts";
import { mazePanels } from "./maze_view.ts";
import { arcPanels } from "./arc_view.ts";
import { tokenPanels } from "./tokens_view.ts";

/**
 * Builds the view of one traced example.
 *
 * @param trace A trace from `readTrace`.
 * @param example 0-based example index.
 * @param file The trace's file name, for error messages.
 * @returns The view.
 * @throws {HrmError} when the example is out of range or the trace's sizes do not fit its task.
 *
 * @example
 * ```ts
 * import { exampleView } from "./view.ts";
 * const S = 4;
 * const trace = {
 *   n: 1, segments: 2,
 *   inputs: new Int32Array([1, 2, 3, 4]), labels: new Int32Array([1, 2, 3, 4]),
 *   puzzle_identifiers: new Int32Array(1),
 *   preds: new Int32Array([1, 2, 2, 2, 1, 2, 3, 4]),
 *   q_halt_logits: new Float32Array([-2, 3]), q_continue_logits: new Float32Array([0, 0]),
 *   meta: { task: "unknown" as const, vocab_size: 5, seq_len: S, puzzle_emb_len: 0,
 *     hidden_size: 8, dataset: "", checkpoint: "" },
 * };
 * const v = exampleView(trace, 0, "t.safetensors");
 * if (v.segments[1].stats.changed !== 2 || !v.segments[1].stats.exact) throw new Error();
 * ```
 */
export function exampleView(trace: Trace, example: number, file: string): ExampleView {
  if (!Number.isInteger(example) || example < 0 || example >= trace.n) {
    throw new HrmError(
      file,
      `example ${example} is out of range: the trace holds ${trace.n} example${
        trace.n === 1 ? "" : "s"
      } (0..${trace.n - 1})`,
    );
  }
  const S = trace.meta.seq_len, G = trace.segments;
  const data: ExampleData = {
    inputs: trace.inputs.subarray(example * S, (example + 1) * S),
    labels: trace.labels.subarray(example * S, (example + 1) * S),
    preds: Array.from(
      { length: G },
      (_, s) => trace.preds.subarray((example * G + s) * S, (example * G + s + 1) * S),
    ),
    seqLen: S,
  };
  const task = traceTask(trace, file);
  const built = task === "sudoku"
    ? sudokuPanels(data)
    : task === "maze"
    ? mazePanels(data)
    : task === "arc"
    ? arcPanels(data)
    : tokenPanels(data, trace.meta.vocab_size);
  const segments = built.segments.map((panels, s): SegmentView => {
    const stats = segmentStats(
      data,
      s,
      trace.q_halt_logits[example * G + s],
      trace.q_continue_logits[example * G + s],
      trace.meta.no_ACT_continue,
    );
    // A maze picture marks only cells joining or leaving the path; count what it marks, so
    // "chg N" never promises marks the picture cannot show.
    if (task === "maze") stats.changed = panels[0].cells.filter((c) => c.changed).length;
    return { panels, stats };
  });
  const notes = [...built.notes];
  if (trace.meta.checkpoint) notes.unshift(`checkpoint ${trace.meta.checkpoint}`);
  return {
    task,
    example,
    examples: trace.n,
    title: `${
      trace.meta.model === "trm" ? "TRM: " : ""
    }${task} example ${example} of ${trace.n}, ${G} segment${G === 1 ? "" : "s"}`,
    notes,
    fixed: built.fixed,
    segments,
    legend: built.legend,
  };
}

/**
 * The task to draw a trace as: its metadata's task, or one inferred from its sizes.
 *
 * @param trace The trace.
 * @param file Its file name, for errors.
 * @returns The task.
 * @throws {HrmError} when the metadata names a task whose sizes the trace does not have.
 */
export function traceTask(trace: Trace, file: string): TraceTask {
  const m = trace.meta;
  const inferred = inferTask(m.vocab_size, m.seq_len, trace.labels.map((l) => (l < 0 ? 0 : l)));
  if (m.task === "unknown") return inferred;
  if (inferred !== m.task) {
    throw new HrmError(
      file,
      `metadata says task ${m.task}, but vocab_size ${m.vocab_size} and seq_len ${m.seq_len} ` +
        `do not fit it (sudoku 11/81 or 6/16, maze 6/N², arc 12/900)`,
    );
  }
  return m.task;
}

/**
 * Accuracy, exactness, halting and changes of one segment.
 *
 * @param d The example's arrays.
 * @param s 0-based segment.
 * @param qHalt Its halting Q logit.
 * @param qContinue Its continue Q logit.
 * @param noActContinue The model halts on q_halt > 0 (TRM), not q_halt > q_continue.
 * @returns The segment's numbers.
 */
export function segmentStats(
  d: ExampleData,
  s: number,
  qHalt: number,
  qContinue: number,
  noActContinue = false,
): SegmentStats {
  const pred = d.preds[s], prev = s > 0 ? d.preds[s - 1] : undefined;
  let valid = 0, correct = 0, changed = 0;
  for (let i = 0; i < d.seqLen; i++) {
    if (d.labels[i] !== IGNORE) {
      valid++;
      if (pred[i] === d.labels[i]) correct++;
    }
    if (prev && prev[i] !== pred[i]) changed++;
  }
  return {
    segment: s + 1,
    q_halt: qHalt,
    q_continue: qContinue,
    haltProb: 1 / (1 + Math.exp(-qHalt)),
    halts: haltDecision(noActContinue, qHalt, qContinue),
    accuracy: valid ? correct / valid : null,
    exact: valid > 0 && correct === valid,
    changed,
  };
}

/**
 * The two title lines of a segment tile, ASCII, e.g. `seg 3/16 chg 4` and `acc 97.5% p_halt 0.91`.
 *
 * @param st The segment's numbers.
 * @param total Segments in the trace.
 * @returns Two lines.
 */
export function segmentTitle(st: SegmentStats, total: number): [string, string] {
  const acc = st.accuracy === null ? "acc -" : `acc ${(100 * st.accuracy).toFixed(1)}%`;
  const first = `seg ${st.segment}/${total}` + (st.segment > 1 ? ` chg ${st.changed}` : "") +
    (st.exact ? " solved" : "");
  return [first, `${acc} p_halt ${st.haltProb.toFixed(2)}${st.halts ? " HALT" : ""}`];
}

/**
 * The segment tiles every renderer draws: the segments in `only` (all when absent), each with its
 * two title lines ({@linkcode segmentTitle}), the first followed by the names of the panels beside
 * the prediction (e.g. `seg 2/4 chg 3 z`).
 *
 * @param view The example's view.
 * @param only 1-based segments to keep (e.g. from `--segments`).
 * @returns The kept segments with their titles, in order.
 *
 * @example
 * ```ts ignore
 * for (const { seg, title } of segmentTiles(view, [1, 4])) draw(title, seg.panels);
 * ```
 */
export function segmentTiles(
  view: ExampleView,
  only?: readonly number[],
): { seg: SegmentView; title: [string, string] }[] {
  const total = view.segments.length;
  return view.segments.filter((seg) => !only || only.includes(seg.stats.segment)).map((seg) => {
    const [a, b] = segmentTitle(seg.stats, total);
    const extra = seg.panels.map((p) => p.title).filter((t) => t !== "prediction").map((t) =>
      t.replace(/^prediction /, "")
    );
    return { seg, title: [[a, ...extra].join(" "), b] };
  });
}
