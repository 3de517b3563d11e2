/**
 * ARC scoring as the reference does it after evaluation (sapientinc/HRM arc_eval.ipynb, with
 * TinyRecursiveModels' evaluators/arc.py as a second reading): every augmented prediction is
 * cropped and inverted to the original task's frame, identical grids per (task, test input) are
 * pooled, and candidates rank by vote count, then mean sigmoid(q_halt). pass@K holds when the
 * answer is among the top K; a task counts when all its test inputs pass (HRM), or by the
 * fraction that pass (TRM). {@linkcode submissionJson} gives the ARC Prize submission.
 *
 * No GPU here: this works on {@linkcode Predictions} (from `evaluate` or a `--save-preds` file)
 * and the dataset's arc_variants.json.
 *
 * @module
 */
import { HrmError } from "../errors.ts";
import type { Predictions } from "./evaluate.ts";
import { invertVariant } from "../../datasets/arc/augment.ts";
import { ARC_SEQ_LEN, cropTokens } from "../../datasets/arc/encode.ts";
import { ARC_VARIANTS_FILE, type ArcVariants } from "../../datasets/arc/invert.ts";
import type { Grid } from "../../datasets/grid.ts";

/** The K of pass@K reported by default (HRM's notebook also has 100 and 1000). */
export const ARC_PASS_KS: readonly number[] = Object.freeze([1, 2, 10]);

/** One distinct predicted grid of a test input. */
export interface ArcCandidate {
  /** The grid in the original task's frame, as rows (`[]` when nothing was predicted). */
  grid: number[][];
  /** How many variants predicted it. */
  votes: number;
  /** Mean sigmoid(q_halt_logits) of those predictions. */
  mean_q: number;
}

/** The vote on one test input of a task. */
export interface ArcTestVote {
  /** Predictions cast (one per variant evaluated). */
  predictions: number;
  /** Distinct grids ranked best first, at most {@linkcode ArcVoteOptions.keep} of them. */
  candidates: ArcCandidate[];
  /** Distinct grids predicted in all. */
  distinct: number;
  /**
   * 1-based rank of the right answer among all distinct grids; 0 when it was not predicted or
   * the answer is unknown.
   */
  rank: number;
}

/** The votes on one task. */
export interface ArcTaskVote {
  /** The task name: the key of submission.json. */
  name: string;
  /** Every test input of the task, in order. */
  tests: ArcTestVote[];
  /** Whether every test output is known (so the task can be scored). */
  known: boolean;
}

/** What {@linkcode arcVote} returns. */
export interface ArcVoteResult {
  /** The K of {@linkcode pass} and {@linkcode pass_fractional}, ascending. */
  ks: number[];
  /** Every test-set task of arc_variants.json, in its order. */
  tasks: ArcTaskVote[];
  /**
   * HRM's score per K (same order as `ks`): the fraction of scored tasks whose test inputs all
   * have the answer among the top K.
   */
  pass: number[];
  /** TRM's score per K: the mean over scored tasks of the fraction of test inputs right. */
  pass_fractional: number[];
  /** Tasks scored: answers known and at least one prediction (fewer under `--limit`). */
  tasks_scored: number;
  /** Predictions voted (blank-identifier rows excluded). */
  examples: number;
}

/** Options of {@linkcode arcVote}. */
export interface ArcVoteOptions {
  /**
   * The K of pass@K.
   * @default {[1, 2, 10]}
   */
  ks?: readonly number[];
  /**
   * Candidates kept per test input (at least 2, for the submission's two attempts).
   * @default {max(ks, 2)}
   */
  keep?: number;
}

