/**
 * PyTorch checkpoints as `torch.save` writes them since torch 1.6 (the format of the HRM
 * authors' released `checkpoint` files): a zip archive with one top folder (`checkpoint/`,
 * `archive/`, ...) holding `data.pkl`, a pickle of the state dict whose tensors are rebuilt by
 * `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)` from persistent ids
 * `("storage", torch.<Type>Storage, key, location, numel)`, and the raw storages `data/<key>`
 * (little-endian unless a `byteorder` entry says `big`). Newer torch adds entries (`version`,
 * `.data/version`, `.data/serialization_id`, `byteorder`), which are ignored.
 *
 * A pickle can name any Python callable. This reader runs it on {@linkcode unpickle}, which
 * executes nothing, and accepts only the globals a state dict needs ({@linkcode TORCH_GLOBALS}):
 * anything else is refused by name. Contiguous tensors are views into the archive's bytes;
 * strided views (offsets, strides, shared storages) are copied into contiguous tensors with the
 * dtype of their storage.
 *
 * @module
 */
import { HrmError } from "../errors.ts";
import { PickleError, type PyCallable, unpickle } from "./pickle.ts";
import type { Safetensors, StData, StDtype, StTensor } from "./safetensors.ts";
import { ZipArchive } from "./zip.ts";

/** Storage classes by name, with the dtype of their elements. */
const STORAGES: Record<string, StDtype> = {
  FloatStorage: "F32",
  DoubleStorage: "F64",
  HalfStorage: "F16",
  BFloat16Storage: "BF16",
  LongStorage: "I64",
  IntStorage: "I32",
  ShortStorage: "I16",
  CharStorage: "I8",
  ByteStorage: "U8",
  BoolStorage: "BOOL",
  UntypedStorage: "U8",
};

type Ctor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => StData;
const ELEMENT: Record<StDtype, { size: number; ctor: Ctor }> = {
  F32: { size: 4, ctor: Float32Array },
  F64: { size: 8, ctor: Float64Array },
  F16: { size: 2, ctor: Float16Array as unknown as Ctor },
  BF16: { size: 2, ctor: Uint16Array },
  I64: { size: 8, ctor: BigInt64Array },
  U64: { size: 8, ctor: BigUint64Array },
  I32: { size: 4, ctor: Int32Array },
  U32: { size: 4, ctor: Uint32Array },
  I16: { size: 2, ctor: Int16Array },
  U16: { size: 2, ctor: Uint16Array },
  I8: { size: 1, ctor: Int8Array },
  U8: { size: 1, ctor: Uint8Array },
  BOOL: { size: 1, ctor: Uint8Array },
};

/** The only globals a state-dict pickle may name (module.name); every other one is refused. */
export const TORCH_GLOBALS: readonly string[] = [
  "collections.OrderedDict",
  "torch._utils._rebuild_tensor_v2",
  "torch._utils._rebuild_parameter",
  "torch._utils._rebuild_parameter_with_state",
  ...Object.keys(STORAGES).map((s) => `torch.${s}`),
];

/** A storage a tensor refers to (`data/<key>` in the archive). */
interface StorageRef {
  dtype: StDtype;
  key: string;
  numel: number;
}

/** A tensor before its storage is read. */
class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}

class StorageType {
  constructor(readonly dtype: StDtype) {}
}

const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function stateDictGlobal(module: string, name: string): PyCallable {
  const qualname = `${module}.${name}`;
  if (!TORCH_GLOBALS.includes(qualname)) {
    throw new Error(
      `the pickle calls ${qualname}, which a state dict never needs; refusing to load it ` +
        `(allowed: collections.OrderedDict, torch._utils._rebuild_tensor_v2, ` +
        `torch._utils._rebuild_parameter, torch.*Storage)`,
    );
  }
  if (module === "torch" && name in STORAGES) {
    return Object.assign(new StorageType(STORAGES[name]), {
      qualname,
      call(): never {
        throw new Error("storages are only loaded through persistent ids");
      },
    });
  }
  if (name === "OrderedDict") {
    return {
      qualname,
      call(args) {
        const m = new Map<unknown, unknown>();
        if (args.length > 0 && Array.isArray(args[0])) {
          for (const kv of args[0]) {
            if (Array.isArray(kv) && kv.length === 2) m.set(kv[0], kv[1]);
          }
        }
        return m;
      },
    };
  }
  if (name === "_rebuild_tensor_v2") {
    return {
      qualname,
      call([storage, offset, size, stride]) {
        if (!(storage instanceof Object && "numel" in storage && "key" in storage)) {
          throw new Error("first argument is not a storage");
        }
        if (!isIndex(offset)) throw new Error(`bad storage offset ${offset}`);
        if (!Array.isArray(size) || !size.every(isIndex)) throw new Error("bad size");
        if (!Array.isArray(stride) || !stride.every(isIndex) || stride.length !== size.length) {
          throw new Error("bad stride");
        }
        return new TensorRef(storage as StorageRef, offset, size, stride);
      },
    };
  }
  // _rebuild_parameter(data, requires_grad, backward_hooks[, state]): the tensor itself
  return { qualname, call: ([data]) => data };
}

