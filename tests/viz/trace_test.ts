// Trace files: round trip through writeTrace/readTrace, and clear errors for bad files.
import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { HrmError } from "../../lib/errors.ts";
import { readTrace, writeTrace } from "../../lib/eval/trace.ts";
import { writeSafetensors } from "../../lib/io/safetensors.ts";
import { loadTrace } from "../../lib/viz/load_trace.ts";
import { tinyTrace, vizFixture } from "./_fixtures.ts";

Deno.test("a trace round-trips with and without states", async () => {
  const dir = await Deno.makeTempDir();
  for (const states of [false, true]) {
    const t = tinyTrace(9, 3, states);
    const file = join(dir, `t${states}.safetensors`);
    await writeTrace(file, t);
    const back = await readTrace(file);
    assertEquals(back.n, 1);
    assertEquals(back.segments, 3);
    assertEquals(back.meta, t.meta);
    for (
      const k of [
        "inputs",
        "labels",
        "puzzle_identifiers",
        "preds",
        "q_halt_logits",
        "q_continue_logits",
      ] as const
    ) {
      assertEquals(Array.from(back[k]), Array.from(t[k]), k);
    }
    assertEquals(back.z_H && Array.from(back.z_H), t.z_H && Array.from(t.z_H));
    assertEquals(back.z_L && Array.from(back.z_L), t.z_L && Array.from(t.z_L));
  }
});

Deno.test("the committed fixtures are valid traces of their tasks", async () => {
  for (
    const [name, task, S] of [["sudoku", "sudoku", 81], ["maze", "maze", 100], [
      "arc",
      "arc",
      900,
    ]] as const
  ) {
    const t = await readTrace(vizFixture(`${name}.trace.safetensors`));
    assertEquals(t.meta.task, task);
    assertEquals(t.meta.seq_len, S);
    assertEquals(t.preds.length, t.n * t.segments * S);
  }
  const s = await readTrace(vizFixture("states.trace.safetensors"));
  assertEquals(s.z_H!.length, 2 * 4 * 17 * 16);
});

async function expectError(file: string, ...parts: string[]) {
  const e = await assertRejects(() => loadTrace(file), HrmError);
  assertStringIncludes(e.message, file);
  for (const p of parts) assertStringIncludes(e.message, p);
}

Deno.test("bad trace files give errors that name the file and the problem", async () => {
  const dir = await Deno.makeTempDir();
  await expectError(join(dir, "missing.safetensors"), "not found");

  const text = join(dir, "notes.txt");
  await Deno.writeTextFile(text, "these are not tensors at all, just words\n");
  await expectError(text, "not a readable trace", "hrm eval --trace");

  const good = join(dir, "good.safetensors");
  await writeTrace(good, tinyTrace());
  const bytes = await Deno.readFile(good);
  const cut = join(dir, "cut.safetensors");
  await Deno.writeFile(cut, bytes.subarray(0, bytes.length - 10));
  await expectError(cut, "truncated", "not a readable trace");

  const weights = join(dir, "weights.safetensors");
  await writeSafetensors(weights, { w: { dtype: "F32", shape: [2], data: new Float32Array(2) } });
  await expectError(weights, "not an hrm trace", "hrm eval --trace");

  const t = tinyTrace();
  const meta = {
    format: "hrm-trace",
    version: "1",
    task: "unknown",
    vocab_size: "5",
    seq_len: "4",
    puzzle_emb_len: "1",
    hidden_size: "3",
    segments: "2",
    dataset: "",
    checkpoint: "",
  };
  const base = {
    inputs: { dtype: "I32" as const, shape: [1, 4], data: t.inputs },
    labels: { dtype: "I32" as const, shape: [1, 4], data: t.labels },
    puzzle_identifiers: { dtype: "I32" as const, shape: [1], data: t.puzzle_identifiers },
    preds: { dtype: "I32" as const, shape: [1, 2, 4], data: t.preds },
    q_halt_logits: { dtype: "F32" as const, shape: [1, 2], data: t.q_halt_logits },
    q_continue_logits: { dtype: "F32" as const, shape: [1, 2], data: t.q_continue_logits },
  };
  const shape = join(dir, "shape.safetensors");
  await writeSafetensors(
    shape,
    { ...base, preds: { dtype: "I32", shape: [1, 8], data: t.preds } },
    meta,
  );
  await expectError(shape, "preds has shape [1,8], expected [1,2,4]");

  const dtype = join(dir, "dtype.safetensors");
  await writeSafetensors(dtype, {
    ...base,
    q_halt_logits: { dtype: "I32", shape: [1, 2], data: new Int32Array(2) },
  }, meta);
  await expectError(dtype, "q_halt_logits is I32, expected F32");

  const noPreds = join(dir, "nopreds.safetensors");
  const { preds: _p, ...rest } = base;
  await writeSafetensors(noPreds, rest, meta);
  await expectError(noPreds, "trace has no tensor preds");
});
