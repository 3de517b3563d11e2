/**
 * The reference HRM dataset layout (sapientinc/HRM dataset/common.py, puzzle_dataset.py):
 * `<dir>/identifiers.json` and, per split, `<dir>/<split>/dataset.json` plus
 * `all__{inputs,labels,puzzle_identifiers,puzzle_indices,group_indices}.npy`. A dataset written
 * here loads in the reference PyTorch code and one the reference wrote loads here.
 *
 * {@linkcode SplitWriter} (in split_writer.ts, re-exported here) streams examples to disk with
 * bounded memory and publishes a split only when it is complete; {@linkcode readSplit}
 * validates everything and names the file at fault.
 *
 * @module
 */
import { z } from "zod";
import { join } from "@std/path";
import { HrmError } from "../errors.ts";
import { type NpyArray, readFileOrFail, readNpy } from "./npy.ts";

export {
  type PuzzleExamples,
  SplitWriter,
  type SplitWriterOptions,
  writeIdentifiers,
  writeSplit,
} from "./split_writer.ts";

/** dataset.json: the reference's PuzzleDatasetMetadata, field for field. */
export interface DatasetMetadata {
  /** Input token used for padding (0 in every reference builder). */
  pad_id: number;
  /** Label token mapped to the loss's ignore index (-100), or null for none. */
  ignore_label_id: number | null;
  /** Puzzle identifier used for padding rows (0 = "<blank>"). */
  blank_identifier_id: number;
  /** Number of token values; inputs and labels are below it. */
  vocab_size: number;
  /** Tokens per example. */
  seq_len: number;
  /** Rows of the puzzle-embedding table; identifiers are below it. */
  num_puzzle_identifiers: number;
  /** Number of groups (an original puzzle plus its augmented variants). */
  total_groups: number;
  /** Examples per puzzle in this split (N_examples / N_puzzles). */
  mean_puzzle_examples: number;
  /** Set names; always `["all"]` here. */
  sets: string[];
}

/** One split's arrays, as the reference stores them. */
export interface SplitArrays {
  /** [N_examples * seq_len] token ids. */
  inputs: Uint8Array;
  /** [N_examples * seq_len] target token ids. */
  labels: Uint8Array;
  /** [N_puzzles] identifier of each puzzle. */
  puzzle_identifiers: Int32Array;
  /** [N_puzzles + 1] offsets of each puzzle's examples, from 0. */
  puzzle_indices: Int32Array;
  /** [N_groups + 1] offsets of each group's puzzles, from 0. */
  group_indices: Int32Array;
}

/** A loaded split. */
export interface Split {
  /** The dataset directory. */
  dir: string;
  /** Which split. */
  split: "train" | "test";
  /** Its dataset.json. */
  meta: DatasetMetadata;
  /** Its arrays. */
  arrays: SplitArrays;
}

/** The array fields, each stored as `all__<field>.npy`. */
export const FIELDS = [
  "inputs",
  "labels",
  "puzzle_identifiers",
  "puzzle_indices",
  "group_indices",
] as const;
/**
 * Reads and validates one split: dataset.json fields and types, every array's presence, dtype
 * and shape, and their agreement (offsets monotone from 0 to the row counts, identifiers below
 * num_puzzle_identifiers, tokens below vocab_size). Integer arrays of other widths (e.g. int64
 * indices) are accepted and converted when their values fit.
 *
 * @param dir The dataset directory.
 * @param split "train" or "test".
 * @returns The metadata and arrays.
 * @throws {HrmError} naming the file and the problem, one line.
 *
 * @example A missing split
 * ```ts
 * import { readSplit } from "./dataset.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await readSplit(dir, "test");
 *   throw new Error("unreachable");
 * } catch (e) {
 *   if (!(e as Error).message.endsWith("test/dataset.json: file or directory not found")) throw e;
 * }
 * ```
 */
