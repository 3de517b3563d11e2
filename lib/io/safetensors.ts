/**
 * safetensors files (huggingface/safetensors README "Format"): an 8-byte little-endian header
 * length, a JSON header `{name: {dtype, shape, data_offsets}, "__metadata__": {..}}` padded with
 * spaces to a multiple of 8, then the tensors' bytes. The writer orders tensors as the reference
 * Rust writer does (descending dtype alignment, then name), so every tensor is naturally aligned
 * and the reader can return zero-copy views. Any problem in a file is an {@linkcode HrmError}
 * naming it.
 *
 * @module
 */
import { HrmError } from "../errors.ts";
import { atomicWrite } from "./atomic_write.ts";
import { fsError, readFileOrFail } from "./npy.ts";

/** The element types hrm reads and writes (the F8/F6/F4 and C64 variants are not supported). */
export type StDtype =
  | "BOOL"
  | "U8"
  | "I8"
  | "I16"
  | "U16"
  | "F16"
  | "BF16"
  | "I32"
  | "U32"
  | "F32"
  | "F64"
  | "I64"
  | "U64";

/** The typed array per dtype: BF16 is raw bits in a Uint16Array, BOOL a Uint8Array of 0/1. */
export type StData =
  | Float32Array
  | Float16Array
  | Uint16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint32Array
  | Float64Array
  | BigUint64Array;

/** One tensor: dtype, shape (C order) and its elements. */
export interface StTensor {
  /** Element type. */
  dtype: StDtype;
  /** Dimensions; `[]` for a scalar. */
  shape: number[];
  /** `product(shape)` elements of the array type for `dtype`. */
  data: StData;
}

/** What {@linkcode decodeSafetensors} returns: tensors in file order, and `__metadata__`. */
export interface Safetensors {
  /** Tensors by name, in the order of their data in the file. */
  tensors: Map<string, StTensor>;
  /** The string-to-string `__metadata__` map (empty when absent). */
  metadata: Record<string, string>;
}

type Ctor = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): StData;
};

// `rank` is the position in the reference's Dtype enum, which is in increasing alignment
// order; the writer sorts by it, descending, to keep every tensor aligned.
const DTYPES: Record<StDtype, { ctor: Ctor; size: number; rank: number }> = {
  BOOL: { ctor: Uint8Array, size: 1, rank: 0 },
  U8: { ctor: Uint8Array, size: 1, rank: 1 },
  I8: { ctor: Int8Array, size: 1, rank: 2 },
  I16: { ctor: Int16Array, size: 2, rank: 3 },
  U16: { ctor: Uint16Array, size: 2, rank: 4 },
  F16: { ctor: Float16Array, size: 2, rank: 5 },
  BF16: { ctor: Uint16Array, size: 2, rank: 6 },
  I32: { ctor: Int32Array, size: 4, rank: 7 },
  U32: { ctor: Uint32Array, size: 4, rank: 8 },
  F32: { ctor: Float32Array, size: 4, rank: 9 },
  F64: { ctor: Float64Array, size: 8, rank: 10 },
  I64: { ctor: BigInt64Array, size: 8, rank: 11 },
  U64: { ctor: BigUint64Array, size: 8, rank: 12 },
};

/** Readers refuse larger headers, as the reference does (`MAX_HEADER_SIZE`). */
export const MAX_HEADER_SIZE = 100_000_000;

/**
 * Encodes tensors and optional metadata as safetensors bytes, laid out as the reference writer
 * lays them out.
 *
 * @param tensors Tensors by name (`__metadata__` is not a valid name).
 * @param metadata Optional string-to-string metadata.
 * @returns The file's bytes.
 * @throws {TypeError} when a tensor's array type does not match its dtype, or metadata is not
 * string-valued.
 * @throws {RangeError} when a shape does not match its data's length.
 *
 * @example Round trip
 * ```ts
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors(
 *   { w: { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) } },
 *   { step: "7" },
 * );
 * const { tensors, metadata } = decodeSafetensors(bytes, "x.safetensors");
 * if (tensors.get("w")!.data[1] !== 2 || metadata.step !== "7") throw new Error();
 * ```
 */
