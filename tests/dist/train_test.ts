// Data-parallel training: the batch split, the golden fixture under `mpirun -np 2` (one step and
// the evaluation match the reference, as one process does), and a whole run with halting and
// SignSGD on duplicate puzzle ids that equals one process with the same global batch up to float
// summation order; a 2-rank run resumed on 1 rank continues the same run.
import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { fromFileUrl } from "@std/path";
import { HrmError } from "../../lib/errors.ts";
import { parseConfig } from "../../lib/config/schema.ts";
import { configToYaml } from "../../lib/config/to_yaml.ts";
import { SplitWriter } from "../../lib/io/split_writer.ts";
import { readSafetensors, toFloat32 } from "../../lib/io/safetensors.ts";
import { checkDivisible, rankRows } from "../../lib/train/distributed.ts";
import { trainRun } from "../../lib/train/loop.ts";
import { maxRelError, maybeGpu } from "../_helpers.ts";
import { MPI_ENV, mpiAvailable, mpirun } from "./_mpi.ts";

Deno.test("checkDivisible: a batch the ranks cannot split is a one-line error with a fix", () => {
  checkDivisible(8, 2);
  const e = assertThrows(() => checkDivisible(10, 4), HrmError);
  assertMatch(e.message, /global_batch_size=10 does not split evenly across 4 ranks.*8 or 12/);
});

Deno.test("rankRows: contiguous rows per rank; padding rows of a test batch are nobody's", () => {
  const S = 2, B = 4;
  const batch = {
    inputs: Int32Array.from({ length: B * S }, (_, i) => i),
    labels: Int32Array.from({ length: B * S }, (_, i) => 100 + i),
    puzzle_identifiers: Int32Array.of(7, 8, 9, 0),
    effective: 3,
    exampleIndex: Int32Array.of(20, 21, 22),
  };
  const r0 = rankRows(batch, { rank: 0, size: 2 }), r1 = rankRows(batch, { rank: 1, size: 2 });
  assertEquals([...r0.inputs], [0, 1, 2, 3]);
  assertEquals([...r1.labels], [104, 105, 106, 107]);
  assertEquals([...r1.puzzle_identifiers], [9, 0]);
  assertEquals([r0.effective, r1.effective], [2, 1]);
  assertEquals([...r1.exampleIndex!], [22]);
  assertEquals(rankRows(batch, { rank: 3, size: 4 }).effective, 0);
});

const why = await mpiAvailable();
const gpu = await maybeGpu();
const here = (f: string) => fromFileUrl(new URL(f, import.meta.url));

Deno.test({
  name: "mpirun -np 2: golden hrm-a, batch 4 split 2+2: one step and the evaluation match",
  ignore: why !== undefined || !gpu,
  async fn() {
    const r = await mpirun(2, [here("./golden_worker.ts")]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.trim().split("\n").sort(), ["golden ok 0", "golden ok 1"]);
  },
});

/**
 * 12 groups of one puzzle (ids 1..12) with 3 examples each: a batch of 8 holds three examples of
 * one puzzle, then three of another, then two of a third, so ids repeat within a rank's rows and
 * across the 4+4 split. Tokens: a fixed map of the input, which the model can learn.
 */
async function dupIdsDataset(dir: string): Promise<void> {
  const S = 8, V = 6;
  let x = 12345;
  const rand = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const example = () => {
    const input = Uint8Array.from({ length: S }, () => 1 + Math.floor(rand() * (V - 1)));
    return { input, label: input.map((t) => 1 + (t % (V - 1))) };
  };
  for (const split of ["train", "test"] as const) {
    const w = new SplitWriter(dir, split, { seq_len: S, vocab_size: V });
    const groups = split === "train" ? 12 : 3;
    for (let g = 0; g < groups; g++) {
      await w.addGroup([{ puzzle_identifier: 1 + g, examples: [example(), example(), example()] }]);
    }
    await w.finish({ num_puzzle_identifiers: 13 });
  }
}

async function weights(file: string): Promise<Map<string, Float32Array>> {
  const { tensors } = await readSafetensors(file);
  return new Map([...tensors].map(([k, v]) => [k, toFloat32(v)]));
}

async function rows(file: string): Promise<Record<string, number>[]> {
  return (await Deno.readTextFile(file)).trim().split("\n").map((l) => JSON.parse(l));
}

/**
 * Same run up to float summation order: weights, the carry's halting, logged metrics (a resumed
 * run logs other windows of train steps: then only the evaluations are compared).
 */
