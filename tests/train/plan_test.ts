// Run length and evaluation cadence against a model of the reference's pretrain.py loop:
// `for _iter_id in range(epochs // eval_interval)`: walk the sampler, `step += 1` per batch and
// skip (not train) batches past total_steps, then evaluate; checkpoint at every evaluation with
// checkpoint_every_eval, else after the last.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { HrmError } from "../../lib/errors.ts";
import {
  checkPlan,
  type PlanConfig,
  plannedSteps,
  runEvents,
  runPlan,
} from "../../lib/train/plan.ts";
import { type SamplerSource, totalSteps, trainBatches } from "../../lib/train/sampler.ts";

function source(
  groups: number[][],
): SamplerSource & { meta: { total_groups: number; mean_puzzle_examples: number } } {
  const sizes = groups.flat();
  const n = sizes.reduce((a, b) => a + b, 0);
  const puzzle_indices = new Int32Array(sizes.length + 1);
  sizes.forEach((s, i) => puzzle_indices[i + 1] = puzzle_indices[i] + s);
  const group_indices = new Int32Array(groups.length + 1);
  groups.forEach((g, i) => group_indices[i + 1] = group_indices[i] + g.length);
  const inputs = new Uint8Array(n * 2).map((_, i) => (i >> 1) % 200);
  return {
    inputs,
    labels: inputs,
    puzzle_identifiers: Int32Array.from(sizes, (_, i) => i),
    puzzle_indices,
    group_indices,
    seq_len: 2,
    pad_id: 0,
    ignore_label_id: null,
    blank_identifier_id: 0,
    meta: { total_groups: groups.length, mean_puzzle_examples: n / sizes.length },
  };
}

const fingerprint = (b: { inputs: Int32Array; puzzle_identifiers: Int32Array }) =>
  `${b.puzzle_identifiers.join(",")}|${b.inputs.join(",")}`;

/** The reference's loop, modelled: which batches train, and the step counter at each eval. */
function referenceLoop(src: ReturnType<typeof source>, cfg: PlanConfig) {
  const epochsPerIter = cfg.eval_interval ?? cfg.epochs;
  const totalIters = Math.floor(cfg.epochs / epochsPerIter);
  const total = totalSteps(
    cfg.epochs,
    src.meta.total_groups,
    src.meta.mean_puzzle_examples,
    cfg.global_batch_size,
  );
  let step = 0, trainedSteps = 0;
  const trained: string[] = [], evals: { step: number; trained: number }[] = [];
  for (let it = 0; it < totalIters; it++) {
    for (const b of trainBatches(src, cfg.global_batch_size, cfg.seed, it + 1, epochsPerIter)) {
      step++;
      if (step > total) continue; // "At most train_total_steps"
      trained.push(fingerprint(b));
      trainedSteps++;
    }
    evals.push({ step, trained: trainedSteps });
  }
  return { trained, evals, total };
}

/** Ours: the events the loop consumes. */
function ourLoop(src: ReturnType<typeof source>, cfg: PlanConfig) {
  const plan = runPlan(cfg, src.meta);
  const trained: string[] = [], evals: number[] = [];
  let last = false;
  for (const ev of runEvents(src, plan, { step: 0, iteration: 1, batchInIteration: 0 })) {
    assert(!last, "nothing after the last evaluation");
    if (ev.kind === "step") {
      assertEquals(ev.step, trained.length + 1);
      trained.push(fingerprint(ev.batch));
    } else {
      evals.push(ev.step);
      last = ev.last;
    }
  }
  assert(last, "the run ends with its last evaluation");
  return { trained, evals, plan };
}

function compare(src: ReturnType<typeof source>, cfg: PlanConfig) {
  const ref = referenceLoop(src, cfg);
  const ours = ourLoop(src, cfg);
  const label = `batch ${cfg.global_batch_size}, epochs ${cfg.epochs}/${cfg.eval_interval}`;
  // The same batches train, in the same order, and never more than total_steps.
  assertEquals(ours.trained, ref.trained, label);
  assert(ours.trained.length <= ref.total, label);
  // One evaluation after every iteration; once the reference only skips batches (its model no
  // longer changes) we stop: its later evaluations would repeat the last one.
  const firstFull = ref.evals.findIndex((e) => e.trained === ref.total);
  const expected = (firstFull < 0 ? ref.evals : ref.evals.slice(0, firstFull + 1))
    .map((e) => e.trained);
  assertEquals(ours.evals, expected, label);
  assertEquals(
    ours.evals.at(-1),
    ours.trained.length,
    `${label}: the last eval sees the last step`,
  );
  return { ref, ours };
}

