/**
 * Runs every benchmark in bench/ (each `bench/<area>.ts` except this file), one at a time as a
 * subprocess so one area's GPU state or memory cannot skew the next. Each area prints its own
 * table and writes `bench/results/<area>.json` (or `<area>_<adapter>.json`), by convention
 * `{ "date": ISO-8601, "deno": version, ..., "rows": [{ ... }] }`; this file then prints a summary.
 *
 * Run: `deno task bench` for all areas, or `deno task bench <area> ...` for some (e.g. `arc`).
 * Exits non-zero if any area fails.
 *
 * @module
 */
import { basename, dirname, fromFileUrl, join } from "@std/path";

const here = dirname(fromFileUrl(import.meta.url));
const available: string[] = [];
for await (const e of Deno.readDir(here)) {
  if (e.isFile && e.name.endsWith(".ts") && e.name !== "main.ts" && !e.name.startsWith("_")) {
    available.push(basename(e.name, ".ts"));
  }
}
available.sort();

const wanted = Deno.args.length ? Deno.args : available;
const unknown = wanted.filter((a) => !available.includes(a));
if (unknown.length) {
  console.error(
    `bench: no such area: ${unknown.join(", ")}; available: ${available.join(", ") || "(none)"}`,
  );
  Deno.exit(2);
}

interface Outcome {
  area: string;
  code: number;
  seconds: number;
  rows: number | undefined;
  file: string | undefined;
}

const outcomes: Outcome[] = [];
for (const area of wanted) {
  console.log(`\n=== bench/${area}.ts`);
  const t0 = performance.now(), started = Date.now();
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(here, `${area}.ts`)],
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  const written = await resultFile(area, started);
  outcomes.push({
    area,
    code,
    seconds: (performance.now() - t0) / 1000,
    rows: written ? await rowCount(written) : undefined,
    file: written,
  });
}

/** `results/<area>.json`, or the newest `results/<area>_*.json` written since `since` (gpu). */
async function resultFile(area: string, since: number): Promise<string | undefined> {
  const dir = join(here, "results");
  let best: { name: string; mtime: number } | undefined;
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isFile || !(e.name === `${area}.json` || e.name.startsWith(`${area}_`))) continue;
      const mtime = (await Deno.stat(join(dir, e.name))).mtime?.getTime() ?? 0;
      if (e.name === `${area}.json` || mtime >= since) {
        if (!best || mtime > best.mtime) best = { name: e.name, mtime };
      }
    }
  } catch {
    return undefined;
  }
  return best && `bench/results/${best.name}`;
}

async function rowCount(file: string): Promise<number | undefined> {
  try {
    const json = JSON.parse(await Deno.readTextFile(join(dirname(here), file)));
    return Array.isArray(json?.rows) ? json.rows.length : undefined;
  } catch {
    return undefined;
  }
}

const width = Math.max(4, ...outcomes.map((o) => o.area.length));
console.log(`\n${"area".padEnd(width)}  status  seconds  rows  results`);
for (const o of outcomes) {
  const status = o.code === 0 ? "ok" : `exit ${o.code}`;
  const rows = o.rows === undefined ? "-" : String(o.rows);
  const file = o.file ?? "(none)";
  console.log(
    `${o.area.padEnd(width)}  ${status.padEnd(6)}  ${o.seconds.toFixed(1).padStart(7)}  ${
      rows.padStart(4)
    }  ${file}`,
  );
}
const failed = outcomes.filter((o) => o.code !== 0).length;
console.log(`${outcomes.length - failed} areas ok, ${failed} failed`);
if (failed) Deno.exit(1);
