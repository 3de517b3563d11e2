// The torch.save reader on archives this test writes itself (see _torch_writer.ts), and on the
// reference-made checkpoint in ../shared when present.
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { fromFileUrl } from "@std/path";
import { HrmError } from "../../lib/errors.ts";
import { readSafetensors, type StTensor, toFloat32 } from "../../lib/io/safetensors.ts";
import { decodeTorchCheckpoint } from "../../lib/io/torch.ts";
import { decodeWeights, readWeights } from "../../lib/io/weights.ts";
import { unpickle } from "../../lib/io/pickle.ts";
import { crc32, ZipArchive } from "../../lib/io/zip.ts";
import {
  f32Bytes,
  PickleWriter,
  stateDictPickle,
  torchArchive,
  zipStored,
} from "./_torch_writer.ts";

const values = (t: StTensor | undefined) => Array.from(toFloat32(t!));

// storage "0": 0..11 as float32; storage "1": bf16 bits of 1.5, -2, 0.25
const STORAGES = {
  "0": f32Bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
  "1": new Uint8Array(new Uint16Array([0x3fc0, 0xc000, 0x3e80]).buffer),
};
const SPECS = [
  // a [3,4] matrix, contiguous
  {
    name: "_orig_mod.model.inner.w",
    storage: "FloatStorage",
    key: "0",
    numel: 12,
    offset: 0,
    size: [3, 4],
    stride: [4, 1],
  },
  // its transpose: a strided view of the same storage
  {
    name: "_orig_mod.model.inner.wT",
    storage: "FloatStorage",
    key: "0",
    numel: 12,
    offset: 0,
    size: [4, 3],
    stride: [1, 4],
  },
  // column 1 from row 1 on: offset and stride
  {
    name: "_orig_mod.model.inner.col",
    storage: "FloatStorage",
    key: "0",
    numel: 12,
    offset: 5,
    size: [2],
    stride: [4],
  },
  {
    name: "_orig_mod.model.inner.H_init",
    storage: "BFloat16Storage",
    key: "1",
    numel: 3,
    offset: 0,
    size: [3],
    stride: [1],
    parameter: true,
  },
];

Deno.test("torch checkpoint: strided views, shared storage, bf16 and parameters load", async () => {
  const bytes = torchArchive("checkpoint", stateDictPickle(SPECS), STORAGES);
  const { tensors, metadata } = await decodeWeights(bytes, "ckpt");
  assertEquals(metadata.format, "torch");
  assertEquals([...tensors.keys()], SPECS.map((s) => s.name));
  const w = tensors.get("_orig_mod.model.inner.w")!;
  assertEquals([w.dtype, w.shape], ["F32", [3, 4]]);
  assertEquals(values(w), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assertEquals(tensors.get("_orig_mod.model.inner.wT")!.shape, [4, 3]);
  assertEquals(values(tensors.get("_orig_mod.model.inner.wT")), [
    0,
    4,
    8,
    1,
    5,
    9,
    2,
    6,
    10,
    3,
    7,
    11,
  ]);
  assertEquals(values(tensors.get("_orig_mod.model.inner.col")), [5, 9]);
  const h = tensors.get("_orig_mod.model.inner.H_init")!;
  assertEquals(h.dtype, "BF16");
  assertEquals(values(h), [1.5, -2, 0.25]);
});

Deno.test("torch checkpoint: newer torch's folder name and extra entries, big-endian data", async () => {
  const extra = { ".data/version": "3\n", ".data/serialization_id": "123\n", byteorder: "big" };
  const big = { "0": f32Bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], true) };
  const bytes = torchArchive("archive", stateDictPickle(SPECS.slice(0, 3)), big, extra);
  const { tensors } = await decodeWeights(bytes, "ckpt");
  assertEquals(values(tensors.get("_orig_mod.model.inner.wT")).slice(0, 3), [0, 4, 8]);
  assertEquals(values(tensors.get("_orig_mod.model.inner.col")), [5, 9]);
});

Deno.test("torch checkpoint: a pickle calling os.system is refused by name, not run", async () => {
  const marker = await Deno.makeTempFile();
  await Deno.remove(marker);
  const evil = new PickleWriter().proto().global("posix", "system").str(`touch ${marker}`)
    .raw(0x85, 0x52).bytes(); // TUPLE1, REDUCE
  const bytes = torchArchive("checkpoint", evil, {});
  const e = await assertRejects(() => decodeWeights(bytes, "evil.pt"), HrmError);
  assertStringIncludes(e.message, "evil.pt: checkpoint/data.pkl");
  assertStringIncludes(e.message, "posix.system");
  assertStringIncludes(e.message, "refusing");
  assert(!(await Deno.stat(marker).then(() => true, () => false)), "the command ran");
  // STACK_GLOBAL (protocol 4's form) is checked the same way
  const evil4 = new PickleWriter().proto(4).stackGlobal("builtins", "eval").str("1")
    .raw(0x85, 0x52).bytes();
  const e4 = await assertRejects(
    () => decodeWeights(torchArchive("a", evil4, {}), "evil4.pt"),
    HrmError,
  );
  assertStringIncludes(e4.message, "builtins.eval");
});

