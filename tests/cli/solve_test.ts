// `hrm solve` end to end on the golden hrm-a weights (an untrained 9×9 Sudoku HRM, 4 segments):
// JSON lines with every field, per-puzzle refusals and exit status 1, a size mismatch named,
// --act, a reference-format torch checkpoint whose config lacks the
// vocabulary, and --trace / --show png.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { readSafetensors, writeSafetensors } from "../../lib/io/safetensors.ts";
import { createModel } from "../../lib/model/create.ts";
import { archFromConfig } from "../../lib/model/dims.ts";
import { initHrm, stateDict } from "../../lib/model/state.ts";
import { readTrace } from "../../lib/eval/trace.ts";
import { judgeAnswer, parsePuzzle, type Puzzle, solutionTokens } from "../../lib/eval/puzzles.ts";
import { torchCheckpointOf } from "../io/_torch_writer.ts";
import { gpuTest } from "../_helpers.ts";
import { hrm } from "./_hrm.ts";

const DIR = new URL("../fixtures/golden/hrm-a/", import.meta.url).pathname;
const golden = JSON.parse(await Deno.readTextFile(`${DIR}config.json`));
const SOLUTION =
  "534678912672195348198342567859761423426853791713924856961537284287419635345286179";
const PUZZLE = SOLUTION.split("").map((c, i) => (i % 3 === 0 ? c : ".")).join("");

async function runDir(): Promise<string> {
  const dir = await Deno.makeTempDir();
  // The released all_config.yaml has no dataset sizes; data_path points nowhere here either.
  await Deno.writeTextFile(
    `${dir}/all_config.yaml`,
    JSON.stringify({ arch: golden.arch, data_path: `${dir}/no-such-data` }),
  );
  await Deno.copyFile(`${DIR}weights.safetensors`, `${dir}/step_1.safetensors`);
  return dir;
}

gpuTest("hrm solve: JSON lines, refusals one by one, exit status 1", async () => {
  const dir = await runDir();
  const r = await hrm(
    "solve",
    "--checkpoint",
    `${dir}/step_1.safetensors`,
    "--json",
    PUZZLE,
    "11" + ".".repeat(79),
    "12..34....21....",
    PUZZLE.replaceAll(".", "0"),
  );
  assertEquals(r.code, 1, r.stderr);
  assertStringIncludes(r.stderr, "2 of 4 puzzles refused");
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(lines.length, 4);
  assertEquals(lines.map((l) => l.index), [0, 1, 2, 3]);
  for (const i of [0, 3]) {
    const l = lines[i];
    assertEquals(l.puzzle, PUZZLE);
    assertEquals(l.segments, golden.arch.halt_max_steps);
    assert(typeof l.answer === "string" && /^[1-9.]{81}$/.test(l.answer), l.answer);
    assert(typeof l.valid === "boolean");
    assert(l.q_halt > 0 && l.q_halt < 1, String(l.q_halt));
  }
  assertEquals(lines[0].answer, lines[3].answer);
  // Without --json: a puzzle with no solution says so (row 1's last cell can only be the 9 that
  // column 9 already has).
  const none = "12345678." + "........9" + ".".repeat(63);
  const t = await hrm("solve", "--checkpoint", `${dir}/step_1.safetensors`, none, PUZZLE);
  assertEquals(t.code, 0, t.stderr);
  const heads = t.stdout.split("\n").filter((l) => l.startsWith("puzzle "));
  assertStringIncludes(heads[0], "; the puzzle has no solution)");
  assert(!heads[1].includes("no solution"), heads[1]);
  assertEquals(lines[1].error, "row 1 has two 1s");
  assertStringIncludes(lines[2].error, "a 4×4 Sudoku needs a model with a vocabulary of 6");
  await Deno.remove(dir, { recursive: true });
});

