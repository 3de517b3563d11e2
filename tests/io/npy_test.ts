import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { HrmError } from "../../lib/errors.ts";
import {
  decodeNpy,
  encodeNpy,
  type NpyData,
  type NpyDtype,
  npyHeader,
  readNpy,
  writeNpy,
} from "../../lib/io/npy.ts";
import { fixture, runPython } from "./_python.ts";

const f32 = Math.fround;
// What tests/fixtures/io/make_npy.py saved, file by file.
const EXPECTED: Record<string, { dtype: NpyDtype; shape: number[]; values: unknown[] }> = {
  "u1_2x3.npy": { dtype: "|u1", shape: [2, 3], values: [0, 40, 80, 120, 160, 200] },
  "i1_4.npy": { dtype: "|i1", shape: [4], values: [-128, -1, 0, 127] },
  "i4_3x4.npy": {
    dtype: "<i4",
    shape: [3, 4],
    values: Array.from({ length: 12 }, (_, i) => (i - 6) * 1000003),
  },
  "i8_5.npy": {
    dtype: "<i8",
    shape: [5],
    values: [0n, -5n, 2n ** 40n, -(2n ** 53n) + 1n, 2n ** 62n],
  },
  "f2_3.npy": { dtype: "<f2", shape: [3], values: [1.5, -65504, 2 ** -24] },
  "f4_2x2.npy": { dtype: "<f4", shape: [2, 2], values: [f32(0.1), -2.5, Infinity, f32(3e38)] },
  "f8_3.npy": { dtype: "<f8", shape: [3], values: [Math.PI, -1e-300, 1e300] },
  "b1_5.npy": { dtype: "|b1", shape: [5], values: [1, 0, 1, 1, 0] },
  "f4_scalar.npy": { dtype: "<f4", shape: [], values: [42.5] },
  "u1_0x81.npy": { dtype: "|u1", shape: [0, 81], values: [] },
  "i4_100000x0.npy": { dtype: "<i4", shape: [100000, 0], values: [] },
  "i4_v2.npy": { dtype: "<i4", shape: [2, 3], values: [1, 2, 3, 4, 5, 6] },
  "f4_v3.npy": { dtype: "<f4", shape: [3], values: [0.5, 0.25, -8] },
};

Deno.test("decodeNpy reads every numpy-written fixture, header versions 1.0, 2.0 and 3.0", async () => {
  for (const [name, want] of Object.entries(EXPECTED)) {
    const a = await readNpy(fixture(`npy/${name}`));
    assertEquals(a.dtype, want.dtype, name);
    assertEquals(a.shape, want.shape, name);
    assertEquals(Array.from(a.data as ArrayLike<unknown>), want.values, name);
  }
  const v2 = await Deno.readFile(fixture("npy/i4_v2.npy"));
  const v3 = await Deno.readFile(fixture("npy/f4_v3.npy"));
  assertEquals([v2[6], v3[6]], [2, 3]); // the fixtures really are v2.0 and v3.0
});

Deno.test("encodeNpy writes the same bytes as np.save", async () => {
  for (const [name, want] of Object.entries(EXPECTED)) {
    if (name.includes("_v")) continue; // np.save picks 1.0; those were forced to 2.0/3.0
    const bytes = await Deno.readFile(fixture(`npy/${name}`));
    const a = decodeNpy(bytes, name);
    assertEquals(encodeNpy(a.data, a.shape, want.dtype), bytes, name);
  }
});

Deno.test("decodeNpy data is a view when aligned and a copy when not", () => {
  const bytes = encodeNpy(new Float64Array([1.25, -3]), [2]);
  const view = decodeNpy(bytes, "v.npy");
  assert(view.data.buffer === bytes.buffer);
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  const copy = decodeNpy(shifted.subarray(3), "c.npy");
  assert(copy.data.buffer !== shifted.buffer);
  assertEquals(Array.from(copy.data as Float64Array), [1.25, -3]);
});

Deno.test("npyHeader is 64-byte aligned and grows to version 2.0 only when needed", () => {
  for (const shape of [[], [0], [7], [3, 81], [123456789, 2, 3, 4, 5]]) {
    const h = npyHeader("<f4", shape);
    assertEquals(h.length % 64, 0, `shape ${shape}`);
    assertEquals(h[6], 1);
    assertEquals(h[h.length - 1], 0x0a);
  }
});

const refusals: [string, string][] = [
  ["fortran_2x3.npy", "fortran_order=True"],
  ["bigendian_i4.npy", "big-endian dtype '>i4'"],
  ["complex_c8.npy", "unsupported dtype '<c8'"],
  ["structured.npy", "structured arrays are not supported"],
];
for (const [name, problem] of refusals) {
  Deno.test(`decodeNpy refuses ${name} with an HrmError naming the file`, async () => {
    const path = fixture(`npy/${name}`);
    const e = await assertRejects(() => readNpy(path), HrmError);
    assertEquals(e.file, path);
    assertStringIncludes(e.message, `${path}: `);
    assertStringIncludes(e.problem, problem);
  });
}