export async function readSplit(dir: string, split: "train" | "test"): Promise<Split> {
  const splitDir = join(dir, split);
  const metaPath = join(splitDir, "dataset.json");
  const meta = parseJson(metaPath, await readFileOrFail(metaPath), METADATA);
  const failMeta = (p: string): never => {
    throw new HrmError(metaPath, p);
  };
  if (meta.sets.length !== 1 || meta.sets[0] !== "all") {
    failMeta(`sets ${JSON.stringify(meta.sets)} not supported: hrm reads the single set "all"`);
  }
  if (meta.pad_id >= meta.vocab_size) {
    failMeta(`pad_id ${meta.pad_id} >= vocab_size ${meta.vocab_size}`);
  }
  if (meta.blank_identifier_id >= meta.num_puzzle_identifiers) {
    failMeta(
      `blank_identifier_id ${meta.blank_identifier_id} >= num_puzzle_identifiers ${meta.num_puzzle_identifiers}`,
    );
  }
  const path = (f: string) => join(splitDir, `all__${f}.npy`);
  const raw = {} as Record<(typeof FIELDS)[number], NpyArray>;
  for (const f of FIELDS) raw[f] = await readNpy(path(f));

  const { seq_len, vocab_size, ignore_label_id, num_puzzle_identifiers } = meta;
  const inputs = toInts(raw.inputs, path("inputs"), Uint8Array);
  const labels = toInts(raw.labels, path("labels"), Uint8Array);
  const [N] = raw.inputs.shape;
  if (raw.inputs.shape.length !== 2 || raw.inputs.shape[1] !== seq_len) {
    fail(
      path("inputs"),
      `shape [${raw.inputs.shape}], expected [N, ${seq_len}] (seq_len in dataset.json)`,
    );
  }
  if (raw.labels.shape.join() !== raw.inputs.shape.join()) {
    fail(
      path("labels"),
      `shape [${raw.labels.shape}] differs from all__inputs.npy [${raw.inputs.shape}]`,
    );
  }
  const [ids, pidx, gidx] = (["puzzle_identifiers", "puzzle_indices", "group_indices"] as const)
    .map((f) => {
      if (raw[f].shape.length !== 1) {
        fail(path(f), `shape [${raw[f].shape}], expected one dimension`);
      }
      return toInts(raw[f], path(f), Int32Array);
    });
  const P = ids.length;
  if (pidx.length !== P + 1) {
    fail(
      path("puzzle_indices"),
      `has ${pidx.length} entries, expected ${
        P + 1
      } (${P} puzzles in all__puzzle_identifiers.npy, plus 1)`,
    );
  }
  checkOffsets(pidx, N, path("puzzle_indices"), "example", "inputs rows", false);
  checkOffsets(gidx, P, path("group_indices"), "puzzle", "puzzles", true);
  const G = gidx.length - 1;
  if (meta.total_groups !== G) {
    failMeta(`total_groups is ${meta.total_groups}, all__group_indices.npy has ${G} groups`);
  }
  const mean = P > 0 ? N / P : 0;
  if (Math.abs(meta.mean_puzzle_examples - mean) > 1e-6 * Math.max(1, mean)) {
    failMeta(
      `mean_puzzle_examples is ${meta.mean_puzzle_examples}, the arrays give ${N} / ${P} = ${mean}`,
    );
  }
  const badId = ids.findIndex((v) => v < 0 || v >= num_puzzle_identifiers);
  if (badId >= 0) {
    fail(
      path("puzzle_identifiers"),
      `puzzle ${badId} has identifier ${ids[badId]}, outside 0..${
        num_puzzle_identifiers - 1
      } (num_puzzle_identifiers)`,
    );
  }
  checkTokens(inputs, seq_len, vocab_size, null, path("inputs"));
  checkTokens(labels, seq_len, vocab_size, ignore_label_id, path("labels"));
  return {
    dir,
    split,
    meta,
    arrays: { inputs, labels, puzzle_identifiers: ids, puzzle_indices: pidx, group_indices: gidx },
  };
}

