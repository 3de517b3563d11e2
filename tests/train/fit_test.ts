// Models and batches too large for the adapter are refused before anything is allocated, in one
// line with the numbers and the way out; repeated GPU errors are reported once, counted.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { getPreset } from "../../lib/config/presets.ts";
import { HrmError } from "../../lib/errors.ts";
import { summarizeErrors } from "../../lib/gpu/device.ts";
import { archFromConfig, hrmDims } from "../../lib/model/dims.ts";
import { buildModel, microBatch } from "../../lib/train/loop.ts";
import { checkFits } from "../../lib/train/fit.ts";
import { gpuTest } from "../_helpers.ts";

// lavapipe's limits (the "maximum buffer size (2147483647)").
const LAVAPIPE = { maxBufferSize: 2147483647, maxStorageBufferBindingSize: 2147483647 };
const ARC1 = { vocab_size: 12, seq_len: 900, num_puzzle_identifiers: 961_000 };

function fits(preset: string, data: typeof ARC1, batch: number) {
  const arch = archFromConfig(getPreset(preset).arch, data);
  checkFits(LAVAPIPE, arch, hrmDims(arch), batch);
}

Deno.test("checkFits: the paper ARC model at batch 768 is refused with the numbers and the fix", () => {
  const e = assertThrows(() => fits("arc-1", ARC1, 768), HrmError);
  assert(!e.message.includes("\n"), "one line");
  for (
    const s of ["SwiGLU gate/up", "[768, 901, 3072]", "8.5 GB", "2.1 GB", "global_batch_size 768"]
  ) {
    assert(e.message.includes(s), `${e.message} names ${s}`);
  }
  const fit = Number(/global_batch_size=(\d+) or less/.exec(e.message)![1]);
  fits("arc-1", ARC1, fit); // the suggested batch fits
  assertThrows(() => fits("arc-1", ARC1, fit + 1), HrmError);
  assert(e.message.includes("-cpu preset"));
});

Deno.test("microBatch: explicit micro_batch_size, automatic split from the adapter's buffers", () => {
  const arc = getPreset("arc-1");
  const e = assertThrows(() => fits("arc-1", ARC1, 768), HrmError);
  const fit = Number(/global_batch_size=(\d+) or less/.exec(e.message)![1]);
  // Automatic: the largest micro-batch that fits, said in a note.
  const auto = microBatch(LAVAPIPE, arc, ARC1);
  assertEquals(auto.rows, fit);
  assertEquals(auto.flag, "micro_batch_size");
  assert(auto.note!.includes(`micro-batches: ${Math.ceil(768 / fit)} of up to ${fit} rows`));
  assert(auto.note!.includes("automatic"));
  // Explicit: as set (at most the batch), checked under its own name.
  const set = microBatch(LAVAPIPE, { ...arc, micro_batch_size: 64 }, ARC1);
  assertEquals([set.rows, set.flag], [64, "micro_batch_size"]);
  assert(set.note!.includes("12 of up to 64 rows per step of 768 (micro_batch_size)"));
  assertEquals(microBatch(LAVAPIPE, { ...arc, micro_batch_size: 1000 }, ARC1).rows, 768);
  // A batch that fits is not split, and nothing is said.
  const cpu = microBatch(LAVAPIPE, getPreset("sudoku-cpu"), {
    ...ARC1,
    seq_len: 81,
    vocab_size: 11,
  });
  assertEquals([cpu.rows, cpu.note], [getPreset("sudoku-cpu").global_batch_size, undefined]);
});

Deno.test("checkFits: a puzzle-embedding table past the limit names it (ARC-2: 1.12M ids)", () => {
  const e = assertThrows(
    () => fits("arc-2", { ...ARC1, num_puzzle_identifiers: 1_120_000 }, 8),
    HrmError,
    "puzzle embedding table",
  );
  assert(e.message.includes("puzzle_emb_ndim=0"), e.message);
});

Deno.test("checkFits: the CPU presets and the paper Sudoku model on a real GPU's limits fit", () => {
  fits("sudoku-cpu", { vocab_size: 11, seq_len: 81, num_puzzle_identifiers: 1 }, 32);
  fits("maze-cpu", { vocab_size: 6, seq_len: 900, num_puzzle_identifiers: 1 }, 16);
  const arch = archFromConfig(getPreset("sudoku-extreme").arch, {
    vocab_size: 11,
    seq_len: 81,
    num_puzzle_identifiers: 1,
  });
  checkFits(
    { maxBufferSize: 2 ** 40, maxStorageBufferBindingSize: 2 ** 32 - 1 },
    arch,
    hrmDims(arch),
    768,
  );
});

Deno.test("summarizeErrors: a message repeated per dispatch is shown once with its count", () => {
  const msg = "Buffer size 4294967296 is greater than the maximum buffer size (2147483647)";
  const line = summarizeErrors([...Array(5000).fill(msg), "other\nerror"]);
  assertEquals(line, `${msg} (×5000) | other error`);
  const many = summarizeErrors(Array.from({ length: 10 }, (_, i) => `e${i}`));
  assertEquals(many, "e0 | e1 | e2 | and 7 other kinds of error");
});

gpuTest(
  "buildModel with a batch refuses before allocating; the pool refuses oversized buffers",
  async (gpu) => {
    const cfg = getPreset("sudoku-extreme");
    const meta = { vocab_size: 11, seq_len: 81, num_puzzle_identifiers: 1 } as Parameters<
      typeof buildModel
    >[2];
    const before = gpu.pool.stats().creations;
    const limit = Math.min(gpu.limits.maxBufferSize, gpu.limits.maxStorageBufferBindingSize);
    const huge = Math.ceil(limit / (82 * 3072 * 4)) + 1;
    await (async () => {
      try {
        await buildModel(gpu, cfg, meta, undefined, huge);
        throw new Error("not refused");
      } catch (e) {
        assert(e instanceof HrmError && e.message.includes("global_batch_size="), String(e));
      }
    })();
    assertEquals(gpu.pool.stats().creations, before, "nothing allocated");
    assertThrows(() => gpu.pool.acquire(limit + 1, "too_big"), HrmError, "too_big");
    assertEquals(gpu.errors.length, 0, "the device never saw it");
  },
);
