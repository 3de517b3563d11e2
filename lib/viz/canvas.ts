/**
 * An RGBA pixel buffer with the few drawing operations the renderers need (filled and outlined
 * rectangles, thick lines, bitmap text) and its PNG encoding. Everything is integer pixel
 * arithmetic, so the same calls always give the same bytes.
 *
 * @module
 */
// The lead maps "fast-png" in deno.json; until then the pinned specifier is imported directly.
import { encode } from "fast-png";
import { ADVANCE, glyph, GLYPH_H, GLYPH_W } from "./font.ts";
import type { Rgb } from "./palette.ts";

/** An opaque RGBA image, row-major, 4 bytes per pixel. */
export class Canvas {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** `[height, width, 4]` RGBA bytes. */
  readonly data: Uint8Array;

  /**
   * A canvas filled with `bg`.
   *
   * @param width Width in pixels (≥ 1).
   * @param height Height in pixels (≥ 1).
   * @param bg Fill colour.
   * @throws {RangeError} for a non-positive or non-integer size.
   */
  constructor(width: number, height: number, bg: Rgb = [255, 255, 255]) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`canvas size must be positive integers, got ${width}x${height}`);
    }
    this.width = width;
    this.height = height;
    this.data = new Uint8Array(width * height * 4);
    this.fillRect(0, 0, width, height, bg);
  }

  /** Sets one pixel; outside the canvas it does nothing. */
  setPixel(x: number, y: number, c: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = (y * this.width + x) * 4;
    this.data[o] = c[0];
    this.data[o + 1] = c[1];
    this.data[o + 2] = c[2];
    this.data[o + 3] = 255;
  }

  /** The colour at a pixel (for tests). */
  getPixel(x: number, y: number): Rgb {
    const o = (y * this.width + x) * 4;
    return [this.data[o], this.data[o + 1], this.data[o + 2]];
  }

  /** Fills `w×h` pixels from `(x, y)`, clipped to the canvas. */
  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    const x0 = Math.max(0, Math.round(x)), y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w)),
      y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) {
      let o = (yy * this.width + x0) * 4;
      for (let xx = x0; xx < x1; xx++, o += 4) {
        this.data[o] = c[0];
        this.data[o + 1] = c[1];
        this.data[o + 2] = c[2];
        this.data[o + 3] = 255;
      }
    }
  }

  /** Outlines `w×h` pixels from `(x, y)` with a border `t` pixels thick, drawn inside. */
  strokeRect(x: number, y: number, w: number, h: number, c: Rgb, t = 1): void {
    this.fillRect(x, y, w, t, c);
    this.fillRect(x, y + h - t, w, t, c);
    this.fillRect(x, y, t, h, c);
    this.fillRect(x + w - t, y, t, h, c);
  }

  /**
   * Draws a line `t` pixels thick (Bresenham, a `t×t` square per step); `dash` > 0 leaves gaps
   * of that many steps after every `dash` drawn.
   */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, t = 1, dash = 0): void {
    let x = Math.round(x0), y = Math.round(y0);
    const xe = Math.round(x1), ye = Math.round(y1);
    const dx = Math.abs(xe - x), dy = -Math.abs(ye - y);
    const sx = x < xe ? 1 : -1, sy = y < ye ? 1 : -1;
    let err = dx + dy, step = 0;
    const off = Math.floor((t - 1) / 2);
    for (;;) {
      if (dash <= 0 || Math.floor(step / dash) % 2 === 0) this.fillRect(x - off, y - off, t, t, c);
      if (x === xe && y === ye) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y += sy;
      }
      step++;
    }
  }

  /**
   * Draws `text` with its top-left corner at `(x, y)` in the 5×7 font.
   *
   * @returns The x just past the text.
   */
  text(x: number, y: number, text: string, c: Rgb, scale = 1): number {
    let cx = Math.round(x);
    for (const ch of text) {
      const g = glyph(ch);
      for (let r = 0; r < GLYPH_H; r++) {
        for (let col = 0; col < GLYPH_W; col++) {
          if (g[r * GLYPH_W + col]) this.fillRect(cx + col * scale, y + r * scale, scale, scale, c);
        }
      }
      cx += ADVANCE * scale;
    }
    return cx;
  }

  /** Draws `text` rotated 90° counter-clockwise (reading bottom to top) from `(x, y)` upward. */
  textUp(x: number, y: number, text: string, c: Rgb, scale = 1): void {
    let cy = Math.round(y);
    for (const ch of text) {
      const g = glyph(ch);
      for (let r = 0; r < GLYPH_H; r++) {
        for (let col = 0; col < GLYPH_W; col++) {
          if (g[r * GLYPH_W + col]) this.fillRect(x + r * scale, cy - col * scale, scale, scale, c);
        }
      }
      cy -= ADVANCE * scale;
    }
  }

  /** Copies `src` with its top-left corner at `(x, y)`, clipped. */
  blit(src: Canvas, x: number, y: number): void {
    for (let sy = 0; sy < src.height; sy++) {
      const ty = y + sy;
      if (ty < 0 || ty >= this.height) continue;
      const x0 = Math.max(0, -x), x1 = Math.min(src.width, this.width - x);
      if (x1 <= x0) continue;
      this.data.set(
        src.data.subarray((sy * src.width + x0) * 4, (sy * src.width + x1) * 4),
        (ty * this.width + x + x0) * 4,
      );
    }
  }
}

/**
 * Encodes a canvas as PNG (8-bit RGBA, fast-png's deflate, no timestamps), so equal canvases
 * give equal bytes.
 *
 * @param canvas The image.
 * @returns The PNG file's bytes.
 *
 * @example A 2×1 image
 * ```ts
 * import { Canvas, encodePng } from "./canvas.ts";
 * const c = new Canvas(2, 1, [255, 0, 0]);
 * const png = encodePng(c);
 * if (png[1] !== 0x50 || png[2] !== 0x4e || png[3] !== 0x47) throw new Error(); // "PNG"
 * ```
 */
export function encodePng(canvas: Canvas): Uint8Array {
  return encode({
    width: canvas.width,
    height: canvas.height,
    data: canvas.data,
    channels: 4,
    depth: 8,
  });
}