/**
 * Decodes a `torch.save` zip archive holding a state dict.
 *
 * @param bytes The whole file.
 * @param file The file name, for error messages.
 * @returns Tensors in the pickle's order, contiguous, in their storage's dtype (BF16 as raw
 * bits); the metadata says `format: "torch"`.
 * @throws {HrmError} naming the file when the archive is malformed, the pickle names a global
 * outside {@linkcode TORCH_GLOBALS} (naming it), the top-level object is not a dict of tensors,
 * or a tensor reaches outside its storage.
 *
 * @example A pickle that would run a shell command is refused, not run
 * ```ts ignore
 * import { decodeTorchCheckpoint } from "./torch.ts";
 * await decodeTorchCheckpoint(await Deno.readFile("evil.pt"), "evil.pt");
 * // HrmError: evil.pt: archive/data.pkl: ... the pickle calls posix.system, which a state dict
 * // never needs; refusing to load it ...
 * ```
 */
export async function decodeTorchCheckpoint(
  bytes: Uint8Array,
  file: string,
): Promise<Safetensors> {
  const zip = new ZipArchive(bytes, file);
  const pkls = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length !== 1) {
    throw new HrmError(
      file,
      pkls.length === 0
        ? "zip archive without <folder>/data.pkl: not a torch.save checkpoint"
        : `zip archive with ${pkls.length} data.pkl entries: not a single torch.save checkpoint`,
    );
  }
  const prefix = pkls[0].slice(0, -"data.pkl".length);
  const fail = (problem: string): never => {
    throw new HrmError(file, problem);
  };
  let big = false;
  if (zip.entries.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(await zip.read(`${prefix}byteorder`)).trim();
    if (order !== "little" && order !== "big") fail(`byteorder entry says ${order}`);
    big = order === "big";
  }
  let root: unknown;
  try {
    root = unpickle(await zip.read(pkls[0]), {
      findGlobal: stateDictGlobal,
      persistentLoad(pid) {
        if (!Array.isArray(pid) || pid[0] !== "storage" || pid.length < 5) {
          throw new Error(`unexpected persistent id ${JSON.stringify(String(pid))}`);
        }
        const [, type, key, , numel] = pid;
        if (!(type instanceof StorageType)) throw new Error("persistent id without a storage type");
        if (typeof key !== "string" || !isIndex(numel)) throw new Error("malformed storage id");
        return { dtype: type.dtype, key, numel } satisfies StorageRef;
      },
      build(obj) {
        // OrderedDict state (a state dict's `_metadata`: module versions) is not needed
        if (!(obj instanceof Map) && !(obj instanceof TensorRef)) {
          throw new Error("BUILD on an object other than a dict or tensor");
        }
      },
    });
  } catch (e) {
    if (e instanceof PickleError) fail(`${pkls[0]}: ${e.message}`);
    throw e;
  }
  if (!(root instanceof Map)) fail("the pickle holds no dict: not a state dict");
  const storages = new Map<string, Uint8Array>();
  const tensors = new Map<string, StTensor>();
  for (const [name, v] of root as Map<unknown, unknown>) {
    if (typeof name !== "string") fail(`state dict key ${String(name)} is not a string`);
    if (!(v instanceof TensorRef)) {
      fail(`state dict entry ${name} is not a tensor (a checkpoint of something else?)`);
    }
    const t = v as TensorRef;
    const s = t.storage;
    let raw = storages.get(s.key);
    if (!raw) {
      raw = await zip.read(`${prefix}data/${s.key}`);
      if (raw.length < s.numel * ELEMENT[s.dtype].size) {
        fail(`storage data/${s.key} has ${raw.length} bytes, ${s.numel} ${s.dtype} need more`);
      }
      storages.set(s.key, raw);
    }
    tensors.set(name as string, materialize(t, raw, big, (p) => fail(`tensor ${name}: ${p}`)));
  }
  return { tensors, metadata: { format: "torch" } };
}

/** Copies a (possibly strided) view out of its storage as a contiguous little-endian tensor. */
function materialize(
  t: TensorRef,
  raw: Uint8Array,
  big: boolean,
  fail: (p: string) => never,
): StTensor {
  const { size: es, ctor } = ELEMENT[t.storage.dtype];
  const n = t.size.reduce((a, b) => a * b, 1);
  let last = t.offset;
  for (let d = 0; d < t.size.length; d++) if (t.size[d] > 0) last += (t.size[d] - 1) * t.stride[d];
  if (n > 0 && last >= t.storage.numel) {
    fail(
      `view [${t.size}] stride [${t.stride}] offset ${t.offset} reaches element ${last}, ` +
        `past the storage's ${t.storage.numel}`,
    );
  }
  const contiguous = t.size.every((_, d) =>
    t.size[d] <= 1 || t.stride[d] === t.size.slice(d + 1).reduce((a, b) => a * b, 1)
  );
  const at = raw.byteOffset + t.offset * es;
  if (contiguous && !(big && es > 1) && at % es === 0) {
    // A view into the archive (torch aligns storages): no copy of a multi-GB table.
    const data = new ctor(raw.buffer as ArrayBuffer, at, n);
    return { dtype: t.storage.dtype, shape: [...t.size], data };
  }
  const out = new Uint8Array(n * es);
  if (contiguous) out.set(raw.subarray(t.offset * es, (t.offset + n) * es));
  else {
    const idx = new Array(t.size.length).fill(0);
    let src = t.offset;
    for (let i = 0; i < n; i++) {
      out.set(raw.subarray(src * es, src * es + es), i * es);
      for (let d = t.size.length - 1; d >= 0; d--) {
        src += t.stride[d];
        if (++idx[d] < t.size[d]) break;
        src -= t.stride[d] * t.size[d];
        idx[d] = 0;
      }
    }
  }
  if (big && es > 1) { for (let i = 0; i < out.length; i += es) out.subarray(i, i + es).reverse(); }
  return { dtype: t.storage.dtype, shape: [...t.size], data: new ctor(out.buffer, 0, n) };
}
