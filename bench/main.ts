/**
 * Runs every benchmark in bench/ (each `bench/<area>.ts` except this file), one at a time as a
 * subprocess so one area's GPU state or memory cannot skew the next. Each area prints its own
 * table and writes `bench/results/<area>.json`, by convention
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
}

const outcomes: Outcome[] = [];
for (const area of wanted) {
  console.log(`\n=== bench/${area}.ts`);
  const t0 = performance.now();
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(here, `${area}.ts`)],
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  outcomes.push({
    area,
    code,
    seconds: (performance.now() - t0) / 1000,
    rows: await rowCount(area),
  });
}

async function rowCount(area: string): Promise<number | undefined> {
  try {
    const json = JSON.parse(await Deno.readTextFile(join(here, "results", `${area}.json`)));
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
  const file = o.rows === undefined ? "(none)" : `bench/results/${o.area}.json`;
  console.log(
    `${o.area.padEnd(width)}  ${status.padEnd(6)}  ${o.seconds.toFixed(1).padStart(7)}  ${
      rows.padStart(4)
    }  ${file}`,
  );
}
const failed = outcomes.filter((o) => o.code !== 0).length;
console.log(`${outcomes.length - failed} areas ok, ${failed} failed`);
if (failed) Deno.exit(1);