Deno.test("torch checkpoint: malformed archives are one-line errors naming the file", async () => {
  const good = torchArchive("checkpoint", stateDictPickle(SPECS), STORAGES);
  // a view reaching past its storage
  const far = [{ ...SPECS[0], offset: 4 }];
  const e1 = await assertRejects(
    () => decodeWeights(torchArchive("c", stateDictPickle(far), STORAGES), "far.pt"),
    HrmError,
  );
  assertStringIncludes(e1.message, "far.pt: tensor _orig_mod.model.inner.w: view [3,4]");
  // a missing storage entry
  const e2 = await assertRejects(
    () => decodeWeights(torchArchive("c", stateDictPickle(SPECS), { "0": STORAGES["0"] }), "m.pt"),
    HrmError,
  );
  assertStringIncludes(e2.message, "m.pt: archive has no entry c/data/1");
  // truncated: the end record is gone
  const e3 = await assertRejects(
    () => decodeWeights(good.subarray(0, good.length - 30), "t.pt"),
    HrmError,
  );
  assertStringIncludes(e3.message, "t.pt: not a complete zip archive");
  // a flipped byte in a storage
  const flipped = good.slice();
  flipped[good.indexOf(0x41, 200)] ^= 1; // inside storage data (11.0f = 0x41300000)
  const e4 = await assertRejects(() => decodeWeights(flipped, "f.pt"), HrmError);
  assertStringIncludes(e4.message, "CRC-32 mismatch");
  // a zip that is not a torch checkpoint
  const other = zipStored([["readme.txt", new TextEncoder().encode("hi")]]);
  const e5 = await assertRejects(() => decodeTorchCheckpoint(other, "o.zip"), HrmError);
  assertStringIncludes(e5.message, "o.zip: zip archive without <folder>/data.pkl");
  // a pre-1.6 bare pickle
  const e6 = await assertRejects(
    () => decodeWeights(new Uint8Array([0x80, 2, 0x8a, 0x0a]), "old.pt"),
    HrmError,
  );
  assertStringIncludes(e6.message, "old.pt: a bare pickle");
  // a pickle whose dict holds something other than tensors
  const notTensors = new PickleWriter().proto().raw(0x7d).str("step").int(3).raw(0x73).bytes();
  const e7 = await assertRejects(
    () => decodeWeights(torchArchive("c", notTensors, {}), "s.pt"),
    HrmError,
  );
  assertStringIncludes(e7.message, "s.pt: state dict entry step is not a tensor");
});

Deno.test("unpickle: memo, long ints, text opcodes and truncation", () => {
  const p = new PickleWriter().proto().raw(0x5d).put().raw(0x28).int(70000).raw(0x8a, 2, 0xff, 0x7f)
    .raw(0x8a, 1, 0xff).raw(0x49, ...new TextEncoder().encode("01\n")).get(0).raw(0x65).bytes();
  const v = unpickle(p, {
    findGlobal: () => {
      throw new Error("no");
    },
  }) as unknown[];
  assertEquals(v.slice(0, 4), [70000, 32767, -1, true]);
  assert(v[4] === v, "memo returns the same list");
  let msg = "";
  try {
    unpickle(p.subarray(0, 5), { findGlobal: () => ({ qualname: "x", call: () => 0 }) });
  } catch (e) {
    msg = (e as Error).message;
  }
  assertStringIncludes(msg, "truncated pickle");
});

Deno.test("zip: crc32 and deflated entries", async () => {
  assertEquals(crc32(new TextEncoder().encode("The quick brown fox")), 0xb74574de);
  // a deflated entry, written by hand from CompressionStream
  const data = new TextEncoder().encode("hello hello hello hello");
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  const deflated = new Uint8Array(await new Response(stream).arrayBuffer());
  const z = zipStored([["x", deflated]]);
  const dv = new DataView(z.buffer);
  const cd = z.length - 22 - 47; // the one central entry ("x": 46 + 1 bytes)
  for (const at of [8, cd + 10]) dv.setUint16(at, 8, true); // method = deflate
  for (const at of [14, cd + 16]) dv.setUint32(at, crc32(data), true);
  for (const at of [22, cd + 24]) dv.setUint32(at, data.length, true);
  const out = await new ZipArchive(z, "d.zip").read("x");
  assertEquals(new TextDecoder().decode(out), "hello hello hello hello");
});

const GOLDEN = fromFileUrl(new URL("../../../shared/golden/hrm-a/torch/", import.meta.url));
const haveGolden = await Deno.stat(GOLDEN).then(() => true, () => false);
if (!haveGolden) console.warn(`golden torch checkpoint test skipped: ${GOLDEN} is absent`);

Deno.test({
  name: "torch checkpoint made by the reference gives expected.safetensors exactly",
  ignore: !haveGolden,
  fn: async () => {
    const got = await readWeights(`${GOLDEN}checkpoint`);
    const want = await readSafetensors(`${GOLDEN}expected.safetensors`);
    assertEquals(got.tensors.size, want.tensors.size);
    for (const [name, t] of got.tensors) {
      assert(name.startsWith("_orig_mod.model.inner."), name);
      const w = want.tensors.get(name.slice("_orig_mod.model.".length));
      assert(w, `expected.safetensors lacks ${name}`);
      assertEquals(t.shape, w.shape, name);
      assertEquals(t.dtype, name.endsWith("_init") ? "BF16" : "F32", name);
      assertEquals(toFloat32(t), toFloat32(w), name);
    }
  },
});
