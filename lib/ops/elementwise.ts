/**
 * Elementwise ops: add (of two or three), mul, scaled accumulate, scale, fill and row-broadcast
 * add. Their backward passes are themselves elementwise (d(a+b) = (dy, dy); d(s·a) = s·dy;
 * d(a·b) = (dy·b, dy·a)), so callers compose them; `mulBackward` spells out the one that needs
 * two products.
 *
 * @module
 */
import addSrc from "../../kernels/elementwise.wgsl" with { type: "text" };
import unarySrc from "../../kernels/elementwise_unary.wgsl" with { type: "text" };
import fillSrc from "../../kernels/fill.wgsl" with { type: "text" };
import add3Src from "../../kernels/elementwise_add3.wgsl" with { type: "text" };
import { type Encoder, f32 } from "../gpu/encoder.ts";
import { grid1d } from "../gpu/grid.ts";
import { Tensor } from "../gpu/tensor.ts";

const WG = 256;
const k = (source: string, file: string, entry: string) => ({ source, file, entry });
const ADD = k(addSrc, "elementwise", "add");
const MUL = k(addSrc, "elementwise", "mul");
const ADD_ROWS = k(addSrc, "elementwise", "add_rows");
const ADD_SCALED = k(unarySrc, "elementwise_unary", "add_scaled");
const SCALE = k(unarySrc, "elementwise_unary", "scale");
const FILL = k(fillSrc, "fill", "fill");
const ADD3 = k(add3Src, "elementwise_add3", "add3");

function same(op: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size) {
    throw new RangeError(
      `${op}: ${a.label} [${a.shape}] and ${b.label} [${b.shape}] differ in size`,
    );
  }
}

function binary(enc: Encoder, kernel: typeof ADD, a: Tensor, b: Tensor, out?: Tensor): Tensor {
  same(kernel.entry, a, b);
  const y = out ?? Tensor.empty(enc.gpu, a.shape, "f32", kernel.entry);
  same(kernel.entry, a, y);
  enc.dispatch({
    kernel,
    bindings: [a, b, y],
    params: [a.size, 0, f32(0)],
    workgroups: grid1d(enc.gpu, a.size, WG),
  });
  return y;
}

/** `out = a + b` (same sizes). Allocates `out` from the pool when omitted. */
export function add(enc: Encoder, a: Tensor, b: Tensor, out?: Tensor): Tensor {
  return binary(enc, ADD, a, b, out);
}

/**
 * `out = a + (b + c)` in one pass, summed in that order (HRM's L input z_L + (z_H + x), as the
 * reference adds it). Allocates `out` from the pool when omitted.
 */
export function add3(enc: Encoder, a: Tensor, b: Tensor, c: Tensor, out?: Tensor): Tensor {
  same("add3", a, b);
  same("add3", a, c);
  const y = out ?? Tensor.empty(enc.gpu, a.shape, "f32", "add3");
  same("add3", a, y);
  enc.dispatch({
    kernel: ADD3,
    bindings: [a, b, c, y],
    params: [a.size],
    workgroups: grid1d(enc.gpu, a.size, WG),
  });
  return y;
}

/** `out = a * b` elementwise. */
export function mul(enc: Encoder, a: Tensor, b: Tensor, out?: Tensor): Tensor {
  return binary(enc, MUL, a, b, out);
}

/** Backward of `y = a * b`: returns `{ da: dy * b, db: dy * a }`. */
export function mulBackward(
  enc: Encoder,
  dy: Tensor,
  a: Tensor,
  b: Tensor,
): { da: Tensor; db: Tensor } {
  return { da: mul(enc, dy, b), db: mul(enc, dy, a) };
}

/** `out[r, :] = a[r, :] + row` for a `[rows, m]` tensor and an `[m]` row (broadcast). */
export function addRows(enc: Encoder, a: Tensor, row: Tensor, out?: Tensor): Tensor {
  const m = row.size;
  if (a.size % m !== 0) {
    throw new RangeError(
      `addRows: ${a.label} [${a.shape}] is not a multiple of row [${row.shape}]`,
    );
  }
  const y = out ?? Tensor.empty(enc.gpu, a.shape, "f32", "add_rows");
  enc.dispatch({
    kernel: ADD_ROWS,
    bindings: [a, row, y],
    params: [a.size, m, f32(0)],
    workgroups: grid1d(enc.gpu, a.size, WG),
  });
  return y;
}

/** `out += s * a` in place (gradient accumulation). */
export function addScaled(enc: Encoder, out: Tensor, a: Tensor, s = 1): void {
  same("add_scaled", a, out);
  enc.dispatch({
    kernel: ADD_SCALED,
    bindings: [a, out],
    params: [a.size, 0, f32(s)],
    workgroups: grid1d(enc.gpu, a.size, WG),
  });
}

/** `out = s * a` (`out` must not be `a`: use {@linkcode addScaled} or a new tensor). */
export function scale(enc: Encoder, a: Tensor, s: number, out?: Tensor): Tensor {
  const y = out ?? Tensor.empty(enc.gpu, a.shape, "f32", "scale");
  same("scale", a, y);
  enc.dispatch({
    kernel: SCALE,
    bindings: [a, y],
    params: [a.size, 0, f32(s)],
    workgroups: grid1d(enc.gpu, a.size, WG),
  });
  return y;
}

/** Sets every element of `t` to `value` (written with `t`'s dtype; 4-byte types only). */
export function fill(enc: Encoder, t: Tensor, value: number): void {
  if (t.dtype === "f16") {
    throw new RangeError(`fill: ${t.label} is f16; fill the f32 tensor and cast it`);
  }
  const word = new ArrayBuffer(4);
  if (t.dtype === "f32") new Float32Array(word)[0] = value;
  else if (t.dtype === "i32") new Int32Array(word)[0] = value;
  else new Uint32Array(word)[0] = value;
  enc.dispatch({
    kernel: FILL,
    bindings: [t],
    params: [t.size, new Uint32Array(word)[0]],
    workgroups: grid1d(enc.gpu, t.size, WG),
  });
}