/**
 * Votes over the predictions of every augmented test puzzle of an ARC dataset.
 *
 * Predictions must be in test-split order (as `evaluate` and `--save-preds` give them), possibly
 * cut short by `--limit`: puzzle i of `variants.puzzles` holds one example per test input of its
 * task. Rows with puzzle identifier 0 (padding) are skipped, as in the reference.
 *
 * @param preds Per-example predictions (seq_len 900): {@linkcode Predictions} or the columns
 *   voting reads.
 * @param variants The dataset's arc_variants.json ({@linkcode readArcVariants}).
 * @param opts See {@linkcode ArcVoteOptions}.
 * @returns Ranked candidates per task and test input, and pass@K both ways.
 * @throws {HrmError} When the predictions do not belong to this arc_variants.json (another
 *   identifier, an input that does not invert to the task's test input, too many examples).
 *
 * @example Two variants agree on the answer, a third does not
 * ```ts
 * import { arcVote } from "./arc_vote.ts";
 * import { applyVariant } from "../../datasets/arc/augment.ts";
 * import { encodeGrid } from "../../datasets/arc/encode.ts";
 * import { assertEquals } from "@std/assert";
 * const task = { name: "t", file: "t.json", test_inputs: [[[1]]], test_outputs: [[[2]]] };
 * const id = { t: 0, colours: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] };
 * const puzzles = [1, 2, 3].map((p) => ({ puzzle_identifier: p, task: 0, ...id }));
 * const variants = { seed: 0, aug: 2, test_set: ["evaluation"], tasks: [task], puzzles };
 * const enc = (v: number) => encodeGrid(applyVariant({ h: 1, w: 1, data: Uint8Array.of(v) }, id));
 * const S = 900, answers = [2, 2, 3];
 * const inputs = new Int32Array(3 * S), preds = new Int32Array(3 * S);
 * answers.forEach((a, e) => (inputs.set(enc(1), e * S), preds.set(enc(a), e * S)));
 * const r = arcVote(
 *   { inputs, preds, puzzle_identifiers: Int32Array.of(1, 2, 3), q_halt_logits: new Float32Array(3) },
 *   variants,
 * );
 * assertEquals(r.tasks[0].tests[0].candidates.map((c) => c.votes), [2, 1]);
 * assertEquals(r.pass, [1, 1, 1]);
 * ```
 */
export function arcVote(
  preds: ArcVoteBatch,
  variants: ArcVariants,
  opts: ArcVoteOptions = {},
): ArcVoteResult {
  const voter = new ArcVoter(variants, opts);
  voter.add(preds);
  return voter.result();
}

/** The columns of {@linkcode Predictions} that voting reads. */
export type ArcVoteBatch = Pick<
  Predictions,
  "inputs" | "preds" | "puzzle_identifiers" | "q_halt_logits"
>;

/**
 * {@linkcode arcVote} in pieces: feed consecutive batches of predictions in test-split order,
 * then take the result. Memory grows with the distinct grids per test input, not with the
 * examples, so a full ARC test split (~386k examples) need not be held at once.
 *
 * @example Two batches give the same vote as one
 * ```ts ignore
 * const voter = new ArcVoter(variants);
 * for (const batch of batches) voter.add(batch);
 * const result = voter.result();
 * ```
 */
export class ArcVoter {
  readonly #variants: ArcVariants;
  readonly #ks: number[];
  readonly #keep: number;
  /** Per task and test input: grid key -> [votes, sum of q], in order of first appearance. */
  readonly #pools: Map<string, [number, number]>[][];
  readonly #inputKeys: string[][];
  #puzzle = 0;
  #j = 0;
  #seen = 0;
  #examples = 0;

