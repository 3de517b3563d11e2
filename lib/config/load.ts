/**
 * Loading a configuration the way the reference composes one: defaults, then a preset, then a
 * file (JSON or YAML, e.g. a checkpoint's `all_config.yaml`), then `key=value` overrides.
 *
 * @module
 */
import YAML from "yaml";
import { HrmError } from "../errors.ts";
import { applyOverrides } from "./overrides.ts";
import { presetLayer } from "./presets.ts";
import {
  dataPathsAsDataPath,
  HRM_MODEL_NAME,
  type HrmConfig,
  type HrmConfigInput,
  parseConfig,
  TRM_MODEL_NAME,
} from "./schema.ts";

// Hydra's `defaults: [{arch: X}]` names the arch file (config/arch/X.yaml) of each reference.
const ARCH_FILES: Record<string, string> = { hrm_v1: HRM_MODEL_NAME, trm: TRM_MODEL_NAME };

/** Where {@linkcode loadConfig} takes its layers from; all optional. */
export interface LoadConfigOptions {
  /** A JSON or YAML file with some or all keys (`.json` is read as JSON, anything else as YAML). */
  file?: string;
  /** A preset name (see `PRESETS`), applied under the file. */
  preset?: string;
  /** `key=value` overrides, applied last. */
  overrides?: string[];
}

/**
 * Builds a configuration from the reference defaults, a preset, a file and overrides, in that
 * order; later layers win key by key.
 *
 * @param opts The layers to use.
 * @returns The validated configuration.
 * @throws {HrmError} If the file is missing or unparsable, the preset unknown, or a key unknown
 *   or of the wrong type (the message names the file or override and the key).
 *
 * @example The Sudoku preset at the laptop learning rate
 * ```ts
 * import { loadConfig } from "./load.ts";
 * const c = await loadConfig({ preset: "sudoku-extreme", overrides: ["lr=7e-5"] });
 * if (c.lr !== 7e-5 || c.epochs !== 20000) throw new Error();
 * ```
 */
export async function loadConfig(opts: LoadConfigOptions = {}): Promise<HrmConfig> {
  let layer: HrmConfigInput = opts.preset ? presetLayer(opts.preset) : {};
  if (opts.file) {
    layer = mergeLayers(layer, await readConfigFile(opts.file));
    // Validate before overrides so a bad key in the file is reported against the file.
    parseConfig(layer, opts.file);
  }
  return applyOverrides(layer, opts.overrides ?? [], undefined);
}

/**
 * Reads a config file as a layer, without filling defaults. The Hydra-only top-level keys of
 * the reference's `cfg_pretrain.yaml` (`defaults`, `hydra`) are dropped, so that file loads too
 * (its `defaults: [{arch: trm}]` picks TRM unless `arch.name` is set), and TRM's
 * `data_paths: [X]` reads as `data_path: X`.
 *
 * @param path A `.json` file, or a YAML file (`.yaml`, `.yml`, or anything else).
 * @returns The file's keys.
 * @throws {HrmError} If the file cannot be read or parsed, or is not a mapping.
 */
export async function readConfigFile(path: string): Promise<HrmConfigInput> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new HrmError(path, "no such config file");
    throw new HrmError(path, `cannot read config file: ${(e as Error).message}`, { cause: e });
  }
  let data: unknown;
  const json = path.toLowerCase().endsWith(".json");
  try {
    data = json ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    // The YAML parser's message goes on with the offending lines after a colon: keep one line.
    const first = (e as Error).message.split("\n")[0].replace(/:\s*$/, "");
    throw new HrmError(path, `cannot parse ${json ? "JSON" : "YAML"}: ${first}`, { cause: e });
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new HrmError(path, "expected a mapping of config keys at the top level");
  }
  const { defaults, hydra: _hydra, ...rest } = data as Record<string, unknown>;
  const layer = dataPathsAsDataPath(rest as HrmConfigInput);
  const archFile = Array.isArray(defaults)
    ? defaults.find((d) => isMapping(d) && "arch" in d)?.arch
    : undefined;
  if (archFile === undefined || layer.arch?.name !== undefined) return layer;
  const name = Object.hasOwn(ARCH_FILES, String(archFile)) ? ARCH_FILES[String(archFile)] : "";
  if (!name) {
    throw new HrmError(
      path,
      `defaults: arch ${JSON.stringify(archFile)} is not a model hrm knows (${
        Object.keys(ARCH_FILES).join(", ")
      })`,
    );
  }
  return { ...layer, arch: { ...layer.arch, name } };
}

/**
 * Merges configuration layers: mappings merge key by key, everything else (lists included) is
 * replaced by the later layer.
 *
 * @param base The earlier layer.
 * @param top The later layer, which wins.
 * @returns A new layer; neither input is modified.
 */
export function mergeLayers(base: HrmConfigInput, top: HrmConfigInput): HrmConfigInput {
  return mergeObjects(base, top) as HrmConfigInput;
}

function mergeObjects(base: unknown, top: unknown): unknown {
  if (!isMapping(base) || !isMapping(top)) return structuredClone(top);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(top)) out[k] = k in out ? mergeObjects(out[k], v) : v;
  return out;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