export function encodeSafetensors(
  tensors: Record<string, StTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const chunks = prepare(tensors, metadata);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/**
 * Decodes safetensors bytes, validating the header as the reference reader does and more:
 * duplicate keys and non-string metadata are refused too. Tensor data are views into `bytes`
 * where aligned (always, for files the reference or this module wrote), otherwise copies.
 *
 * @param bytes The whole file.
 * @param file The file name, for error messages.
 * @returns Tensors in file order and the metadata.
 * @throws {HrmError} naming `file` when it is truncated, its header is too large, not UTF-8,
 * not JSON or malformed, has duplicate keys, unsupported dtypes, offsets out of range, holes or
 * overlaps, or data that does not end at the end of the file.
 *
 * @example A truncated file
 * ```ts
 * import { decodeSafetensors } from "./safetensors.ts";
 * try {
 *   decodeSafetensors(new Uint8Array(4), "w.safetensors");
 *   throw new Error("unreachable");
 * } catch (e) {
 *   if (!(e as Error).message.startsWith("w.safetensors: truncated")) throw e;
 * }
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array, file: string): Safetensors {
  const fail = (problem: string): never => {
    throw new HrmError(file, problem);
  };
  if (bytes.length < 8) fail(`truncated file: ${bytes.length} bytes, the header length needs 8`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_SIZE)) {
    fail(`header length ${n64} exceeds the ${MAX_HEADER_SIZE}-byte limit (corrupt file?)`);
  }
  const n = Number(n64);
  if (8 + n > bytes.length) {
    fail(`truncated header: header claims ${n} bytes, file has ${bytes.length - 8}`);
  }
  let text = "";
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail("header is not valid UTF-8");
  }
  if (!text.startsWith("{")) fail("header does not start with '{'");
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    fail("header is not a JSON object");
  }
  const dup = firstDuplicateKey(text);
  if (dup !== undefined) fail(`duplicate key ${JSON.stringify(dup)} in header`);

  const meta: [string, string][] = [];
  const infos: { name: string; dtype: StDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        fail("__metadata__ must be an object of strings");
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== "string") {
          fail(`__metadata__.${k} must be a string, got ${JSON.stringify(v)}`);
        }
        meta.push([k, v as string]);
      }
      continue;
    }
    infos.push({ name, ...parseInfo(name, value, fail) });
  }
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);

  const base = 8 + n;
  const dataLength = bytes.length - base;
  const tensors = new Map<string, StTensor>();
  let expected = 0;
  for (const t of infos) {
    const where = `tensor ${JSON.stringify(t.name)}: data_offsets [${t.begin}, ${t.end}]`;
    if (t.begin > expected) fail(`${where} leave a hole (previous data ends at ${expected})`);
    if (t.begin < expected) fail(`${where} overlap other data (previous data ends at ${expected})`);
    const { ctor, size } = DTYPES[t.dtype];
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(count * size) || (t.end - t.begin) !== count * size) {
      fail(`${where} span ${t.end - t.begin} bytes, ${t.dtype} [${t.shape}] needs ${count * size}`);
    }
    if (t.end > dataLength) {
      fail(`truncated data: ${where} end past the ${dataLength} bytes of data in the file`);
    }
    const off = bytes.byteOffset + base + t.begin;
    const data = off % size === 0
      ? new ctor(bytes.buffer, off, count)
      : new ctor(bytes.slice(base + t.begin, base + t.end).buffer, 0, count);
    tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data });
    expected = t.end;
  }
  if (expected !== dataLength) {
    fail(
      `${dataLength - expected} bytes after the last tensor's data (offsets end at ${expected})`,
    );
  }
  return { tensors, metadata: Object.fromEntries(meta) }; // fromEntries: "__proto__" stays a key
}

/**
 * Reads a safetensors file.
 *
 * @param path The file.
 * @returns Tensors in file order and the metadata.
 * @throws {HrmError} when the file is missing or invalid (see {@linkcode decodeSafetensors}).
 *
 * @example
 * ```ts
 * import { readSafetensors, writeSafetensors } from "./safetensors.ts";
 * const dir = await Deno.makeTempDir();
 * await writeSafetensors(`${dir}/c.safetensors`, {
 *   ids: { dtype: "I32", shape: [3], data: new Int32Array([4, 5, 6]) },
 * });
 * if ((await readSafetensors(`${dir}/c.safetensors`)).tensors.get("ids")!.data[2] !== 6) {
 *   throw new Error();
 * }
 * ```
 */
export async function readSafetensors(path: string): Promise<Safetensors> {
  return decodeSafetensors(await readFileOrFail(path), path);
}

/**
 * Writes a safetensors file atomically (temporary file, then rename), streaming each tensor's
 * bytes rather than building one buffer.
 *
 * @param path The final file name.
 * @param tensors Tensors by name.
 * @param metadata Optional string-to-string metadata.
 * @returns Resolves once the file is in place.
 * @throws {TypeError} / {RangeError} as {@linkcode encodeSafetensors}.
 * @throws {HrmError} when the directory is missing or not writable.
 *
 * @example
 * ```ts
 * import { writeSafetensors } from "./safetensors.ts";
 * const dir = await Deno.makeTempDir();
 * await writeSafetensors(`${dir}/e.safetensors`, {});
 * if ((await Deno.stat(`${dir}/e.safetensors`)).size !== 16) throw new Error();
 * ```
 */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, StTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  const chunks = prepare(tensors, metadata);
  try {
    await atomicWrite(path, chunks);
  } catch (e) {
    throw fsError(path, e);
  }
}

