// Writes torch.save-format fixtures from the test code itself (a user's clone has no torch and
// no ../shared): a pickle protocol 2 assembler and a stored-entry zip writer.
import { float32ToBf16, type StTensor, toFloat32 } from "../../lib/io/safetensors.ts";
import { crc32 } from "../../lib/io/zip.ts";

const enc = new TextEncoder();

/** Pickle opcodes, assembled by hand (the subset torch.save emits, plus a few more). */
export class PickleWriter {
  #b: number[] = [];
  #memo = 0;
  /** Raw bytes. */
  raw(...bytes: number[]): this {
    this.#b.push(...bytes);
    return this;
  }
  /** PROTO 2. */
  proto(n = 2): this {
    return this.raw(0x80, n);
  }
  /** GLOBAL 'module name'. */
  global(module: string, name: string): this {
    return this.raw(0x63, ...enc.encode(`${module}\n${name}\n`));
  }
  /** STACK_GLOBAL of two strings. */
  stackGlobal(module: string, name: string): this {
    return this.str(module).str(name).raw(0x93);
  }
  /** BINUNICODE. */
  str(s: string): this {
    const b = enc.encode(s);
    return this.raw(0x58, ...u32(b.length), ...b);
  }
  /** The shortest int opcode. */
  int(n: number): this {
    if (n >= 0 && n < 256) return this.raw(0x4b, n);
    if (n >= 0 && n < 65536) return this.raw(0x4d, n & 0xff, n >> 8);
    return this.raw(0x4a, ...u32(n >>> 0));
  }
  /** BINPUT to the next memo slot (LONG_BINPUT past 255); returns the slot via `cb`. */
  put(cb?: (slot: number) => void): this {
    const m = this.#memo++;
    cb?.(m);
    return m < 256 ? this.raw(0x71, m) : this.raw(0x72, ...u32(m));
  }
  /** BINGET / LONG_BINGET. */
  get(slot: number): this {
    return slot < 256 ? this.raw(0x68, slot) : this.raw(0x6a, ...u32(slot));
  }
  /** Python's `(a, b, ...)` of ints via MARK ... TUPLE. */
  intTuple(xs: number[]): this {
    if (xs.length === 0) return this.raw(0x29);
    this.raw(0x28);
    for (const x of xs) this.int(x);
    return this.raw(0x74);
  }
  /** Finishes with STOP. */
  bytes(): Uint8Array {
    return new Uint8Array([...this.#b, 0x2e]);
  }
}

function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

/** A tensor entry for {@linkcode stateDictPickle}. */
export interface TensorSpec {
  /** State-dict key. */
  name: string;
  /** torch storage class, e.g. FloatStorage. */
  storage: string;
  /** Storage key (the `data/<key>` entry). */
  key: string;
  /** Elements of the storage. */
  numel: number;
  /** Storage offset in elements. */
  offset: number;
  /** Shape. */
  size: number[];
  /** Strides in elements. */
  stride: number[];
  /** Wrap in torch._utils._rebuild_parameter, as a saved nn.Parameter is. */
  parameter?: boolean;
}

/**
 * The pickle torch.save writes for an OrderedDict of tensors (protocol 2), with a BUILD of a
 * `_metadata` attribute as `model.state_dict()` carries; storages shared by key are memoised.
 */
export function stateDictPickle(specs: TensorSpec[]): Uint8Array {
  const p = new PickleWriter().proto();
  let od = 0;
  p.global("collections", "OrderedDict").put((m) => od = m).raw(0x29, 0x52).put();
  p.raw(0x28); // MARK for SETITEMS
  const storages = new Map<string, number>();
  let rebuild = -1, param = -1;
  for (const s of specs) {
    p.str(s.name);
    if (s.parameter) {
      if (param < 0) p.global("torch._utils", "_rebuild_parameter").put((m) => param = m);
      else p.get(param);
    }
    if (rebuild < 0) p.global("torch._utils", "_rebuild_tensor_v2").put((m) => rebuild = m);
    else p.get(rebuild);
    p.raw(0x28); // MARK args
    // persistent id ('storage', torch.XStorage, key, 'cpu', numel)
    const seen = storages.get(s.key);
    if (seen !== undefined) p.get(seen);
    else {
      p.raw(0x28).str("storage").global("torch", s.storage).str(s.key).str("cpu").int(s.numel)
        .raw(0x74).put((m) => storages.set(s.key, m));
    }
    p.raw(0x51); // BINPERSID
    p.int(s.offset).intTuple(s.size).intTuple(s.stride).raw(0x89); // requires_grad False
    p.get(od).raw(0x29, 0x52); // backward_hooks = OrderedDict()
    p.raw(0x74, 0x52); // TUPLE, REDUCE
    if (s.parameter) p.raw(0x88).get(od).raw(0x29, 0x52, 0x87, 0x52); // (t, True, OD()) REDUCE
  }
  p.raw(0x75); // SETITEMS
  // BUILD {'_metadata': {'': {'version': 1}}} as nn.Module.state_dict() leaves it
  p.raw(0x7d).str("_metadata").raw(0x7d).str("").raw(0x7d).str("version").int(1);
  p.raw(0x73, 0x73, 0x73, 0x62);
  return p.bytes();
}

/** A zip archive of stored entries, 64-byte aligned data like torch's writer. */
export function zipStored(entries: [string, Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let off = 0;
  for (const [name, data] of entries) {
    const nb = enc.encode(name);
    const pad = (64 - ((off + 30 + nb.length + 4) % 64)) % 64;
    const local = new Uint8Array(30 + nb.length + 4 + pad);
    const lv = new DataView(local.buffer);
    const crc = crc32(data);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, nb.length, true);
    lv.setUint16(28, 4 + pad, true);
    local.set(nb, 30);
    lv.setUint16(30 + nb.length, 0x4246, true); // "FB" padding field, as torch writes
    lv.setUint16(32 + nb.length, pad, true);
    const c = new Uint8Array(46 + nb.length);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, nb.length, true);
    cv.setUint32(42, off, true);
    c.set(nb, 46);
    central.push(c);
    parts.push(local, data);
    off += local.length + data.length;
  }
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, off, true);
  const all = [...parts, ...central, end];
  const out = new Uint8Array(all.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of all) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

/** Raw storage bytes of float32 values (little- or big-endian). */
export function f32Bytes(xs: number[], bigEndian = false): Uint8Array {
  const b = new Uint8Array(xs.length * 4);
  const dv = new DataView(b.buffer);
  xs.forEach((x, i) => dv.setFloat32(i * 4, x, !bigEndian));
  return b;
}

/** A torch.save archive: `<folder>/data.pkl`, `data/<key>` storages and extra entries. */
export function torchArchive(
  folder: string,
  pickle: Uint8Array,
  storages: Record<string, Uint8Array>,
  extra: Record<string, string> = { version: "3\n" },
): Uint8Array {
  const entries: [string, Uint8Array][] = [[`${folder}/data.pkl`, pickle]];
  for (const [k, v] of Object.entries(extra)) entries.push([`${folder}/${k}`, enc.encode(v)]);
  for (const [k, v] of Object.entries(storages)) entries.push([`${folder}/data/${k}`, v]);
  return zipStored(entries);
}

/**
 * A reference-style checkpoint of a state dict: every tensor its own FloatStorage (or
 * BFloat16Storage for the names in `bf16`, rounded), keys prefixed as torch.compile leaves them.
 */
export function torchCheckpointOf(
  tensors: ReadonlyMap<string, StTensor>,
  bf16: readonly string[] = ["inner.H_init", "inner.L_init"],
  prefix = "_orig_mod.model.",
): Uint8Array {
  const specs: TensorSpec[] = [];
  const storages: Record<string, Uint8Array> = {};
  let key = 0;
  for (const [name, t] of tensors) {
    const x = toFloat32(t);
    const half = bf16.includes(name);
    const data = half ? float32ToBf16(x) : x;
    storages[String(key)] = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    const stride = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    specs.push({
      name: prefix + name,
      storage: half ? "BFloat16Storage" : "FloatStorage",
      key: String(key++),
      numel: x.length,
      offset: 0,
      size: [...t.shape],
      stride,
    });
  }
  return torchArchive("checkpoint", stateDictPickle(specs), storages);
}
