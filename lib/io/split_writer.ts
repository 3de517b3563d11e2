/**
 * Writes the reference HRM dataset layout (see dataset.ts): {@linkcode SplitWriter} streams a
 * split to disk, {@linkcode writeSplit} writes one held in memory, {@linkcode writeIdentifiers}
 * writes identifiers.json. Text files match what Python's json.dump writes.
 *
 * @module
 */
import { join } from "@std/path";
import { atomicWriteText } from "./atomic_write.ts";
import type { DatasetMetadata, SplitArrays } from "./dataset.ts";
import { fsError, npyHeader, writeNpy } from "./npy.ts";

const FIELDS = ["inputs", "labels", "puzzle_identifiers", "puzzle_indices", "group_indices"];
const CHUNK = 1 << 20; // bytes buffered per stream before a write

/** Options for {@linkcode SplitWriter}; the ids default to 0 as in every reference builder. */
export interface SplitWriterOptions {
  /** Tokens per example. */
  seq_len: number;
  /** Token values are below this (at most 256: tokens are stored as uint8). */
  vocab_size: number;
  /** @default {0} */
  pad_id?: number;
  /** @default {0} */
  ignore_label_id?: number | null;
  /** @default {0} */
  blank_identifier_id?: number;
}

/** One puzzle for {@linkcode SplitWriter.addGroup}: an identifier and at least one example. */
export interface PuzzleExamples {
  /** Row of the puzzle-embedding table. */
  puzzle_identifier: number;
  /** Input and label, `seq_len` tokens each. */
  examples: { input: Uint8Array; label: Uint8Array }[];
}

/**
 * Streams one split to disk with bounded memory: inputs and labels go straight into their `.npy`
 * files in a staging folder (the header is patched at the end; np.save's header length does
 * not depend on the row count), index arrays stay in memory (4 bytes per puzzle). `finish()`
 * moves the files into place with dataset.json last; if it fails, or after `abort()`, no new
 * file is left under a final name. Await each call before the next.
 *
 * @example Two groups
 * ```ts
 * import { readSplit, SplitWriter } from "./dataset.ts";
 * const dir = await Deno.makeTempDir();
 * const w = new SplitWriter(dir, "train", { seq_len: 2, vocab_size: 4 });
 * const ex = (t: number) => ({ input: new Uint8Array([t, 1]), label: new Uint8Array([1, t]) });
 * await w.addGroup([{ puzzle_identifier: 1, examples: [ex(2), ex(3)] }]);
 * await w.addGroup([{ puzzle_identifier: 2, examples: [ex(3)] }, { puzzle_identifier: 3, examples: [ex(1)] }]);
 * const meta = await w.finish({ num_puzzle_identifiers: 4 });
 * if (meta.total_groups !== 2 || meta.mean_puzzle_examples !== 4 / 3) throw new Error();
 * const back = await readSplit(dir, "train");
 * if (back.arrays.group_indices.join() !== "0,1,3") throw new Error();
 * ```
 */
export class SplitWriter {
  readonly #splitDir: string;
  readonly #staging: string;
  readonly #meta: Omit<
    DatasetMetadata,
    "num_puzzle_identifiers" | "total_groups" | "mean_puzzle_examples"
  >;
  #files: { inputs: Deno.FsFile; labels: Deno.FsFile } | undefined;
  readonly #buf: { inputs: Uint8Array; labels: Uint8Array };
  #fill = 0;
  #examples = 0;
  #maxIdentifier = -1;
  readonly #identifiers = new Int32Builder();
  readonly #puzzleIndices = new Int32Builder([0]);
  readonly #groupIndices = new Int32Builder([0]);
  #state: "open" | "busy" | "done" = "open";

