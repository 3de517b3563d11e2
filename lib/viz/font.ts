/**
 * A 5×7 bitmap font for labels drawn into RGBA buffers (no font files, no browser). Upper-case
 * letters, digits and common punctuation; lower case is drawn in upper case and anything else as
 * `?`. Each glyph is 35 characters: seven rows of five, `#` = ink.
 *
 * @module
 */

/** Glyph width in pixels (at scale 1). */
export const GLYPH_W = 5;
/** Glyph height in pixels (at scale 1). */
export const GLYPH_H = 7;
/** Horizontal advance per character (glyph plus one pixel of spacing). */
export const ADVANCE = 6;
/** Line height (glyph plus one pixel of spacing). */
export const LINE_H = 9;

// Rows of five, top to bottom. Shapes follow the common 5×7 dot-matrix style.
const GLYPHS: Record<string, string> = {
  "0": ".###.#...##..###.#.###..##...#.###.",
  "1": "..#...##....#....#....#....#...###.",
  "2": ".###.#...#....#...#...#...#...#####",
  "3": ".###.#...#....#..##.....##...#.###.",
  "4": "...#...##..#.#.#..#.#####...#....#.",
  "5": "######....####.....#....##...#.###.",
  "6": "..##..#...#....####.#...##...#.###.",
  "7": "#####....#...#...#...#....#....#...",
  "8": ".###.#...##...#.###.#...##...#.###.",
  "9": ".###.#...##...#.####....#...#..##..",
  A: ".###.#...##...#######...##...##...#",
  B: "####.#...##...#####.#...##...#####.",
  C: ".###.#...##....#....#....#...#.###.",
  D: "####.#...##...##...##...##...#####.",
  E: "######....#....####.#....#....#####",
  F: "######....#....####.#....#....#....",
  G: ".###.#...##....#.####...##...#.####",
  H: "#...##...##...#######...##...##...#",
  I: ".###...#....#....#....#....#...###.",
  J: "..###...#....#....#....##..#..##...",
  K: "#...##..#.#.#..##...#.#..#..#.#...#",
  L: "#....#....#....#....#....#....#####",
  M: "#...###.###.#.##.#.##...##...##...#",
  N: "#...##...###..##.#.##..###...##...#",
  O: ".###.#...##...##...##...##...#.###.",
  P: "####.#...##...#####.#....#....#....",
  Q: ".###.#...##...##...##.#.##..#..##.#",
  R: "####.#...##...#####.#.#..#..#.#...#",
  S: ".#####....#.....###.....#....#####.",
  T: "#####..#....#....#....#....#....#..",
  U: "#...##...##...##...##...##...#.###.",
  V: "#...##...##...##...##...#.#.#...#..",
  W: "#...##...##...##.#.##.#.##.#.#.#.#.",
  X: "#...##...#.#.#...#...#.#.#...##...#",
  Y: "#...##...#.#.#...#....#....#....#..",
  Z: "#####....#...#...#...#...#....#####",
  " ": ".".repeat(35),
  ".": "..........................##...##..",
  ",": "....................##....#...#....",
  "-": "...............#####...............",
  "+": "......#....#..#####..#....#........",
  ":": ".....##...##.........##...##.......",
  "/": "....#....#...#...#...#...#....#....",
  "%": "##..###..#...#...#...#...#..###..##",
  "(": "...#...#...#....#....#.....#.....#.",
  ")": ".#.....#.....#....#....#...#...#...",
  "=": "..........#####.....#####..........",
  "_": "..............................#####",
  "#": ".#.#..#.#.#####.#.#.#####.#.#..#.#.",
  "<": "...#...#...#...#.....#.....#.....#.",
  ">": ".#.....#.....#.....#...#...#...#...",
  "?": ".###.#...#....#...#...#.........#..",
  "!": "..#....#....#....#....#.........#..",
  "*": "......#..#.#.#.###.#.#.#..#........",
  "'": "..#....#...#.......................",
  "[": ".###..#....#....#....#....#....###.",
  "]": ".###....#....#....#....#....#..###.",
  "|": "..#....#....#....#....#....#....#..",
  "^": "..#...#.#.#...#....................",
};

const BITS = new Map<string, Uint8Array>();
for (const [ch, rows] of Object.entries(GLYPHS)) {
  if (rows.length !== GLYPH_W * GLYPH_H) throw new Error(`font: glyph ${ch} is malformed`);
  BITS.set(ch, Uint8Array.from(rows, (c) => (c === "#" ? 1 : 0)));
}

/**
 * The ink of one character, row-major 5×7 (1 = ink).
 *
 * @param ch One character; lower case maps to upper case, unknown characters to `?`.
 * @returns 35 values of 0 or 1.
 *
 * @example
 * ```ts
 * import { glyph } from "./font.ts";
 * const one = glyph("1");
 * if (one[2] !== 1 || one[0] !== 0) throw new Error(); // the stem's top
 * ```
 */
export function glyph(ch: string): Uint8Array {
  return BITS.get(ch) ?? BITS.get(ch.toUpperCase()) ?? BITS.get("?")!;
}

/**
 * The width in pixels of `text` drawn at `scale` (no trailing spacing).
 *
 * @param text The text.
 * @param scale Pixel size of one font dot.
 * @returns Width in pixels; 0 for empty text.
 *
 * @example
 * ```ts
 * import { textWidth } from "./font.ts";
 * if (textWidth("AB", 1) !== 11 || textWidth("", 2) !== 0) throw new Error();
 * ```
 */
export function textWidth(text: string, scale = 1): number {
  const n = [...text].length;
  return n === 0 ? 0 : (n * ADVANCE - 1) * scale;
}
