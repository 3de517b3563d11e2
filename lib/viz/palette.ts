/**
 * Colours shared by the terminal, PNG and HTML renderers: the standard ARC palette (as the ARC
 * testing interface draws colours 0-9) and the marks used for Sudoku and Maze reasoning.
 *
 * @module
 */

/** An sRGB colour, each channel 0-255. */
export type Rgb = readonly [number, number, number];

/**
 * The standard ARC palette, indexed by ARC colour 0-9 (the dataset stores colour c as token c + 2):
 * black, blue, red, green, yellow, grey, magenta, orange, azure, maroon.
 */
export const ARC_PALETTE: readonly Rgb[] = [
  [0x00, 0x00, 0x00],
  [0x00, 0x74, 0xd9],
  [0xff, 0x41, 0x36],
  [0x2e, 0xcc, 0x40],
  [0xff, 0xdc, 0x00],
  [0xaa, 0xaa, 0xaa],
  [0xf0, 0x12, 0xbe],
  [0xff, 0x85, 0x1b],
  [0x7f, 0xdb, 0xff],
  [0x87, 0x0c, 0x25],
];

/** The colours every renderer uses, by role. */
export const COLORS = {
  /** Page and panel background. */
  background: [0xff, 0xff, 0xff] as Rgb,
  /** Text. */
  text: [0x20, 0x20, 0x20] as Rgb,
  /** Secondary text (stats lines). */
  muted: [0x70, 0x70, 0x70] as Rgb,
  /** Thin grid lines. */
  gridLine: [0xc8, 0xc8, 0xc8] as Rgb,
  /** Thick lines: Sudoku boxes, panel borders. */
  boxLine: [0x30, 0x30, 0x30] as Rgb,
  /** ARC grid lines (the ARC interface draws grey lines between cells). */
  arcLine: [0x55, 0x55, 0x55] as Rgb,
  /** A Sudoku given: dark digit on grey. */
  givenFg: [0x00, 0x00, 0x00] as Rgb,
  givenBg: [0xe4, 0xe4, 0xe4] as Rgb,
  /** A predicted digit that matches the solution. */
  predicted: [0x1a, 0x56, 0xb8] as Rgb,
  /** A predicted token that does not match the label. */
  wrong: [0xd1, 0x1a, 0x2a] as Rgb,
  /** Background of a cell that changed since the previous segment. */
  changed: [0xff, 0xe0, 0x4d] as Rgb,
  /** Maze cells. */
  wall: [0x2b, 0x2b, 0x2b] as Rgb,
  open: [0xff, 0xff, 0xff] as Rgb,
  start: [0x2c, 0xa0, 0x2c] as Rgb,
  goal: [0xd6, 0x27, 0x28] as Rgb,
  /** A predicted path cell on the shortest path. */
  path: [0x1f, 0x77, 0xb4] as Rgb,
  /** A predicted path cell off the shortest path. */
  pathWrong: [0xff, 0x7f, 0x0e] as Rgb,
  /** A shortest-path cell the prediction misses. */
  pathMissed: [0xc6, 0xdb, 0xef] as Rgb,
  /** Padding / outside the grid. */
  pad: [0xf4, 0xf4, 0xf4] as Rgb,
} as const;

/** Colours for line plots, in series order (colour-blind-safe first four). */
export const SERIES_COLORS: readonly Rgb[] = [
  [0x1f, 0x77, 0xb4],
  [0xff, 0x7f, 0x0e],
  [0x2c, 0xa0, 0x2c],
  [0xd6, 0x27, 0x28],
  [0x94, 0x67, 0xbd],
  [0x8c, 0x56, 0x4b],
  [0xe3, 0x77, 0xc2],
  [0x7f, 0x7f, 0x7f],
];

/**
 * A colour as CSS hex.
 *
 * @param c The colour.
 * @returns `#rrggbb`.
 *
 * @example
 * ```ts
 * import { ARC_PALETTE, hex } from "./palette.ts";
 * if (hex(ARC_PALETTE[1]) !== "#0074d9") throw new Error();
 * ```
 */
export function hex(c: Rgb): string {
  return "#" + c.map((v) => v.toString(16).padStart(2, "0")).join("");
}

/**
 * Black or white, whichever reads better on `bg` (by relative luminance).
 *
 * @param bg The background.
 * @returns A text colour.
 *
 * @example
 * ```ts
 * import { contrastText } from "./palette.ts";
 * if (contrastText([0, 0, 0])[0] !== 255) throw new Error();
 * ```
 */
export function contrastText(bg: Rgb): Rgb {
  const lum = 0.2126 * bg[0] + 0.7152 * bg[1] + 0.0722 * bg[2];
  return lum > 140 ? [0, 0, 0] : [255, 255, 255];
}
