// arcVote: synthetic predictions made by applying known variants to known answers, so the vote,
// its tie-break, pass@K both ways and submission.json can be checked exactly; then a tiny real
// ARC build voted on with perfect predictions.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { join } from "@std/path";
import { HrmError } from "../../lib/errors.ts";
import type { Predictions } from "../../lib/eval/evaluate.ts";
import {
  arcMetrics,
  arcVote,
  ArcVoter,
  type ArcVoteResult,
  submissionJson,
} from "../../lib/eval/arc_vote.ts";
import { applyVariant, type ArcVariant } from "../../datasets/arc/augment.ts";
import { encodeGrid } from "../../datasets/arc/encode.ts";
import {
  type ArcTestPuzzle,
  type ArcTestTask,
  type ArcVariants,
  readArcVariants,
} from "../../datasets/arc/invert.ts";
import { buildArcDataset } from "../../datasets/arc/build.ts";
import { readSplit } from "../../lib/io/dataset.ts";

const S = 900;

/** A few variants that move cells and colours (non-square grids swap under 1, 3, 6, 7). */
const VARIANTS: ArcVariant[] = [
  { t: 0, colours: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
  { t: 1, colours: [0, 2, 3, 1, 4, 5, 6, 7, 8, 9] },
  { t: 6, colours: [0, 9, 8, 7, 6, 5, 4, 3, 2, 1] },
  { t: 5, colours: [0, 4, 1, 2, 3, 9, 8, 7, 6, 5] },
  { t: 3, colours: [0, 1, 3, 2, 5, 4, 7, 6, 9, 8] },
  { t: 7, colours: [0, 5, 6, 7, 8, 9, 1, 2, 3, 4] },
];

/** A distinct 2×3 grid per integer, so wrong answers are easy to make. */
function grid(n: number): number[][] {
  return [[1 + n % 9, 2, 3], [4, 5, 1 + Math.floor(n / 9) % 9]];
}

function toGrid(rows: number[][]) {
  return { h: rows.length, w: rows[0].length, data: Uint8Array.from(rows.flat()) };
}

/** One prediction of one variant: which answer (in the original frame) and its q_halt logit. */
interface Cast {
  answer: number[][];
  q?: number;
}

/**
 * Builds Predictions and ArcVariants: `casts[task][variant][test input]`, the variant of
 * puzzle `v` being `VARIANTS[v % VARIANTS.length]`; puzzle identifiers count from 1.
 */
function synth(
  tasks: { inputs: number[][][]; outputs: (number[][] | null)[]; casts: Cast[][] }[],
): { preds: Predictions; variants: ArcVariants } {
  const arcTasks: ArcTestTask[] = [], puzzles: ArcTestPuzzle[] = [];
  const inputs: Uint8Array[] = [], outs: Uint8Array[] = [], ids: number[] = [], qs: number[] = [];
  tasks.forEach((t, ti) => {
    arcTasks.push({
      name: `task${ti}`,
      file: `task${ti}.json`,
      test_inputs: t.inputs,
      test_outputs: t.outputs,
    });
    t.casts.forEach((perInput, v) => {
      const variant = VARIANTS[v % VARIANTS.length];
      const id = puzzles.length + 1;
      puzzles.push({
        puzzle_identifier: id,
        task: ti,
        t: variant.t,
        colours: Array.from(variant.colours),
      });
      perInput.forEach((cast, j) => {
        inputs.push(encodeGrid(applyVariant(toGrid(t.inputs[j]), variant)));
        outs.push(encodeGrid(applyVariant(toGrid(cast.answer), variant)));
        ids.push(id);
        qs.push(cast.q ?? 0);
      });
    });
  });
  const N = ids.length;
  const flat = (rows: Uint8Array[]) => {
    const a = new Int32Array(N * S);
    rows.forEach((r, e) => a.set(r, e * S));
    return a;
  };
  return {
    preds: {
      inputs: flat(inputs),
      labels: new Int32Array(N * S),
      puzzle_identifiers: Int32Array.from(ids),
      preds: flat(outs),
      q_halt_logits: Float32Array.from(qs),
      q_continue_logits: new Float32Array(N),
      steps: new Int32Array(N).fill(16),
    },
    variants: { seed: 0, aug: 5, test_set: ["evaluation"], tasks: arcTasks, puzzles },
  };
}

/** A one-test-input task whose variants predict `answers` (with q logits `qs`). */
function oneInput(answer: number[][], answers: number[][][], qs: number[] = []) {
  return {
    inputs: [[[7, 8], [9, 1], [2, 3]]],
    outputs: [answer],
    casts: answers.map((a, i) => [{ answer: a, q: qs[i] }]),
  };
}

Deno.test("arcVote: the majority wins, inverted to the original frame", () => {
  const A = grid(1), B = grid(2);
  const { preds, variants } = synth([oneInput(A, [A, B, A, B, A], [0, 5, 0, 5, 0])]);
  const r = arcVote(preds, variants);
  const v = r.tasks[0].tests[0];
  assertEquals(v.candidates.map((c) => [c.grid, c.votes]), [[A, 3], [B, 2]]);
  assertEquals([v.predictions, v.distinct, v.rank], [5, 2, 1]);
  assertEquals(r.examples, 5);
  assertEquals(r.ks, [1, 2, 10]);
  assertEquals(r.pass, [1, 1, 1]);
  // mean sigmoid(q_halt) of the winner: three logits of 0
  assertEquals(v.candidates[0].mean_q, 0.5);
  assertEquals(v.candidates[1].mean_q, 1 / (1 + Math.exp(-5)));
});

Deno.test("arcVote: equal votes are ranked by mean sigmoid(q_halt), then first seen", () => {
  const A = grid(1), B = grid(2), C = grid(3);
  // A and B have two votes each; B's mean q is higher, so B ranks first and A (right) second
  const { preds, variants } = synth([oneInput(A, [A, B, A, B, C], [-1, 2, -1, 1, 9])]);
  const r = arcVote(preds, variants);
  const v = r.tasks[0].tests[0];
  assertEquals(v.candidates.map((c) => c.grid), [B, A, C]);
  assertEquals(v.rank, 2);
  assertEquals(r.pass, [0, 1, 1]);
  // a full tie keeps the order of first appearance
  const tie = synth([oneInput(B, [A, B, C], [0.5, 0.5, 0.5])]);
  const t = arcVote(tie.preds, tie.variants).tasks[0].tests[0];
  assertEquals(t.candidates.map((c) => c.grid), [A, B, C]);
  assertEquals(t.rank, 2);
});

/** Answer at `rank` (1-based) among distinct grids: every wrong grid outvotes it. */
function rankedAt(rank: number, seed: number) {
  const answer = grid(seed * 20);
  const answers: number[][][] = [answer];
  for (let w = 1; w < rank; w++) answers.push(grid(seed * 20 + w), grid(seed * 20 + w));
  return oneInput(answer, answers);
}

Deno.test("arcVote: pass@K counts the tasks whose answer is within the top K", () => {
  const never = oneInput(grid(99), [grid(98), grid(97)]);
  const { preds, variants } = synth([
    rankedAt(1, 1),
    rankedAt(2, 2),
    rankedAt(5, 3),
    rankedAt(10, 4),
    rankedAt(11, 5),
    never,
  ]);
  const r = arcVote(preds, variants, { ks: [10, 1, 2, 5] });
  assertEquals(r.tasks.map((t) => t.tests[0].rank), [1, 2, 5, 10, 11, 0]);
  assertEquals(r.ks, [1, 2, 5, 10]);
  assertEquals(r.pass, [1 / 6, 2 / 6, 3 / 6, 4 / 6]);
  // one test input per task: fractional credit is the same
  assertEquals(r.pass_fractional, r.pass);
  assertEquals(r.tasks_scored, 6);
  // keep defaults to the largest K: the 11th grid is ranked but not kept
  assertEquals(r.tasks[4].tests[0].distinct, 11);
  assertEquals(r.tasks[4].tests[0].candidates.length, 10);
  const m = arcMetrics(r);
  assertEquals(Object.keys(m), [
    "arc_pass@1",
    "arc_pass@2",
    "arc_pass@5",
    "arc_pass@10",
    "arc_pass@1_frac",
    "arc_pass@2_frac",
    "arc_pass@5_frac",
    "arc_pass@10_frac",
    "arc_tasks",
  ]);
  assertEquals([m["arc_pass@2"], m.arc_tasks], [2 / 6, 6]);
  assertThrows(() => arcVote(preds, variants, { ks: [0] }), RangeError);
});

Deno.test("arcVote: a task counts only when all its test inputs are right (TRM: fractionally)", () => {
  const A = grid(1), B = grid(2), C = grid(3), D = grid(4);
  const inputs = [[[1, 2]], [[3, 4]]];
  const { preds, variants } = synth([
    // both test inputs right
    { inputs, outputs: [A, B], casts: [[{ answer: A }, { answer: B }]] },
    // first right, second wrong at top 1 but second at top 2
    {
      inputs,
      outputs: [C, D],
      casts: [
        [{ answer: C }, { answer: A, q: 3 }],
        [{ answer: C }, { answer: D, q: -3 }],
      ],
    },
  ]);
  const r = arcVote(preds, variants, { ks: [1, 2] });
  assertEquals(r.tasks.map((t) => t.tests.map((v) => v.rank)), [[1, 1], [1, 2]]);
  assertEquals(r.pass, [0.5, 1]);
  assertEquals(r.pass_fractional, [0.75, 1]);
});

Deno.test("arcVote: unknown answers, padding rows and --limit", () => {
  const A = grid(1), B = grid(2);
  const hidden = oneInput(A, [A, B]);
  const { preds, variants } = synth([oneInput(A, [A, A]), { ...hidden, outputs: [null] }]);
  const r = arcVote(preds, variants);
  assertEquals(r.tasks.map((t) => t.known), [true, false]);
  assertEquals(r.tasks_scored, 1);
  assertEquals(r.tasks[1].tests[0].rank, 0);
  assertEquals(r.pass, [1, 1, 1]);

  // padding rows (puzzle identifier 0) are skipped wherever they are
  const padded = withPadding(preds, 1, 2);
  assertEquals(padded.puzzle_identifiers.length, preds.puzzle_identifiers.length + 2);
  assertEquals(arcVote(padded, variants), r);

  // cut short after the first task: the second has no vote, and is not scored
  const cut = synth([oneInput(A, [B, B]), oneInput(B, [B, B])]);
  const limited = arcVote(rangeOf(cut.preds, 0, 2), cut.variants);
  assertEquals(limited.tasks_scored, 1);
  assertEquals(limited.pass, [0, 0, 0]);
  assertEquals(limited.tasks[1].tests[0].predictions, 0);
});

/** `count` padding rows (identifier 0, all-PAD tokens) inserted before example `at`. */
function withPadding(p: Predictions, at: number, count: number): Predictions {
  function splice<T extends Int32Array | Float32Array>(a: T, per: number): T {
    const out = new (a.constructor as { new (n: number): T })(a.length + count * per);
    out.set(a.subarray(0, at * per));
    out.set(a.subarray(at * per), (at + count) * per);
    return out;
  }
  return {
    inputs: splice(p.inputs, S),
    labels: splice(p.labels, S),
    preds: splice(p.preds, S),
    puzzle_identifiers: splice(p.puzzle_identifiers, 1),
    q_halt_logits: splice(p.q_halt_logits, 1),
    q_continue_logits: splice(p.q_continue_logits, 1),
    steps: splice(p.steps, 1),
  };
}

Deno.test("ArcVoter: batches split anywhere vote as one, and errors count across batches", () => {
  const A = grid(1), B = grid(2);
  const inputs = [[[1, 2]], [[3, 4]], [[5, 6]]];
  const { preds, variants } = synth([
    {
      inputs,
      outputs: [A, B, A],
      casts: [0, 1, 2, 3].map((v) =>
        inputs.map((_, j) => ({ answer: (v + j) % 2 ? A : B, q: v - j }))
      ),
    },
    oneInput(B, [B, A, B]),
  ]);
  const whole = arcVote(preds, variants);
  const N = preds.puzzle_identifiers.length;
  for (const cuts of [[1], [5, 6], [3, 7, 13]]) {
    const voter = new ArcVoter(variants);
    let start = 0;
    for (const end of [...cuts, N]) {
      voter.add(rangeOf(preds, start, end));
      start = end;
    }
    assertEquals(voter.result(), whole, `cuts ${cuts}`);
  }
  const voter = new ArcVoter(variants);
  voter.add(rangeOf(preds, 0, 4));
  const bad = rangeOf(preds, 4, N);
  bad.puzzle_identifiers[1] = 99;
  assertThrows(() => voter.add(bad), HrmError, "example 5 has puzzle identifier 99");
});

/** Examples start..end. */
function rangeOf(p: Predictions, start: number, end: number): Predictions {
  return {
    inputs: p.inputs.slice(start * S, end * S),
    labels: p.labels.slice(start * S, end * S),
    preds: p.preds.slice(start * S, end * S),
    puzzle_identifiers: p.puzzle_identifiers.slice(start, end),
    q_halt_logits: p.q_halt_logits.slice(start, end),
    q_continue_logits: p.q_continue_logits.slice(start, end),
    steps: p.steps.slice(start, end),
  };
}

Deno.test("arcVote: predictions of another dataset are refused with the reason", () => {
  const A = grid(1);
  const { preds, variants } = synth([oneInput(A, [A, A, A])]);
  const wrongId = { ...preds, puzzle_identifiers: Int32Array.of(1, 7, 3) };
  const e1 = assertThrows(() => arcVote(wrongId, variants), HrmError);
  assertEquals(
    e1.message,
    "arc_variants.json: example 1 has puzzle identifier 7, test puzzle 1 is 2: " +
      "predictions of another dataset or a rebuilt one?",
  );
  // the input of example 2 is another grid: the variants file does not describe these puzzles
  const inputs = preds.inputs.slice();
  inputs.set(encodeGrid(toGrid([[5]])), 2 * S);
  const e2 = assertThrows(() => arcVote({ ...preds, inputs }, variants), HrmError);
  assert(e2.message.includes("example 2 does not invert to test input 0 of task task0"));
  const fewer = { ...variants, puzzles: variants.puzzles.slice(0, 2) };
  const e3 = assertThrows(() => arcVote(preds, fewer), HrmError);
  assert(e3.message.includes("example 2 is past the 2 test puzzles listed"));
  const short = { ...preds, inputs: preds.inputs.subarray(0, 100) };
  assertThrows(() => arcVote(short, variants), HrmError, "not ARC sequences");
});

Deno.test("submissionJson: ARC Prize format, two attempts per test input", () => {
  const A = grid(1), B = grid(2), C = grid(3);
  const inputs = [[[1, 2]], [[3, 4]]];
  const { preds, variants } = synth([
    {
      inputs,
      outputs: [A, B],
      casts: [[{ answer: A }, { answer: B }], [{ answer: C }, { answer: B }]],
    },
    oneInput(C, [C, C, A]),
    oneInput(C, [A]),
  ]);
  // the last task's only prediction is an empty canvas: the reference crops it to []
  preds.preds.fill(0, 7 * S, 8 * S);
  const extra: ArcVoteResult = arcVote(preds, {
    ...variants,
    tasks: [...variants.tasks, {
      name: "unseen",
      file: "u.json",
      test_inputs: [[[1]]],
      test_outputs: [[[1]]],
    }],
  });
  const s = submissionJson(extra);
  assertEquals(Object.keys(s), ["task0", "task1", "task2", "unseen"]);
  assertEquals(s.task0, [{ attempt_1: A, attempt_2: C }, { attempt_1: B, attempt_2: B }]);
  assertEquals(s.task1, [{ attempt_1: C, attempt_2: A }]);
  assertEquals(s.task2, [{ attempt_1: [], attempt_2: [] }]);
  // no prediction at all (--limit): a placeholder keeps every task and test input
  assertEquals(s.unseen, [{ attempt_1: [[0]], attempt_2: [[0]] }]);
  assertEquals(JSON.parse(JSON.stringify(s)), s);
});

Deno.test("arcVote on a real ARC build: perfect predictions pass every task", async () => {
  const fixtures = new URL("../fixtures/arc/", import.meta.url).pathname;
  const out = await Deno.makeTempDir();
  try {
    await buildArcDataset({
      sources: [join(fixtures, "ARC-AGI-1"), join(fixtures, "ConceptARC/corpus")],
      out,
      aug: 6,
      seed: 3,
      workers: 0,
      progress: false,
    });
    const test = await readSplit(out, "test");
    const variants = await readArcVariants(out);
    const a = test.arrays, N = a.puzzle_identifiers.length;
    const examples = a.inputs.length / S;
    // one puzzle identifier per example, from the puzzles' ranges
    const ids = new Int32Array(examples);
    for (let p = 0; p < N; p++) {
      ids.fill(a.puzzle_identifiers[p], a.puzzle_indices[p], a.puzzle_indices[p + 1]);
    }
    const preds: Predictions = {
      inputs: Int32Array.from(a.inputs),
      labels: Int32Array.from(a.labels),
      puzzle_identifiers: ids,
      preds: Int32Array.from(a.labels),
      q_halt_logits: new Float32Array(examples),
      q_continue_logits: new Float32Array(examples),
      steps: new Int32Array(examples),
    };
    const r = arcVote(preds, variants);
    assertEquals(r.examples, examples);
    assertEquals(r.tasks_scored, variants.tasks.length);
    assertEquals(r.pass, [1, 1, 1]);
    const s = submissionJson(r);
    for (const t of variants.tasks) {
      assertEquals(s[t.name].map((x) => x.attempt_1), t.test_outputs);
    }
    // predicting the input instead is wrong everywhere (no fixture task is the identity)
    const wrong = arcVote({ ...preds, preds: preds.inputs }, variants);
    assertEquals(wrong.pass, [0, 0, 0]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
