/**
 * The data model of reasoning pictures: cells, panels, per-segment numbers and the whole view of
 * one example. Task modules fill it; the terminal, PNG and HTML renderers draw it.
 *
 * @module
 */
import type { TraceTask } from "../eval/trace.ts";
import type { Rgb } from "./palette.ts";

/** One grid cell as every renderer draws it. */
export interface Cell {
  /** A character drawn in the cell (`" "` for a plain colour block). */
  glyph: string;
  /** Glyph colour. */
  fg: Rgb;
  /** Fill colour. */
  bg: Rgb;
  /** One character standing for the cell when colours are off (NO_COLOR). */
  plain: string;
  /** A Sudoku given (drawn distinctly everywhere). */
  given?: boolean;
  /** The prediction here differs from the label. */
  wrong?: boolean;
  /** The prediction here differs from the previous segment's. */
  changed?: boolean;
}

/** A grid of cells with a title. */
export interface Panel {
  /** Short title, ASCII (drawn with the bitmap font too). */
  title: string;
  /** Rows. */
  rows: number;
  /** Columns. */
  cols: number;
  /** `rows × cols` cells, row-major. */
  cells: Cell[];
  /** Draw glyphs (Sudoku digits) rather than colour blocks. */
  glyphs: boolean;
  /** Thick separators every `box` cells (Sudoku's 3×3 boxes). */
  box?: number;
  /** Grid lines between cells (ARC and Sudoku; not mazes). */
  gridLines: boolean;
}

/** The numbers of one segment. */
export interface SegmentStats {
  /** 1-based segment number. */
  segment: number;
  /** Halting Q logit. */
  q_halt: number;
  /** Continue Q logit. */
  q_continue: number;
  /** sigmoid(q_halt): the model's confidence that the answer is right. */
  haltProb: number;
  /** The model's halting rule (q_halt > q_continue; TRM: q_halt > 0): ACT would stop here. */
  halts: boolean;
  /** Fraction of labelled positions predicted right; null when nothing is labelled. */
  accuracy: number | null;
  /** Every labelled position right. */
  exact: boolean;
  /**
   * Positions whose prediction differs from the previous segment (0 for the first); for mazes,
   * the cells that joined or left the predicted path (what the picture marks).
   */
  changed: number;
}

/** One segment: its numbers and the panels drawn for it. */
export interface SegmentView {
  /** The numbers. */
  stats: SegmentStats;
  /** Usually one panel: the prediction. */
  panels: Panel[];
}

/** A legend entry. */
export interface LegendItem {
  /** What the colour means. */
  label: string;
  /** Swatch fill. */
  bg: Rgb;
  /** Swatch glyph colour, when the meaning is in the glyph. */
  fg?: Rgb;
  /** Swatch glyph. */
  glyph?: string;
  /** How the meaning shows without colours (NO_COLOR), e.g. `#` for a wall. */
  plain?: string;
}

/** Everything a renderer needs for one example. */
export interface ExampleView {
  /** The task the panels were built for. */
  task: TraceTask;
  /** 0-based example index in the trace. */
  example: number;
  /** Examples in the trace. */
  examples: number;
  /** Header line. */
  title: string;
  /** Notes under the header (e.g. the checkpoint, a size mismatch). */
  notes: string[];
  /** Panels drawn once, before the segments (puzzle, target, ARC input). */
  fixed: Panel[];
  /** Segments in order. */
  segments: SegmentView[];
  /** Colour key. */
  legend: LegendItem[];
}

/** What a task module returns; {@linkcode exampleView} adds the stats. */
export interface TaskPanels {
  /** Panels drawn once. */
  fixed: Panel[];
  /** One panel list per segment. */
  segments: Panel[][];
  /** Colour key. */
  legend: LegendItem[];
  /** Task-specific notes. */
  notes: string[];
}

/** The arrays of one example, sliced out of a trace. */
export interface ExampleData {
  /** `[S]` input tokens. */
  inputs: Int32Array;
  /** `[S]` labels (−100 = ignored). */
  labels: Int32Array;
  /** `[G][S]` argmax per segment. */
  preds: Int32Array[];
  /** Sequence length. */
  seqLen: number;
}

/** Label value of positions that are not scored. */
export const IGNORE = -100;