gpuTest("hrm solve --act on a reference torch checkpoint; --trace and --show png", async () => {
  const dir = await runDir();
  const weights = await readSafetensors(`${DIR}weights.safetensors`);
  await Deno.writeFile(`${dir}/checkpoint`, torchCheckpointOf(weights.tensors));
  // three masks of one grid, the second drawn over lines
  const rows = [2, 3, 4].map((k) =>
    SOLUTION.split("").map((c, i) => (i % k === 0 ? c : ".")).join("")
  );
  rows[1] = Array.from({ length: 9 }, (_, r) => rows[1].slice(r * 9, r * 9 + 9)).join("\n") +
    "\n";
  await Deno.writeTextFile(`${dir}/puzzles.txt`, rows.join("\n\n") + "\n");
  const r = await hrm(
    "solve",
    "--checkpoint",
    `${dir}/checkpoint`,
    "--file",
    `${dir}/puzzles.txt`,
    "--act",
    "--trace",
    `${dir}/t.safetensors`,
    "--show",
    "png",
    "--out",
    `${dir}/p.png`,
  );
  assertEquals(r.code, 0, r.stderr);
  const heads = r.stdout.split("\n").filter((l) => l.startsWith("puzzle "));
  assertEquals(heads.length, 3, r.stdout);
  for (const h of heads) assert(/, [1-4] segments?, q_halt 0\.\d{3}$/.test(h), h);
  const trace = await readTrace(`${dir}/t.safetensors`);
  const used = heads.map((h) => Number(/, (\d) segments?/.exec(h)![1]));
  assertEquals([trace.n, trace.segments, trace.meta.task], [3, Math.max(...used), "sudoku"]);
  // labels: a solution of each puzzle (the solver's, the untrained model's answers being wrong)
  for (let i = 0; i < 3; i++) {
    const labels = trace.labels.subarray(i * 81, (i + 1) * 81);
    assertEquals(judgeAnswer(parsePuzzle(rows[i]) as Puzzle, labels).valid, true);
  }
  for (let i = 1; i <= 3; i++) {
    const png = await Deno.readFile(`${dir}/p.${i}.png`);
    assertEquals([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("hrm solve: usage errors", async () => {
  const r = await hrm("solve", "--checkpoint", "x");
  assertEquals(r.code, 2);
  assertStringIncludes(r.stderr, "no puzzles");
  const s = await hrm("solve", "--checkpoint", "x", "--show", "png", PUZZLE);
  assertEquals(s.code, 2);
  assertStringIncludes(s.stderr, "--show png needs --out PATH");
});

gpuTest("hrm solve: mazes through a maze-sized model (vocab 6), answers as grids", async (gpu) => {
  const dir = await Deno.makeTempDir();
  const arch = { ...golden.arch, halt_max_steps: 2 };
  await Deno.writeTextFile(
    `${dir}/all_config.yaml`,
    JSON.stringify({ arch, data_path: `${dir}/none` }),
  );
  const model = createModel(
    gpu,
    archFromConfig(arch, { vocab_size: 6, seq_len: 25, num_puzzle_identifiers: 1 }),
  );
  initHrm(model, 3);
  await writeSafetensors(`${dir}/step_1.safetensors`, await stateDict(model), { seq_len: "25" });
  model.release();
  const maze = ["#####", "#S  #", "# # #", "#  G#", "#####"];
  const r = await hrm(
    "solve",
    "--checkpoint",
    `${dir}/step_1.safetensors`,
    "--json",
    "S #\n  #\n# G",
    maze.join("\n"),
    PUZZLE,
  );
  assertEquals(r.code, 1, r.stderr);
  const [small, m, s] = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  // the checkpoint's recorded seq_len wins over the first puzzle's size
  assertStringIncludes(small.error, "a 3×3 maze has 9 cells; this checkpoint takes 25");
  assertEquals([m.kind, m.puzzle, m.segments], ["maze", maze.join(""), 2]);
  const rows = m.answer.split("\n");
  assertEquals(rows.length, 5);
  assert(rows.every((row: string) => /^[# SGo?]{5}$/.test(row)), m.answer);
  assertEquals(typeof m.valid, "boolean");
  assertStringIncludes(s.error, "a 9×9 Sudoku needs a model with a vocabulary of 11");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("hrm solve --help: its example puzzle parses and has a solution", async () => {
  const { solveCommand } = await import("../../lib/cli/solve.ts");
  const examples = [...solveCommand.description!.matchAll(/safetensors '([^']+)'/g)].map((m) =>
    m[1]
  );
  assertEquals(examples.length, 1);
  const p = parsePuzzle(examples[0]);
  assert(typeof p !== "string", String(p));
  assert(solutionTokens(p, p.tokens) !== undefined, `${examples[0]} has no solution`);
});
