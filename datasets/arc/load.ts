/**
 * Finds and loads ARC tasks from `--source` paths: folders of one-task JSON files (ARC-AGI-1,
 * ARC-AGI-2, ConceptARC `corpus`), searched recursively, and Kaggle-style combined
 * `arc-agi_<subset>_challenges.json` files with their `arc-agi_<subset>_solutions.json`.
 *
 * A task is in the test set when a folder on its path (the source folder itself included) or its
 * Kaggle subset is named in `testSet`, as the reference sends the test pairs of tasks under
 * `evaluation/` to the test split. Order is deterministic: sources as given, files sorted by path,
 * Kaggle tasks sorted by id (the reference shuffles instead; order only affects identifier
 * numbering).
 *
 * @module
 */
import { basename, dirname, join, relative, resolve } from "@std/path";
import { HrmError } from "../../lib/errors.ts";
import { type ArcTask, parseJson, parseTask } from "./task.ts";

const KAGGLE_CHALLENGES = /^arc-agi_(.+)_challenges\.json$/;
const KAGGLE_SOLUTIONS = /^arc-agi_(.+)_solutions\.json$/;

/** What {@linkcode loadArcTasks} found. */
export interface LoadedArcTasks {
  /** Every task, names unique. */
  tasks: ArcTask[];
  /** Things the user should know (renamed clashes, skipped duplicates, unknown outputs). */
  warnings: string[];
}

/**
 * Loads every task under `sources`.
 *
 * @param sources Folders (searched recursively) or JSON files.
 * @param testSet Folder or Kaggle subset names whose tasks' test pairs form the test split.
 * @returns The tasks, with unique names (a clash appends `-2`, `-3`...; test-set tasks keep their
 *   names first), and warnings.
 * @throws {HrmError} For a missing source, a source without tasks, or any malformed task.
 *
 * @example Loading the test fixtures
 * ```ts ignore
 * const { tasks } = await loadArcTasks(["tests/fixtures/arc/ARC-AGI-1"], ["evaluation"]);
 * ```
 */
export async function loadArcTasks(
  sources: string[],
  testSet: string[],
): Promise<LoadedArcTasks> {
  if (sources.length === 0) throw new HrmError(undefined, "no --source given", { exitCode: 2 });
  const warnings: string[] = [];
  const tasks: ArcTask[] = [];
  const seenFiles = new Map<string, string>();
  for (const source of sources) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(source);
    } catch (e) {
      throw new HrmError(source, `Cannot read source: ${(e as Error).message}`, { cause: e });
    }
    const files: { path: string; dirs: string[] }[] = [];
    if (info.isDirectory) {
      const root = resolve(source);
      for (const path of await listJson(root)) {
        const rel = relative(dirname(root), dirname(path)).split("/");
        files.push({ path, dirs: rel });
      }
    } else {
      const path = resolve(source);
      files.push({ path, dirs: [basename(dirname(path))] });
    }
    const before = tasks.length;
    for (const { path, dirs } of files) {
      const shown = join(source, relative(resolve(source), path)) || source;
      const earlier = seenFiles.get(path);
      if (earlier !== undefined) {
        warnings.push(`${shown}: already loaded via ${earlier}, skipped`);
        continue;
      }
      seenFiles.set(path, shown);
      const name = basename(path);
      if (KAGGLE_SOLUTIONS.test(name)) {
        if (info.isDirectory) continue; // read with its challenges file
        throw new HrmError(shown, "a solutions file: pass its arc-agi_*_challenges.json instead");
      }
      const kaggle = KAGGLE_CHALLENGES.exec(name);
      if (kaggle) {
        tasks.push(
          ...await loadKaggle(path, shown, kaggle[1], testSet.includes(kaggle[1]), warnings),
        );
      } else {
        const value = parseJson(await readText(shown, path), shown);
        const inTestSet = dirs.some((d) => testSet.includes(d));
        tasks.push(parseTask(value, shown, basename(path, ".json"), { inTestSet }));
      }
    }
    if (tasks.length === before) throw new HrmError(source, "no ARC task JSON files found");
  }
  uniquifyNames(tasks, warnings);
  return { tasks, warnings };
}

async function loadKaggle(
  path: string,
  shown: string,
  subset: string,
  inTestSet: boolean,
  warnings: string[],
): Promise<ArcTask[]> {
  const challenges = parseJson(await readText(shown, path), shown);
  if (typeof challenges !== "object" || challenges === null || Array.isArray(challenges)) {
    throw new HrmError(shown, "expected an object mapping task id -> task");
  }
  const solPath = join(dirname(path), `arc-agi_${subset}_solutions.json`);
  const solShown = join(dirname(shown), basename(solPath));
  let solutions: Record<string, unknown> | null = null;
  try {
    const s = parseJson(await Deno.readTextFile(solPath), solShown);
    if (typeof s !== "object" || s === null || Array.isArray(s)) {
      throw new HrmError(solShown, "expected an object mapping task id -> list of output grids");
    }
    solutions = s as Record<string, unknown>;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    warnings.push(`${shown}: no ${basename(solPath)} beside it; test outputs unknown`);
  }
  const out: ArcTask[] = [];
  for (const id of Object.keys(challenges).sort()) {
    const raw = (challenges as Record<string, unknown>)[id];
    const file = `${shown}#${id}`;
    if (solutions !== null && typeof raw === "object" && raw !== null && !Array.isArray(raw)) {
      const tests = (raw as Record<string, unknown>).test;
      const sol = solutions[id];
      if (!Array.isArray(sol)) {
        throw new HrmError(solShown, `task ${id}: missing list of test outputs`);
      }
      if (!Array.isArray(tests) || tests.length !== sol.length) {
        throw new HrmError(
          solShown,
          `task ${id}: ${sol.length} test outputs for ${
            Array.isArray(tests) ? tests.length : 0
          } test inputs`,
        );
      }
      const merged = tests.map((t, i) =>
        typeof t === "object" && t !== null ? { ...t, output: sol[i] } : t
      );
      out.push(parseTask({ ...raw, test: merged }, file, id, { inTestSet }));
    } else {
      out.push(parseTask(raw, file, id, { inTestSet, outputsOptional: true }));
    }
  }
  return out;
}

async function readText(shown: string, path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new HrmError(shown, `Cannot read: ${(e as Error).message}`, { cause: e });
  }
}

/** All `*.json` files under `dir`, sorted by path. */
async function listJson(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(dir)) entries.push(e);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...await listJson(path));
    else if (e.isFile && e.name.endsWith(".json")) out.push(path);
  }
  return out;
}

/** Test-set tasks claim their names first, so submissions keep the real task ids. */
function uniquifyNames(tasks: ArcTask[], warnings: string[]): void {
  const taken = new Set<string>();
  const ordered = [...tasks.filter((t) => t.inTestSet), ...tasks.filter((t) => !t.inTestSet)];
  const renamed: string[] = [];
  for (const t of ordered) {
    if (!taken.has(t.name)) {
      taken.add(t.name);
      continue;
    }
    let k = 2;
    while (taken.has(`${t.name}-${k}`)) k++;
    renamed.push(`${t.file} -> ${t.name}-${k}`);
    t.name = `${t.name}-${k}`;
    taken.add(t.name);
  }
  if (renamed.length > 0) {
    warnings.push(
      `${renamed.length} task name clash(es), renamed: ${renamed.slice(0, 3).join(", ")}${
        renamed.length > 3 ? ", ..." : ""
      }`,
    );
  }
}