/**
 * The values of an F32, F16 or BF16 tensor as float32: the tensor's own array for F32, a new
 * array otherwise.
 *
 * @param t The tensor.
 * @returns Its values.
 * @throws {TypeError} for other dtypes.
 *
 * @example
 * ```ts
 * import { toFloat32 } from "./safetensors.ts";
 * const x = toFloat32({ dtype: "BF16", shape: [1], data: new Uint16Array([0x3fc0]) });
 * if (x[0] !== 1.5) throw new Error();
 * ```
 */
export function toFloat32(t: StTensor): Float32Array {
  if (t.dtype === "F32") return t.data as Float32Array;
  if (t.dtype === "F16") return Float32Array.from(t.data as Float16Array);
  if (t.dtype === "BF16") return bf16ToFloat32(t.data as Uint16Array);
  throw new TypeError(`toFloat32: dtype ${t.dtype} is not a float type`);
}

/**
 * Widens bfloat16 bit patterns to float32 (exact: bf16 is the top half of an f32).
 *
 * @param bits BF16 values as raw 16-bit patterns.
 * @returns float32 values.
 *
 * @example
 * ```ts
 * import { bf16ToFloat32 } from "./safetensors.ts";
 * if (bf16ToFloat32(new Uint16Array([0xc000]))[0] !== -2) throw new Error();
 * ```
 */
export function bf16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i] << 16;
  return new Float32Array(out.buffer);
}

/**
 * Rounds float32 values to bfloat16 bit patterns, to nearest even as torch does; NaN stays NaN.
 *
 * @param x float32 values.
 * @returns BF16 values as raw 16-bit patterns.
 *
 * @example
 * ```ts
 * import { float32ToBf16 } from "./safetensors.ts";
 * if (float32ToBf16(new Float32Array([1.5]))[0] !== 0x3fc0) throw new Error();
 * ```
 */