/**
 * Reads `<dir>/identifiers.json`.
 *
 * @param dir The dataset directory.
 * @returns Names by identifier.
 * @throws {HrmError} when the file is missing or not a JSON list of strings.
 *
 * @example
 * ```ts
 * import { readIdentifiers } from "./dataset.ts";
 * try {
 *   await readIdentifiers("/no/such/dataset");
 *   throw new Error("unreachable");
 * } catch (e) {
 *   if (!(e as Error).message.includes("identifiers.json")) throw e;
 * }
 * ```
 */
export async function readIdentifiers(dir: string): Promise<string[]> {
  const path = join(dir, "identifiers.json");
  return parseJson(path, await readFileOrFail(path), z.array(z.string()));
}

const count = z.number().int().nonnegative();
const METADATA = z.object({
  pad_id: count,
  ignore_label_id: z.number().int().nullable(),
  blank_identifier_id: count,
  vocab_size: z.number().int().min(1).max(256),
  seq_len: z.number().int().min(1),
  num_puzzle_identifiers: z.number().int().min(1),
  total_groups: count,
  mean_puzzle_examples: z.number().nonnegative(),
  sets: z.array(z.string()).min(1),
});

function fail(file: string, problem: string): never {
  throw new HrmError(file, problem);
}

/** Parses JSON and checks it with zod; the first problem becomes a one-line HrmError. */
function parseJson<T>(path: string, bytes: Uint8Array, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    fail(path, `not valid JSON: ${(e as Error).message}`);
  }
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue.path.join(".");
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more problems)` : "";
  const msg = issue.message.replace(/^Invalid input: /, "");
  if (field && msg.endsWith("received undefined")) fail(path, `missing field ${field}${more}`);
  return fail(path, `${field ? `field ${field}: ` : ""}${msg}${more}`);
}

/** An integer array as `to` (Uint8Array or Int32Array): the data itself when the dtype is
 * already right, else a checked conversion (e.g. int64 indices numpy made by default). */
function toInts<T extends Uint8Array | Int32Array>(
  a: NpyArray,
  file: string,
  to: { new (n: number): T },
): T {
  const want = new to(0).BYTES_PER_ELEMENT === 1 ? "|u1" : "<i4";
  if (a.dtype === want) return a.data as T;
  if (a.dtype[1] !== "u" && a.dtype[1] !== "i") {
    fail(file, `dtype ${a.dtype}, expected ${want} (an integer array)`);
  }
  const out = new to(a.data.length);
  for (let i = 0; i < a.data.length; i++) {
    out[i] = Number(a.data[i]);
    if (out[i] !== Number(a.data[i])) {
      fail(file, `value ${a.data[i]} at index ${i} does not fit ${want} (dtype ${a.dtype})`);
    }
  }
  return out;
}

function checkOffsets(
  o: Int32Array,
  end: number,
  file: string,
  unit: string,
  of: string,
  strict: boolean,
): void {
  if (o.length === 0 || o[0] !== 0) {
    fail(file, `must start at 0, starts with ${o.length ? o[0] : "nothing"}`);
  }
  for (let i = 1; i < o.length; i++) {
    if (o[i] < o[i - 1] || (strict && o[i] === o[i - 1])) {
      fail(
        file,
        `not ${strict ? "strictly " : ""}increasing at index ${i}: ${o[i - 1]} then ${o[i]}`,
      );
    }
  }
  if (o[o.length - 1] !== end) {
    fail(file, `ends at ${unit} ${o[o.length - 1]}, expected ${end} (${of})`);
  }
}

function checkTokens(
  t: Uint8Array,
  seqLen: number,
  vocab: number,
  ignore: number | null,
  file: string,
): void {
  for (let i = 0; i < t.length; i++) {
    if (t[i] >= vocab && t[i] !== ignore) {
      fail(
        file,
        `token ${t[i]} at example ${Math.floor(i / seqLen)}, position ${
          i % seqLen
        } is >= vocab_size ${vocab}`,
      );
    }
  }
}