async function assertSameRun(
  a: string,
  b: string,
  ranksB: number,
  resumed = false,
): Promise<void> {
  const latest = JSON.parse(await Deno.readTextFile(`${b}/latest.json`));
  const wa = await weights(`${a}/${latest.checkpoint}`),
    wb = await weights(`${b}/${latest.checkpoint}`);
  // The table starts at zero (init_std 0): SignSGD has moved the rows of the trained puzzles
  // (most of the 12; a dropped last batch can miss one) and never the blank id 0.
  const table = wa.get("inner.puzzle_emb.weights")!, D = table.length / 13;
  const moved = (id: number) => table.subarray(id * D, (id + 1) * D).some((x) => x !== 0);
  assert(!moved(0));
  assert([...Array(12)].filter((_, i) => moved(i + 1)).length >= 8, "puzzle rows trained");
  for (const [k, v] of wa) {
    const err = maxRelError(wb.get(k)!, v);
    assert(err <= 1e-4, `${k}: max error ${err.toExponential(2)} of max |w|`);
  }
  const sa = (await readSafetensors(`${a}/${latest.state}`)).tensors;
  const sb = (await readSafetensors(`${b}/${latest.state}`)).tensors;
  for (const k of ["carry.steps", "carry.halted", "carry.puzzle_identifiers", "carry.inputs"]) {
    assertEquals([...sb.get(k)!.data], [...sa.get(k)!.data], k);
  }
  const evalOnly = (r: Record<string, number>[]) => r.filter((x) => "eval/count" in x);
  let ra = await rows(`${a}/metrics.jsonl`), rb = await rows(`${b}/metrics.jsonl`);
  if (resumed) [ra, rb] = [evalOnly(ra), evalOnly(rb)];
  assertEquals(rb.map((r) => r.step), ra.map((r) => r.step));
  for (const [i, r] of ra.entries()) {
    for (const [k, v] of Object.entries(r)) {
      if (!k.startsWith("train/") && !k.startsWith("eval/")) continue;
      assert(
        Math.abs(rb[i][k] - v) <= 1e-4 * Math.max(1, Math.abs(v)),
        `row ${i} ${k}: ${rb[i][k]} vs ${v}\n${JSON.stringify(r)}\n${JSON.stringify(rb[i])}`,
      );
    }
    assertEquals(r.world_size, 1);
  }
  assertEquals(rb.at(-1)!.world_size, ranksB);
}

Deno.test({
  name: "mpirun -np 2: halting and SignSGD on duplicate puzzle ids equal one rank; " +
    "micro-batches; hrm eval split; resume 2→2 exact, 2→1",
  ignore: why !== undefined || !gpu,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "hrm-dp-" });
    await dupIdsDataset(`${dir}/data`);
    const config = parseConfig({
      data_path: `${dir}/data`,
      global_batch_size: 8,
      epochs: 2,
      eval_interval: 1,
      lr: 1e-3,
      puzzle_emb_lr: 1e-2,
      lr_warmup_steps: 2,
      seed: 5,
      eval_save_outputs: ["preds", "q_halt_logits"],
      arch: {
        hidden_size: 32,
        num_heads: 2,
        expansion: 2,
        H_layers: 1,
        L_layers: 1,
        H_cycles: 1,
        L_cycles: 2,
        halt_max_steps: 3,
        halt_exploration_prob: 0.5,
        puzzle_emb_ndim: 32,
        pos_encodings: "learned",
      },
    });
    await Deno.writeTextFile(`${dir}/config.yaml`, configToYaml(config));
    const one = await trainRun(gpu!, { config, out: `${dir}/one`, logEvery: 2 });
    assert(one.complete && one.step >= 6, `a whole run of several steps (${one.step})`);
    const cli = here("../../cli.ts");
    const train = (out: string, ...extra: string[]) =>
      mpirun(2, [cli, "train", "--config", `${dir}/config.yaml`, "--out", out, ...extra]);
    // Each rank's 4 rows in micro-batches of 2 (gradients added before the exchange).
    const two = await train(`${dir}/two`, "--log-every", "2", "micro_batch_size=2");
    assertEquals(two.code, 0, two.stderr);
    assertMatch(await Deno.readTextFile(`${dir}/two/all_config.yaml`), /micro_batch_size: 2/);
    await assertSameRun(`${dir}/one`, `${dir}/two`, 2);
    // The evaluations' predictions were gathered from both ranks before rank 0 wrote them.
    const evalSteps = (await rows(`${dir}/one/metrics.jsonl`)).filter((r) => "eval/count" in r);
    assertEquals(evalSteps.length, 2);
    for (const { step } of evalSteps) {
      const pa = await readSafetensors(`${dir}/one/step_${step}_all_preds.safetensors`);
      const pb = await readSafetensors(`${dir}/two/step_${step}_all_preds.safetensors`);
      assertEquals([...pb.tensors.get("preds")!.data], [...pa.tensors.get("preds")!.data]);
    }
    // hrm eval split across 2 ranks: the metrics and the saved predictions of one process.
    const ckpt = `${dir}/two/${
      JSON.parse(await Deno.readTextFile(`${dir}/two/latest.json`)).checkpoint
    }`;
    const evalArgs = (
      preds: string,
    ) => [cli, "eval", "--checkpoint", ckpt, "--json", "--save-preds", preds];
    const e1 = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ...evalArgs(`${dir}/e1.safetensors`)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(e1.code, 0, new TextDecoder().decode(e1.stderr));
    const e2 = await mpirun(2, evalArgs(`${dir}/e2.safetensors`));
    assertEquals(e2.code, 0, e2.stderr);
    const m1 = JSON.parse(new TextDecoder().decode(e1.stdout).trim());
    const m2Lines = e2.stdout.trim().split("\n");
    assertEquals(m2Lines.length, 1, "rank 0 alone prints");
    const m2 = JSON.parse(m2Lines[0]);
    assertEquals(Object.keys(m2), Object.keys(m1));
    for (const k of Object.keys(m1)) {
      assert(Math.abs(m2[k] - m1[k]) <= 1e-5 * Math.max(1, Math.abs(m1[k])), k);
    }
    const p1 = (await readSafetensors(`${dir}/e1.safetensors`)).tensors;
    const p2 = (await readSafetensors(`${dir}/e2.safetensors`)).tensors;
    for (const k of ["inputs", "labels", "puzzle_identifiers", "preds", "steps"]) {
      assertEquals([...p2.get(k)!.data], [...p1.get(k)!.data], k);
    }
    // Stopped after 3 steps on 2 ranks and resumed on 2: exactly the uninterrupted run.
    const first = await train(
      `${dir}/same`,
      "--log-every",
      "2",
      "--max-steps",
      "3",
      "micro_batch_size=2",
    );
    assertEquals(first.code, 0, first.stderr);
    const resumed = await mpirun(2, [cli, "train", "--resume", `${dir}/same`, "--log-every", "2"]);
    assertEquals(resumed.code, 0, resumed.stderr);
    assert(!resumed.stderr.includes("resuming a run trained on"), "no note on the same count");
    const wTwo = await weights(`${dir}/two/step_${one.step}.safetensors`);
    const wSame = await weights(`${dir}/same/step_${one.step}.safetensors`);
    for (const [k, v] of wTwo) assertEquals(wSame.get(k), v, k);
    // Stopped after 3 steps on 2 ranks, resumed on 1: the same run, with a note.
    const part = await train(`${dir}/mixed`, "--log-every", "2", "--max-steps", "3");
    assertEquals(part.code, 0, part.stderr);
    const notes: string[] = [];
    const rest = await trainRun(gpu!, {
      config,
      out: `${dir}/mixed`,
      resume: true,
      logEvery: 2,
      onNote: (l) => notes.push(l),
    });
    assertEquals(rest.step, one.step);
    assertMatch(notes.join("\n"), /trained on 2 ranks on 1: each rank takes its rows/);
    await assertSameRun(`${dir}/one`, `${dir}/mixed`, 1, true);
    await Deno.remove(dir, { recursive: true });
  },
});