Deno.test("cadence: the issue's case: 40 groups, epochs 4, eval_interval 2, batch 8 → evals at 10 and 20", () => {
  const src = source(Array.from({ length: 40 }, () => [1]));
  const { ours } = compare(src, { epochs: 4, eval_interval: 2, global_batch_size: 8, seed: 0 });
  assertEquals(ours.evals, [10, 20]);
  assertEquals(ours.trained.length, 20);
});

Deno.test("cadence: dropped batches leave the run short of total_steps; no extra iteration", () => {
  const src = source(Array.from({ length: 40 }, () => [1]));
  const { ours } = compare(src, { epochs: 4, eval_interval: 2, global_batch_size: 12, seed: 0 });
  assertEquals(ours.plan.total, 13);
  assertEquals(ours.evals, [6, 12]); // each iteration: floor(80 / 12) = 6 batches
  assertEquals(plannedSteps(ours.plan, src), 12);
});

Deno.test("cadence: one example per puzzle (Sudoku, Maze) for several batch sizes", () => {
  const src = source(Array.from({ length: 40 }, () => [1, 1]));
  for (const B of [1, 3, 5, 7, 8, 12, 40, 80]) {
    for (const [epochs, interval] of [[4, 2], [6, 3], [6, 1], [5, null]] as const) {
      const { ours } = compare(src, {
        epochs,
        eval_interval: interval,
        global_batch_size: B,
        seed: 1,
      });
      assertEquals(plannedSteps(ours.plan, src), ours.trained.length);
    }
  }
});

Deno.test("cadence: puzzles of several examples (ARC), where iterations may pass total_steps", () => {
  // Mixed groups; big puzzles alone in their group, so an epoch yields more examples than
  // total_groups · mean_puzzle_examples and total_steps cuts the last iterations short.
  const groups = Array.from(
    { length: 30 },
    (_, g) => g % 3 === 0 ? [5] : Array.from({ length: 1 + (g % 3) }, (_, p) => 1 + ((g + p) % 2)),
  );
  const src = source(groups);
  let passed = 0;
  for (const B of [2, 4, 7, 16, 33]) {
    for (const [epochs, interval] of [[6, 2], [6, 3], [4, 1], [3, null]] as const) {
      for (const seed of [0, 1, 2]) {
        const { ref } = compare(src, {
          epochs,
          eval_interval: interval,
          global_batch_size: B,
          seed,
        });
        if (ref.evals.at(-1)!.step > ref.total) passed++;
      }
    }
  }
  assert(passed > 0, "some case has batches past total_steps (the skip path is exercised)");
});

Deno.test("cadence: resuming from any position walks the rest of the same run", () => {
  const groups = Array.from({ length: 20 }, (_, g) => [1 + (g % 3), 2]);
  const src = source(groups);
  const plan = runPlan({ epochs: 6, eval_interval: 2, global_batch_size: 5, seed: 4 }, src.meta);
  const start = { step: 0, iteration: 1, batchInIteration: 0 };
  const all = [...runEvents(src, plan, start)];
  const key = (e: (typeof all)[number]) =>
    e.kind === "step" ? `s${e.step}:${fingerprint(e.batch)}:${e.endsIteration}` : `e${e.step}`;
  for (let i = 0; i < all.length; i++) {
    const rest = [...runEvents(src, plan, all[i].after)];
    assertEquals(rest.map(key), all.slice(i + 1).map(key), `after event ${i}`);
  }
  assertEquals(all.at(-1)!.after.iteration, plan.iterations + 1);
});

Deno.test("checkPlan: an iteration that cannot fill one batch is an error naming the numbers", () => {
  // The hang: 5 mazes, batch 8, eval_interval 1.
  const src = source(Array.from({ length: 5 }, () => [1]));
  const plan = runPlan({ epochs: 2, eval_interval: 1, global_batch_size: 8, seed: 0 }, src.meta);
  const e = assertThrows(() => checkPlan(plan, src, "m10"), HrmError);
  for (
    const s of [
      "m10",
      "at most 5 examples",
      "global_batch_size=8",
      "global_batch_size=5",
      "eval_interval=2",
    ]
  ) {
    assert(e.message.includes(s), `${e.message} names ${s}`);
  }
  // Enough data per iteration: fine.
  checkPlan(
    runPlan({ epochs: 4, eval_interval: 2, global_batch_size: 8, seed: 0 }, src.meta),
    src,
    "m10",
  );
});
