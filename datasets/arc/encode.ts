/**
 * ARC grids as HRM token sequences: a 30×30 canvas (seq_len 900), PAD 0, EOS 1, colour c → c + 2
 * (vocab 12). The grid sits at a row/column offset; EOS marks the row just below it and the
 * column just right of it (where they fit), and the corner cell stays PAD, as in the reference.
 * {@linkcode cropTokens} is the inverse the reference's arc_eval notebook uses on predictions.
 *
 * @module
 */
import type { Grid } from "../grid.ts";
import { ARC_MAX_GRID_SIZE } from "./task.ts";

/** Padding token (also the ignored label). */
export const PAD_TOKEN = 0;
/** End-of-grid marker. */
export const EOS_TOKEN = 1;
/** Colour c is token c + COLOR_OFFSET_TOKEN. */
export const COLOR_OFFSET_TOKEN = 2;
/** Tokens per sequence: the 30×30 canvas. */
export const ARC_SEQ_LEN: number = ARC_MAX_GRID_SIZE * ARC_MAX_GRID_SIZE;
/** PAD, EOS and 10 colours. */
export const ARC_VOCAB_SIZE = 12;

/**
 * Writes `g` onto a 30×30 canvas at offset (r, c) with its EOS border.
 *
 * @param g The grid (colours 0–9).
 * @param r Row offset, 0 <= r <= 30 - g.h.
 * @param c Column offset, 0 <= c <= 30 - g.w.
 * @param out Destination of 900 tokens; overwritten entirely.
 * @returns `out`.
 * @throws {RangeError} When the grid does not fit at that offset.
 *
 * @example A 1×2 grid at the origin
 * ```ts
 * import { encodeGrid } from "./encode.ts";
 * const t = encodeGrid({ h: 1, w: 2, data: new Uint8Array([0, 9]) }, 0, 0);
 * if (t[0] !== 2 || t[1] !== 11 || t[2] !== 1 || t[30] !== 1 || t[32] !== 0) throw new Error();
 * ```
 */
export function encodeGrid(
  g: Grid,
  r = 0,
  c = 0,
  out: Uint8Array = new Uint8Array(ARC_SEQ_LEN),
): Uint8Array {
  const N = ARC_MAX_GRID_SIZE;
  if (r < 0 || c < 0 || r + g.h > N || c + g.w > N || out.length !== ARC_SEQ_LEN) {
    throw new RangeError(`encodeGrid: ${g.h}×${g.w} grid does not fit at (${r}, ${c})`);
  }
  out.fill(PAD_TOKEN);
  const { h, w, data } = g;
  for (let i = 0; i < h; i++) {
    const base = (r + i) * N + c;
    for (let j = 0; j < w; j++) out[base + j] = data[i * w + j] + COLOR_OFFSET_TOKEN;
    if (c + w < N) out[base + w] = EOS_TOKEN;
  }
  if (r + h < N) out.fill(EOS_TOKEN, (r + h) * N + c, (r + h) * N + c + w);
  return out;
}

/**
 * Crops a predicted token canvas back to a grid as the reference's arc_eval notebook does: the
 * largest top-left rectangle of colour tokens, scanning rows downward while the usable width
 * shrinks to the first non-colour token of each row; tokens become colours (minus 2).
 *
 * @param tokens 900 tokens (any values; outside 2..11 counts as a border).
 * @returns The cropped grid; 0×0 when the top-left token is not a colour.
 * @throws {RangeError} When `tokens` does not hold 900 values.
 *
 * @example Cropping an encoded grid gives it back
 * ```ts
 * import { cropTokens, encodeGrid } from "./encode.ts";
 * const g = { h: 2, w: 3, data: new Uint8Array([1, 2, 3, 4, 5, 6]) };
 * const back = cropTokens(encodeGrid(g));
 * if (back.h !== 2 || back.w !== 3 || back.data.join() !== g.data.join()) throw new Error();
 * ```
 */
export function cropTokens(tokens: ArrayLike<number>): Grid {
  const N = ARC_MAX_GRID_SIZE;
  if (tokens.length !== ARC_SEQ_LEN) {
    throw new RangeError(`cropTokens: expected ${ARC_SEQ_LEN} tokens, got ${tokens.length}`);
  }
  let bestArea = 0, bestH = 0, bestW = 0, width = N;
  for (let rows = 1; rows <= N; rows++) {
    const base = (rows - 1) * N;
    for (let j = 0; j < width; j++) {
      const x = tokens[base + j];
      if (x < COLOR_OFFSET_TOKEN || x > COLOR_OFFSET_TOKEN + 9) {
        width = j;
        break;
      }
    }
    if (rows * width > bestArea) {
      bestArea = rows * width;
      bestH = rows;
      bestW = width;
    }
  }
  const data = new Uint8Array(bestH * bestW);
  for (let i = 0; i < bestH; i++) {
    for (let j = 0; j < bestW; j++) data[i * bestW + j] = tokens[i * N + j] - COLOR_OFFSET_TOKEN;
  }
  return { h: bestH, w: bestW, data };
}
