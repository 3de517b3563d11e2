/**
 * Output folders that already hold something: a run folder (latest.json, metrics.jsonl) or a
 * dataset folder (train/, test/, identifiers.json). Writing a new run or dataset into one would
 * mix two of them (appending to metrics.jsonl, repointing latest.json), so it is refused unless
 * the user says `--overwrite`, which removes only the files such a folder is made of.
 *
 * @module
 */
import { join } from "@std/path";
import { HrmError } from "../errors.ts";

/** What an output folder is for. */
export type FolderKind = "run" | "dataset";

const MARKERS: Record<FolderKind, readonly string[]> = {
  run: ["latest.json", "metrics.jsonl"],
  dataset: ["train/dataset.json", "test/dataset.json", "identifiers.json"],
};

/** Files of a run folder that --overwrite removes (besides the markers). */
const RUN_FILE =
  /^(step_\d+(_all_preds)?\.safetensors|state_\d+\.safetensors|all_config\.yaml|latest\.json|metrics\.jsonl)$/;

/**
 * Whether `path` exists (a file or folder; anything unreadable counts as absent).
 *
 * @param path The path.
 * @returns True when `Deno.stat` succeeds.
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure `dir` holds no run or dataset before a new one is written there.
 *
 * @param dir The output folder (may not exist yet).
 * @param kind What will be written.
 * @param overwrite Remove the old one's files instead of refusing.
 * @throws {HrmError} when `dir` already holds one and `overwrite` is false; the message names
 *   what was found and the ways out.
 */
export async function prepareOutput(
  dir: string,
  kind: FolderKind,
  overwrite: boolean,
): Promise<void> {
  const found: string[] = [];
  for (const m of MARKERS[kind]) if (await exists(join(dir, m))) found.push(m);
  if (!found.length) return;
  if (!overwrite) {
    const way = kind === "run"
      ? `continue it with --resume ${dir}, choose another --out, or pass --overwrite to replace it`
      : "choose another --out, or pass --overwrite to replace it";
    throw new HrmError(dir, `already holds a ${kind} (${found.join(", ")}): ${way}`);
  }
  if (kind === "dataset") {
    for (const sub of ["train", "test", "identifiers.json"]) {
      await Deno.remove(join(dir, sub), { recursive: true }).catch(() => {});
    }
    return;
  }
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && RUN_FILE.test(e.name)) await Deno.remove(join(dir, e.name));
  }
}