  /**
   * @param variants The dataset's arc_variants.json ({@linkcode readArcVariants}).
   * @param opts See {@linkcode ArcVoteOptions}.
   * @throws {RangeError} When a K is not a positive integer.
   */
  constructor(variants: ArcVariants, opts: ArcVoteOptions = {}) {
    const ks = [...(opts.ks ?? ARC_PASS_KS)].sort((a, b) => a - b);
    if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1)) {
      throw new RangeError(`arcVote: K must be positive integers, got ${JSON.stringify(ks)}`);
    }
    this.#variants = variants;
    this.#ks = ks;
    this.#keep = Math.max(2, opts.keep ?? ks[ks.length - 1]);
    this.#pools = variants.tasks.map((t) =>
      t.test_inputs.map(() => new Map<string, [number, number]>())
    );
    this.#inputKeys = variants.tasks.map((t) => t.test_inputs.map(rowsKey));
  }

  /**
   * Votes with the next examples (they continue where the previous batch stopped).
   *
   * @param preds The batch.
   * @throws {HrmError} As {@linkcode arcVote}; examples are numbered across batches.
   */
  add(preds: ArcVoteBatch): void {
    const S = ARC_SEQ_LEN, variants = this.#variants;
    const N = preds.puzzle_identifiers.length;
    if (preds.inputs.length !== N * S || preds.preds.length !== N * S) {
      throw new HrmError(
        ARC_VARIANTS_FILE,
        `predictions are not ARC sequences: ${N} examples with ${preds.inputs.length} input tokens`,
      );
    }
    for (let e = 0; e < N; e++, this.#seen++) {
      const id = preds.puzzle_identifiers[e];
      if (id === 0) continue;
      const p = variants.puzzles[this.#puzzle];
      const where = `example ${this.#seen}`;
      if (p === undefined) {
        throw new HrmError(
          ARC_VARIANTS_FILE,
          `${where} is past the ${variants.puzzles.length} test puzzles listed: ` +
            "predictions of another dataset?",
        );
      }
      if (id !== p.puzzle_identifier) {
        throw new HrmError(
          ARC_VARIANTS_FILE,
          `${where} has puzzle identifier ${id}, test puzzle ${this.#puzzle} is ` +
            `${p.puzzle_identifier}: predictions of another dataset or a rebuilt one?`,
        );
      }
      const task = variants.tasks[p.task], j = this.#j;
      const row = (a: Int32Array) => a.subarray(e * S, (e + 1) * S);
      if (gridKey(invertVariant(cropTokens(row(preds.inputs)), p)) !== this.#inputKeys[p.task][j]) {
        throw new HrmError(
          ARC_VARIANTS_FILE,
          `${where} does not invert to test input ${j} of task ${task.name}: ` +
            "predictions of another dataset or a rebuilt one?",
        );
      }
      const key = gridKey(invertVariant(cropTokens(row(preds.preds)), p));
      const q = 1 / (1 + Math.exp(-preds.q_halt_logits[e]));
      const pool = this.#pools[p.task][j];
      const stats = pool.get(key);
      if (stats) (stats[0]++, stats[1] += q);
      else pool.set(key, [1, q]);
      this.#examples++;
      if (++this.#j === task.test_inputs.length) (this.#puzzle++, this.#j = 0);
    }
  }

  /**
   * Ranks the candidates and scores pass@K.
   *
   * @returns See {@linkcode ArcVoteResult}.
   */
  result(): ArcVoteResult {
    const ks = this.#ks, keep = this.#keep;
    const tasks = this.#variants.tasks.map((t, ti): ArcTaskVote => {
      const tests = t.test_inputs.map((_, j): ArcTestVote => {
        // Stable sort: full ties keep the order of first appearance, as Python's sorted does.
        const ranked = [...this.#pools[ti][j]]
          .map(([key, [votes, sumQ]]) => ({ key, votes, mean_q: sumQ / votes }))
          .sort((a, b) => b.votes - a.votes || b.mean_q - a.mean_q);
        const answer = t.test_outputs[j];
        const answerKey = answer ? rowsKey(answer) : undefined;
        return {
          predictions: ranked.reduce((n, c) => n + c.votes, 0),
          candidates: ranked.slice(0, keep).map((c) => ({
            grid: keyRows(c.key),
            votes: c.votes,
            mean_q: c.mean_q,
          })),
          distinct: ranked.length,
          rank: ranked.findIndex((c) => c.key === answerKey) + 1,
        };
      });
      return { name: t.name, tests, known: t.test_outputs.every((o) => o !== null) };
    });
    const scored = tasks.filter((t) => t.known && t.tests.some((v) => v.predictions > 0));
    const denominator = Math.max(1, scored.length);
    const within = (v: ArcTestVote, k: number) => v.rank >= 1 && v.rank <= k;
    return {
      ks,
      tasks,
      pass: ks.map((k) =>
        scored.filter((t) => t.tests.every((v) => within(v, k))).length / denominator
      ),
      pass_fractional: ks.map((k) =>
        scored.reduce(
          (s, t) => s + t.tests.filter((v) => within(v, k)).length / t.tests.length,
          0,
        ) /
        denominator
      ),
      tasks_scored: scored.length,
      examples: this.#examples,
    };
  }
}
/**
 * The vote's scores as flat metrics for printing beside the eval metrics: `arc_pass@K` (HRM, all
 * test inputs right), `arc_pass@K_frac` (TRM, fractional credit) and `arc_tasks` (tasks scored).
 *
 * @param r The result of {@linkcode arcVote}.
 * @returns Metric name to value.
 *
 * @example
 * ```ts
 * import { arcMetrics } from "./arc_vote.ts";
 * const m = arcMetrics({ ks: [1], tasks: [], pass: [0.5], pass_fractional: [0.75],
 *   tasks_scored: 2, examples: 9 });
 * if (m["arc_pass@1"] !== 0.5 || m["arc_pass@1_frac"] !== 0.75) throw new Error();
 * ```
 */
