// `hrm eval` wiring that needs no GPU: --arc-vote (or --submission) on a dataset without
// arc_variants.json stops before the adapter is requested, naming the missing file.
import { assert, assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { evalCommand } from "../../lib/cli/eval.ts";
import { HrmError } from "../../lib/errors.ts";
import { writeIdentifiers, writeSplit } from "../../lib/io/dataset.ts";
import { encodeMaze } from "../../datasets/maze/encoding.ts";

/** A one-maze dataset and a config pointing at it. */
async function tinyMaze(dir: string): Promise<string> {
  const data = join(dir, "maze");
  const input = encodeMaze("S " + " G"), label = encodeMaze("So" + " G");
  await writeSplit(data, "test", {
    seq_len: 4,
    vocab_size: 6,
    pad_id: 0,
    ignore_label_id: 0,
    blank_identifier_id: 0,
    num_puzzle_identifiers: 1,
  }, {
    inputs: input,
    labels: label,
    puzzle_identifiers: new Int32Array(1),
    puzzle_indices: Int32Array.of(0, 1),
    group_indices: Int32Array.of(0, 1),
  });
  await writeIdentifiers(data, ["<blank>"]);
  const config = join(dir, "all_config.yaml");
  await Deno.writeTextFile(config, `data_path: ${data}\n`);
  return config;
}

Deno.test("hrm eval --arc-vote needs arc_variants.json and says so before using the GPU", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hrm-eval-cli-" });
  try {
    const config = await tinyMaze(dir);
    // The checkpoint must exist (it is checked first) but is never read.
    await Deno.writeTextFile(join(dir, "none.safetensors"), "");
    for (const flags of [{ "arc-vote": true }, { submission: join(dir, "s.json") }]) {
      const e = await assertRejects(
        () =>
          evalCommand.run({
            flags: { checkpoint: join(dir, "none.safetensors"), config, ...flags },
            positionals: [],
            overrides: [],
            debug: false,
          }),
        HrmError,
      );
      assertEquals(e.file, join(dir, "maze", "arc_variants.json"));
      assert(
        e.message.endsWith("not found: ARC voting needs a dataset built by hrm gen arc"),
        e.message,
      );
    }
    const names = evalCommand.flags.map((f) => f.name);
    assertEquals(names.includes("arc-vote") && names.includes("submission"), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