Deno.test("decodeNpy rejects corrupt and truncated files", () => {
  const good = encodeNpy(new Int32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  const withByte = (i: number, v: number) => {
    const b = good.slice();
    b[i] = v;
    return b;
  };
  const cases: [Uint8Array, string][] = [
    [new Uint8Array(0), "bad magic"],
    [withByte(1, 0x4f), "bad magic"],
    [withByte(6, 4), "unsupported .npy format version 4.0"],
    [good.subarray(0, 9), "truncated header: file has only 9 bytes"],
    [good.subarray(0, 40), "truncated header: header claims 118 bytes, file has 30"],
    [withByte(9, 0x10), "truncated header: header claims 4214 bytes, file has 142"],
    [
      good.subarray(0, good.length - 1),
      "truncated data: header claims 24 bytes (<i4 [2,3]), file has 23",
    ],
    [new Uint8Array([...good, 0]), "1 unexpected bytes after the 24 bytes"],
    [withByte(10, 0x28), "malformed header"],
  ];
  for (const [bytes, problem] of cases) {
    const e = assertThrows(() => decodeNpy(bytes, "data/x.npy"), HrmError);
    assertStringIncludes(e.message, "data/x.npy: ", problem);
    assertStringIncludes(e.problem, problem);
  }
  const badShape = new TextEncoder().encode(
    "{'descr': '<i4', 'fortran_order': False, 'shape': (2, x), }",
  );
  const h = npyHeader("<i4", [2, 3]);
  h.set(badShape.subarray(0, Math.min(badShape.length, h.length - 11)), 10);
  assertStringIncludes(assertThrows(() => decodeNpy(h, "s.npy"), HrmError).problem, "bad shape");
});

Deno.test("encodeNpy refuses a shape that does not match the data", () => {
  assertThrows(
    () => encodeNpy(new Uint8Array(5), [2, 3]),
    RangeError,
    "holds 6 elements, array has 5",
  );
  assertThrows(() => encodeNpy(new Float32Array(2), [2], "<i4"), TypeError, "does not fit");
  assertThrows(() => encodeNpy(new Uint8Array(2), [-2]), RangeError, "bad dimension");
});

Deno.test("writeNpy is atomic: a failing write leaves nothing under the final name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/taken.npy`); // rename onto a directory fails after the data is written
    await assertRejects(() => writeNpy(`${dir}/taken.npy`, new Int32Array(4), [4]), HrmError);
    assertEquals((await Deno.stat(`${dir}/taken.npy`)).isDirectory, true);
    await assertRejects(() => writeNpy(`${dir}/bad.npy`, new Int32Array(4), [5]), RangeError);
    const e = await assertRejects(
      () => writeNpy(`${dir}/no/such/dir.npy`, new Int32Array(1), [1]),
      HrmError,
    );
    assertEquals(e.file, `${dir}/no/such/dir.npy`);
    const left = [];
    for await (const entry of Deno.readDir(dir)) left.push(entry.name);
    assertEquals(left, ["taken.npy"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readNpy on a missing file is an HrmError naming it", async () => {
  const e = await assertRejects(() => readNpy("/nonexistent/a.npy"), HrmError);
  assertEquals(e.message, "/nonexistent/a.npy: file or directory not found");
});

Deno.test("numpy loads what writeNpy writes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const arrays: [string, NpyData, number[], NpyDtype][] = [
      ["u1", new Uint8Array([0, 7, 255, 1, 2, 3]), [2, 3], "|u1"],
      ["i1", new Int8Array([-128, 5]), [2], "|i1"],
      ["b1", new Uint8Array([1, 0, 1]), [3], "|b1"],
      ["i4", new Int32Array([-(2 ** 31), 2 ** 31 - 1, 0, 9]), [2, 1, 2], "<i4"],
      ["i8", new BigInt64Array([-(2n ** 63n), 2n ** 53n + 1n]), [2], "<i8"],
      ["f2", new Float16Array([0.5, -2]), [2], "<f2"],
      ["f4", new Float32Array([1.5, -0.25]), [1, 2], "<f4"],
      ["f8", new Float64Array([Math.E]), [], "<f8"],
      ["empty", new Uint8Array(0), [0, 81], "|u1"],
    ];
    for (const [name, data, shape, dtype] of arrays) {
      await writeNpy(`${dir}/${name}.npy`, data, shape, dtype);
    }
    // str() of each element: exact for ints and bools, shortest round-trip repr for floats.
    const got = await runPython(
      `import sys, json, numpy as np
out = {}
for n in sys.argv[2:]:
    a = np.load(f"{sys.argv[1]}/{n}.npy", mmap_mode="r")
    out[n] = [a.dtype.str, list(a.shape), [str(v) for v in a.ravel().tolist()]]
print(json.dumps(out))`,
      [dir, ...arrays.map((a) => a[0])],
    ) as Record<string, [string, number[], string[]]> | undefined;
    if (!got) return;
    for (const [name, data, shape, dtype] of arrays) {
      assertEquals(got[name][0], dtype, name);
      assertEquals(got[name][1], shape, name);
      const want = dtype === "|b1"
        ? Array.from(data as Uint8Array, (v) => (v ? "True" : "False"))
        : Array.from(data as ArrayLike<unknown>, String);
      const back = dtype[1] === "f" ? got[name][2].map((v) => String(Number(v))) : got[name][2];
      assertEquals(back, want, name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