export function arcMetrics(r: ArcVoteResult): Record<string, number> {
  const m: Record<string, number> = {};
  r.ks.forEach((k, i) => (m[`arc_pass@${k}`] = r.pass[i]));
  r.ks.forEach((k, i) => (m[`arc_pass@${k}_frac`] = r.pass_fractional[i]));
  m.arc_tasks = r.tasks_scored;
  return m;
}

/** One test input's entry in submission.json. */
export interface ArcAttempts {
  /** The top-ranked grid. */
  attempt_1: number[][];
  /** The second-ranked grid (the first again when only one was predicted). */
  attempt_2: number[][];
}

/**
 * The ARC Prize submission: every task of the vote, each with one `{attempt_1, attempt_2}` per
 * test input. As TRM's evaluator, a test input with a single candidate repeats it; one with no
 * prediction at all (cut off by `--limit`) gets `[[0]]` twice so the file keeps every task and
 * test input.
 *
 * @param r The result of {@linkcode arcVote}.
 * @returns The object to write as submission.json.
 *
 * @example
 * ```ts
 * import { submissionJson } from "./arc_vote.ts";
 * const c = { grid: [[1]], votes: 3, mean_q: 0.9 };
 * const s = submissionJson({ ks: [1], pass: [1], pass_fractional: [1], tasks_scored: 1,
 *   examples: 3, tasks: [{ name: "a", known: true,
 *     tests: [{ predictions: 3, candidates: [c], distinct: 1, rank: 1 }] }] });
 * if (JSON.stringify(s) !== '{"a":[{"attempt_1":[[1]],"attempt_2":[[1]]}]}') throw new Error();
 * ```
 */
export function submissionJson(r: ArcVoteResult): Record<string, ArcAttempts[]> {
  const out: Record<string, ArcAttempts[]> = {};
  for (const t of r.tasks) {
    out[t.name] = t.tests.map((v) => {
      const first = v.candidates[0]?.grid ?? [[0]];
      return { attempt_1: first, attempt_2: v.candidates[1]?.grid ?? first };
    });
  }
  return out;
}

/** A grid's identity: shape and colours, as a compact string. */
function gridKey(g: Grid): string {
  // Colours 0..9 as the digits '0'..'9': ASCII, so one latin1 decode makes the string.
  const digits = new Uint8Array(g.data.length);
  for (let i = 0; i < digits.length; i++) digits[i] = g.data[i] + 48;
  return `${g.h}x${g.w}:` + LATIN1.decode(digits);
}

const LATIN1 = new TextDecoder("latin1");

/** {@linkcode gridKey} of a grid given as rows. */
function rowsKey(rows: number[][]): string {
  const h = rows.length, w = h > 0 ? rows[0].length : 0;
  return `${h}x${w}:` +
    rows.map((r) => r.map((c) => String.fromCharCode(c + 48)).join("")).join("");
}

/** The rows a {@linkcode gridKey} stands for. */
function keyRows(key: string): number[][] {
  const m = /^(\d+)x(\d+):/.exec(key)!;
  const h = Number(m[1]), w = Number(m[2]), base = m[0].length, rows: number[][] = [];
  for (let i = 0; i < h; i++) {
    const row: number[] = [];
    for (let c = 0; c < w; c++) row.push(key.charCodeAt(base + i * w + c) - 48);
    rows.push(row);
  }
  return rows;
}