export function float32ToBf16(x: Float32Array): Uint16Array {
  const u = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const b = u[i];
    out[i] = (b & 0x7fffffff) > 0x7f800000
      ? (b >>> 16) | 0x40 // keep NaN quiet: rounding could carry into an infinity
      : Math.floor((b + 0x7fff + ((b >>> 16) & 1)) / 0x10000); // no `>>>`: the sum can pass 2^32
  }
  return out;
}

/** Header and tensor bytes in file order, as the reference writer's `prepare`. */
function prepare(
  tensors: Record<string, StTensor>,
  metadata: Record<string, string> | undefined,
): Uint8Array[] {
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) checkTensor(name, t);
  entries.sort(([an, a], [bn, b]) =>
    DTYPES[b.dtype].rank - DTYPES[a.dtype].rank || compareCodePoints(an, bn)
  );
  // Built by hand: a JS object would enumerate integer-like names first, not in file order.
  const fields: string[] = [];
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new TypeError(`metadata ${k} must be a string`);
    }
    fields.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  const body: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const info = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    fields.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset += bytes.length;
    body.push(bytes);
  }
  const json = new TextEncoder().encode(`{${fields.join(",")}}`);
  const n = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(8 + n).fill(0x20);
  new DataView(head.buffer).setBigUint64(0, BigInt(n), true);
  head.set(json, 8);
  return [head, ...body];
}

function checkTensor(name: string, t: StTensor): void {
  if (name === "__metadata__") throw new TypeError("__metadata__ is not a valid tensor name");
  const spec = DTYPES[t.dtype];
  if (!spec) throw new TypeError(`tensor ${name}: unsupported dtype ${t.dtype}`);
  if (t.data.constructor !== spec.ctor) {
    throw new TypeError(`tensor ${name}: dtype ${t.dtype} needs a ${spec.ctor.name}`);
  }
  let count = 1;
  for (const d of t.shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new RangeError(`tensor ${name}: bad dimension ${d} in shape [${t.shape}]`);
    }
    count *= d;
  }
  if (count !== t.data.length) {
    throw new RangeError(
      `tensor ${name}: shape [${t.shape}] holds ${count} elements, data has ${t.data.length}`,
    );
  }
}

function parseInfo(
  name: string,
  value: unknown,
  fail: (p: string) => never,
): { dtype: StDtype; shape: number[]; begin: number; end: number } {
  const where = `tensor ${JSON.stringify(name)}`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(`${where}: entry is not an object`);
  }
  const { dtype, shape, data_offsets } = value as Record<string, unknown>;
  if (typeof dtype !== "string" || !(dtype in DTYPES)) {
    fail(`${where}: unsupported dtype ${JSON.stringify(dtype)}`);
  }
  const isIndex = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isIndex)) {
    fail(`${where}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (
    !Array.isArray(data_offsets) || data_offsets.length !== 2 || !data_offsets.every(isIndex) ||
    data_offsets[0] > data_offsets[1]
  ) {
    fail(
      `${where}: data_offsets must be [begin, end] with begin <= end, got ${
        JSON.stringify(data_offsets)
      }`,
    );
  }
  const [begin, end] = data_offsets as number[];
  return { dtype: dtype as StDtype, shape: shape as number[], begin, end };
}

/** Orders strings by code point, i.e. by UTF-8 bytes, as Rust's `String` ordering does. */
function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator](), ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next(), y = ib.next();
    if (x.done || y.done) return (x.done ? 0 : 1) - (y.done ? 0 : 1);
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/**
 * The first key repeated inside one object of valid JSON `text`, if any. JSON.parse keeps the
 * last of duplicates silently; a file with two entries for one tensor is corrupt.
 */
function firstDuplicateKey(text: string): string | undefined {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const keys = stack[stack.length - 1];
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === "{") {
      stack.push(new Set());
      expectKey = true;
    } else if (c === "[") {
      stack.push(null);
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === ",") {
      expectKey = stack[stack.length - 1] !== null;
    }
  }
  return undefined;
}
