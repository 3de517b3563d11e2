/**
 * `key=value` overrides, as on the reference's command line (`python pretrain.py lr=7e-5
 * arch.L_cycles=4`): dotted keys, values read as YAML scalars, the result validated by zod.
 *
 * @module
 */
import YAML from "yaml";
import { HrmError } from "../errors.ts";
import {
  configKeys,
  type HrmConfig,
  type HrmConfigInput,
  parseConfig,
  unknownKeyMessage,
} from "./schema.ts";

/**
 * Applies `key=value` overrides to a configuration layer and validates the result. Values are
 * parsed as YAML (`7e-5` is a number, `true` a boolean, `null` null, `[a, b]` a list, anything
 * else a string), except that text keys such as `data_path` keep numbers and booleans as typed;
 * a leading `+` (Hydra's "add key") is accepted and ignored. Keys left unset
 * keep their relation to others, so `arch.hidden_size=64` also moves an unset `puzzle_emb_ndim`.
 *
 * @param config The layer to start from: a full {@linkcode HrmConfig} or a partial one.
 * @param overrides E.g. `["lr=7e-5", "arch.L_cycles=4"]`, applied in order.
 * @param source Where the overrides came from, prefixed to error messages; undefined for none.
 * @returns The validated configuration; `config` is not modified.
 * @throws {HrmError} For a malformed override, an unknown key (naming the nearest known one),
 *   a group set to a value, or a value of the wrong type, e.g.
 *   `arch.L_cycles: expected a number, got "four"`.
 *
 * @example
 * ```ts
 * import { applyOverrides } from "./overrides.ts";
 * const c = applyOverrides({}, ["lr=7e-5", "arch.L_cycles=4"]);
 * if (c.lr !== 7e-5 || c.arch.L_cycles !== 4) throw new Error();
 * ```
 */
export function applyOverrides(
  config: HrmConfigInput,
  overrides: readonly string[],
  source?: string,
): HrmConfig {
  const out = structuredClone(config) as Record<string, unknown>;
  const keys = new Map(configKeys().map((k) => [k.path, k]));
  for (const item of overrides) {
    const eq = item.indexOf("=");
    if (eq <= 0) {
      throw new HrmError(source, `expected key=value, got ${JSON.stringify(item)}`);
    }
    const key = item.slice(0, eq).trim().replace(/^\+/, "");
    const text = item.slice(eq + 1);
    const spec = keys.get(key);
    if (spec === undefined) throw new HrmError(source, unknownKeyMessage(key));
    let value = parseScalar(text);
    // A text key keeps the text as typed: data_path=2024 is a folder, not a number.
    if (spec.isString && (typeof value === "number" || typeof value === "boolean")) value = text;
    if (spec.isGroup && (value === null || typeof value !== "object" || Array.isArray(value))) {
      throw new HrmError(
        source,
        `${key}: is a group of keys, not a value; set one of them, e.g. ${firstChild(key)}=...`,
      );
    }
    // data_path and TRM's data_paths name one setting: the later one replaces the other.
    if (key === "data_path") delete out.data_paths;
    if (key === "data_paths") delete out.data_path;
    setPath(out, key.split("."), value);
  }
  return parseConfig(out, source);
}

/**
 * Parses an override's value the way Hydra reads command-line values: as YAML.
 *
 * @param text The text after `=`.
 * @returns A number, boolean, null, list, mapping or (for anything else) the text itself.
 */
export function parseScalar(text: string): unknown {
  if (text.trim() === "") return "";
  try {
    return YAML.parse(text);
  } catch {
    return text;
  }
}

function firstChild(group: string): string {
  return configKeys().find((k) => k.path.startsWith(`${group}.`))?.path ?? group;
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const part of path.slice(0, -1)) {
    const next = cur[part];
    if (next === null || typeof next !== "object" || Array.isArray(next)) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[path[path.length - 1]] = value;
}