  /**
   * @param dir The dataset directory (created if missing).
   * @param split "train" or "test".
   * @param opts seq_len, vocab_size and the special ids.
   * @throws {RangeError} for a non-positive seq_len or a vocab_size outside 1..256.
   */
  constructor(dir: string, split: "train" | "test", opts: SplitWriterOptions) {
    const { seq_len, vocab_size } = opts;
    if (!Number.isSafeInteger(seq_len) || seq_len < 1) {
      throw new RangeError(`bad seq_len ${seq_len}`);
    }
    if (!Number.isInteger(vocab_size) || vocab_size < 1 || vocab_size > 256) {
      throw new RangeError(`vocab_size ${vocab_size} must be in 1..256 (tokens are uint8)`);
    }
    const chunk = Math.max(CHUNK, seq_len);
    this.#buf = { inputs: new Uint8Array(chunk), labels: new Uint8Array(chunk) };
    this.#splitDir = join(dir, split);
    this.#staging = join(this.#splitDir, `.staging-${crypto.randomUUID().slice(0, 8)}`);
    this.#meta = {
      pad_id: opts.pad_id ?? 0,
      ignore_label_id: opts.ignore_label_id === undefined ? 0 : opts.ignore_label_id,
      blank_identifier_id: opts.blank_identifier_id ?? 0,
      vocab_size,
      seq_len,
      sets: ["all"],
    };
  }

  /** Examples, puzzles and groups added so far. */
  get counts(): { examples: number; puzzles: number; groups: number } {
    return {
      examples: this.#examples,
      puzzles: this.#identifiers.length,
      groups: this.#groupIndices.length - 1,
    };
  }

  /**
   * Adds one group: an original puzzle and its augmented variants, each with >= 1 examples.
   *
   * @param puzzles The group's puzzles.
   * @returns Resolves once the examples are buffered or written.
   * @throws {RangeError} for an empty group or puzzle, a wrong example length, a token
   * >= vocab_size, or a bad identifier; nothing of the group is written then.
   * @throws {HrmError} when the directory cannot be written.
   */
  async addGroup(puzzles: PuzzleExamples[]): Promise<void> {
    this.#enter("addGroup");
    try {
      this.#check(puzzles);
    } catch (e) {
      this.#state = "open"; // nothing was written: the caller may go on
      throw e;
    }
    try {
      if (!this.#files) await this.#open();
      for (const p of puzzles) {
        for (const { input, label } of p.examples) {
          if (this.#fill + input.length > this.#buf.inputs.length) await this.#flush();
          this.#buf.inputs.set(input, this.#fill);
          this.#buf.labels.set(label, this.#fill);
          this.#fill += input.length;
          this.#examples++;
        }
        this.#identifiers.push(p.puzzle_identifier);
        this.#puzzleIndices.push(this.#examples);
        this.#maxIdentifier = Math.max(this.#maxIdentifier, p.puzzle_identifier);
      }
      this.#groupIndices.push(this.#identifiers.length);
      this.#state = "open";
    } catch (e) {
      await this.abort(); // part of the group may be on disk: the split cannot be finished
      throw fsError(this.#splitDir, e);
    }
  }

  /**
   * Writes all arrays and dataset.json and moves them into place (dataset.json last).
   *
   * @param opts num_puzzle_identifiers: rows of the embedding table (all splits' ids + blank).
   * @returns The metadata written.
   * @throws {RangeError} when an identifier or blank_identifier_id is >= num_puzzle_identifiers;
   * the writer stays open then.
   * @throws {HrmError} when a file cannot be written; no new final file remains then.
   */
  async finish(opts: { num_puzzle_identifiers: number }): Promise<DatasetMetadata> {
    const n = opts.num_puzzle_identifiers;
    if (
      this.#state === "open" &&
      (!Number.isSafeInteger(n) ||
        n <= Math.max(this.#maxIdentifier, this.#meta.blank_identifier_id))
    ) {
      throw new RangeError(
        `num_puzzle_identifiers ${n} must exceed every identifier (max ${this.#maxIdentifier}) ` +
          `and blank_identifier_id ${this.#meta.blank_identifier_id}`,
      );
    }
    this.#enter("finish");
    const published: string[] = [];
    try {
      if (!this.#files) await this.#open();
      await this.#flush();
      for (const key of ["inputs", "labels"] as const) {
        const file = this.#files![key];
        await file.seek(0, Deno.SeekMode.Start);
        await writeAll(file, npyHeader("|u1", [this.#examples, this.#meta.seq_len]));
        file.close();
      }
      this.#files = undefined;
      const puzzles = this.#identifiers.length;
      const meta: DatasetMetadata = {
        pad_id: this.#meta.pad_id,
        ignore_label_id: this.#meta.ignore_label_id,
        blank_identifier_id: this.#meta.blank_identifier_id,
        vocab_size: this.#meta.vocab_size,
        seq_len: this.#meta.seq_len,
        num_puzzle_identifiers: n,
        total_groups: this.#groupIndices.length - 1,
        mean_puzzle_examples: puzzles > 0 ? this.#examples / puzzles : 0,
        sets: ["all"],
      };
      const stage = (f: string) => join(this.#staging, f);
      await writeNpy(stage("all__puzzle_identifiers.npy"), this.#identifiers.toArray(), [puzzles]);
      for (
        const [f, b] of [["puzzle_indices", this.#puzzleIndices], [
          "group_indices",
          this.#groupIndices,
        ]] as const
      ) {
        await writeNpy(stage(`all__${f}.npy`), b.toArray(), [b.length]);
      }
      await atomicWriteText(stage("dataset.json"), pythonJson(meta));
      // Readers see a split only through dataset.json: drop the old one first, publish it last.
      await Deno.remove(join(this.#splitDir, "dataset.json")).catch(ignoreNotFound);
      for (const f of [...FIELDS.map((x) => `all__${x}.npy`), "dataset.json"]) {
        const target = join(this.#splitDir, f);
        await Deno.rename(stage(f), target).catch((e) => {
          throw fsError(target, e);
        });
        published.push(target);
      }
      await Deno.remove(this.#staging, { recursive: true });
      this.#state = "done";
      return meta;
    } catch (e) {
      for (const p of published) await Deno.remove(p).catch(() => {});
      await this.abort();
      throw fsError(this.#splitDir, e);
    }
  }

  /**
   * Stops and deletes the staging files (on an error or Ctrl-C). Safe to call more than once.
   *
   * @returns Resolves once the staging folder is gone.
   */
  async abort(): Promise<void> {
    this.#state = "done";
    for (const f of Object.values(this.#files ?? {})) {
      try {
        f.close();
      } catch { /* already closed */ }
    }
    this.#files = undefined;
    await Deno.remove(this.#staging, { recursive: true }).catch(ignoreNotFound);
  }

  #enter(what: string): void {
    if (this.#state === "done") {
      throw new Error(`SplitWriter.${what}: writer already finished or aborted`);
    }
    if (this.#state === "busy") {
      throw new Error(`SplitWriter.${what}: await the previous call first`);
    }
    this.#state = "busy";
  }

  #check(puzzles: PuzzleExamples[]): void {
    const { seq_len, vocab_size, ignore_label_id } = this.#meta;
    if (puzzles.length === 0) throw new RangeError("a group needs at least one puzzle");
    for (const [i, p] of puzzles.entries()) {
      const id = p.puzzle_identifier;
      if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
        throw new RangeError(`puzzle ${i}: bad puzzle_identifier ${id}`);
      }
      if (p.examples.length === 0) throw new RangeError(`puzzle ${i}: needs at least one example`);
      for (const [j, { input, label }] of p.examples.entries()) {
        const where = `puzzle ${i}, example ${j}`;
        if (input.length !== seq_len || label.length !== seq_len) {
          throw new RangeError(
            `${where}: input/label lengths ${input.length}/${label.length}, seq_len ${seq_len}`,
          );
        }
        for (let k = 0; k < seq_len; k++) {
          if (input[k] >= vocab_size) {
            throw new RangeError(`${where}: input token ${input[k]} >= vocab_size ${vocab_size}`);
          }
          if (label[k] >= vocab_size && label[k] !== ignore_label_id) {
            throw new RangeError(`${where}: label token ${label[k]} >= vocab_size ${vocab_size}`);
          }
        }
      }
    }
  }

  async #open(): Promise<void> {
    try {
      await Deno.mkdir(this.#staging, { recursive: true });
      const placeholder = npyHeader("|u1", [0, this.#meta.seq_len]);
      const open = async (f: string) => {
        const file = await Deno.open(join(this.#staging, f), { write: true, createNew: true });
        await writeAll(file, placeholder);
        return file;
      };
      this.#files = {
        inputs: await open("all__inputs.npy"),
        labels: await open("all__labels.npy"),
      };
    } catch (e) {
      throw fsError(this.#splitDir, e);
    }
  }

  async #flush(): Promise<void> {
    if (this.#fill === 0) return;
    await writeAll(this.#files!.inputs, this.#buf.inputs.subarray(0, this.#fill));
    await writeAll(this.#files!.labels, this.#buf.labels.subarray(0, this.#fill));
    this.#fill = 0;
  }
}

/**
 * Writes `<dir>/identifiers.json` (identifier -> name; index 0 is "<blank>") atomically, in the
 * same text Python's json.dump writes.
 *
 * @param dir The dataset directory (created if missing).
 * @param names Names by identifier.
 * @returns Resolves once the file is in place.
 * @throws {HrmError} when the directory cannot be written.
 *
 * @example
 * ```ts
 * import { readIdentifiers, writeIdentifiers } from "./dataset.ts";
 * const dir = await Deno.makeTempDir();
 * await writeIdentifiers(dir, ["<blank>", "007bbfb7"]);
 * if ((await readIdentifiers(dir))[1] !== "007bbfb7") throw new Error();
 * ```
 */
export async function writeIdentifiers(dir: string, names: string[]): Promise<void> {
  const path = join(dir, "identifiers.json");
  try {
    await Deno.mkdir(dir, { recursive: true });
    await atomicWriteText(path, `[${names.map(pythonString).join(", ")}]`);
  } catch (e) {
    throw fsError(path, e);
  }
}

/**
 * Writes a whole split held in memory, through {@linkcode SplitWriter} (for small datasets and
 * tests; generators of big ones call SplitWriter directly).
 *
 * @param dir The dataset directory.
 * @param split "train" or "test".
 * @param opts SplitWriter options plus num_puzzle_identifiers.
 * @param arrays The arrays; their offsets must be consistent.
 * @returns The metadata written.
 * @throws {RangeError} when the arrays disagree (as {@linkcode SplitWriter.addGroup}).
 * @throws {HrmError} when a file cannot be written.
 *
 * @example
 * ```ts
 * import { readSplit, writeSplit } from "./dataset.ts";
 * const dir = await Deno.makeTempDir();
 * await writeSplit(dir, "test", { seq_len: 1, vocab_size: 3, num_puzzle_identifiers: 1 }, {
 *   inputs: new Uint8Array([1, 2]),
 *   labels: new Uint8Array([2, 1]),
 *   puzzle_identifiers: new Int32Array([0, 0]),
 *   puzzle_indices: new Int32Array([0, 1, 2]),
 *   group_indices: new Int32Array([0, 2]),
 * });
 * if ((await readSplit(dir, "test")).meta.total_groups !== 1) throw new Error();
 * ```
 */
export async function writeSplit(
  dir: string,
  split: "train" | "test",
  opts: SplitWriterOptions & { num_puzzle_identifiers: number },
  arrays: SplitArrays,
): Promise<DatasetMetadata> {
  const { inputs, labels, puzzle_identifiers: ids, puzzle_indices: pidx, group_indices: gidx } =
    arrays;
  const S = opts.seq_len;
  if (
    inputs.length !== labels.length || pidx.length !== ids.length + 1 ||
    pidx[ids.length] * S !== inputs.length
  ) {
    throw new RangeError(
      "writeSplit: inputs, labels, puzzle_identifiers and puzzle_indices disagree",
    );
  }
  if (gidx[0] !== 0 || gidx[gidx.length - 1] !== ids.length) {
    throw new RangeError("writeSplit: group_indices must run from 0 to the number of puzzles");
  }
  const w = new SplitWriter(dir, split, opts);
  try {
    for (let g = 0; g + 1 < gidx.length; g++) {
      const puzzles: PuzzleExamples[] = [];
      for (let p = gidx[g]; p < gidx[g + 1]; p++) {
        const examples = [];
        for (let e = pidx[p]; e < pidx[p + 1]; e++) {
          examples.push({
            input: inputs.subarray(e * S, (e + 1) * S),
            label: labels.subarray(e * S, (e + 1) * S),
          });
        }
        puzzles.push({ puzzle_identifier: ids[p], examples });
      }
      await w.addGroup(puzzles);
    }
    return await w.finish({ num_puzzle_identifiers: opts.num_puzzle_identifiers });
  } catch (e) {
    await w.abort();
    throw e;
  }
}

/** dataset.json as Python's json.dump writes it: ", " and ": " separators, floats with ".0". */
function pythonJson(m: DatasetMetadata): string {
  const fields = Object.entries(m).map(([k, v]) => {
    const text = k === "mean_puzzle_examples" && Number.isInteger(v)
      ? `${v}.0`
      : Array.isArray(v)
      ? `[${v.map(pythonString).join(", ")}]`
      : JSON.stringify(v);
    return `"${k}": ${text}`;
  });
  return `{${fields.join(", ")}}`;
}

/** A JSON string escaped as Python's json.dump does (ensure_ascii). */
function pythonString(s: string): string {
  return JSON.stringify(s).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function ignoreNotFound(e: unknown): void {
  if (!(e instanceof Deno.errors.NotFound)) throw e;
}

async function writeAll(f: Deno.FsFile, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await f.write(data.subarray(off));
}

/** A growable Int32 list (index arrays stay in memory: 4 bytes per puzzle). */
class Int32Builder {
  #data: Int32Array;
  length = 0;
  constructor(init: number[] = []) {
    this.#data = new Int32Array(Math.max(1024, init.length));
    for (const v of init) this.push(v);
  }
  push(v: number): void {
    if (this.length === this.#data.length) {
      const grown = new Int32Array(this.#data.length * 2);
      grown.set(this.#data);
      this.#data = grown;
    }
    this.#data[this.length++] = v;
  }
  toArray(): Int32Array {
    return this.#data.slice(0, this.length);
  }
}