if (why) console.warn(`MPI training tests skipped: ${why}`);

Deno.test({
  name: "mpirun -np 2: SIGUSR2 to mpirun stops every rank at the same step with a checkpoint",
  ignore: why !== undefined || !gpu,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "hrm-dp-stop-" });
    await dupIdsDataset(`${dir}/data`);
    const child = new Deno.Command("mpirun", {
      args: [
        "-q",
        "-np",
        "2",
        "--oversubscribe",
        "--allow-run-as-root",
        Deno.execPath(),
        "run",
        "-A",
        here("../../cli.ts"),
        "train",
        "--data",
        `${dir}/data`,
        "--out",
        `${dir}/run`,
        "--preset",
        "tiny",
        "--log-every",
        "1",
        "global_batch_size=8",
        "epochs=1000",
        "eval_interval=1000",
      ],
      env: MPI_ENV,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Once a step is logged, ask mpirun for a graceful stop.
    for (let i = 0; i < 600; i++) {
      const logged = await Deno.stat(`${dir}/run/metrics.jsonl`).then(
        (s) => s.size > 0,
        () => false,
      );
      if (logged) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill("SIGUSR2");
    const r = await child.output();
    const err = new TextDecoder().decode(r.stderr);
    assertEquals(r.code, 130, err);
    const stops = [...err.matchAll(/rank (\d)\/2 \(.+\): stopped at step (\d+); continue with/g)];
    assertEquals(stops.map((m) => m[1]).sort(), ["0", "1"], err);
    assertEquals(stops[0][2], stops[1][2], "both ranks stop at the same step");
    const latest = JSON.parse(await Deno.readTextFile(`${dir}/run/latest.json`));
    assertEquals([latest.step, latest.world_size], [Number(stops[0][2]), 2]);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "mpirun -np 2 hrm info: one line per rank naming its adapter and GPU choice",
  ignore: why !== undefined || !gpu,
  async fn() {
    const r = await mpirun(2, [here("../../cli.ts"), "info"], ["-q"]);
    assertEquals(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n").sort();
    assertEquals(lines.length, 2, r.stdout);
    lines.forEach((l, i) => assertMatch(l, new RegExp(`^rank ${i}/2 \\(.+\\): .+; .+`)));
  },
});
