/**
 * Writes a configuration as the reference's `all_config.yaml`: PyYAML's `yaml.dump` layout
 * (keys sorted, two-space indent, `null`, `[]`), with float-typed keys written as floats (`1.0`)
 * so the reference's PyYAML (YAML 1.1) reads them back as floats.
 *
 * @module
 */
import YAML from "yaml";
import { type HrmConfig, isTrm, TRM_ONLY_DEFAULTS } from "./schema.ts";

// Keys the reference types as float (PretrainConfig and HierarchicalReasoningModel_ACTV1Config).
const FLOAT_KEYS = new Set([
  "lr",
  "lr_min_ratio",
  "weight_decay",
  "beta1",
  "beta2",
  "puzzle_emb_lr",
  "puzzle_emb_weight_decay",
  "halt_exploration_prob",
  "rms_norm_eps",
  "rope_theta",
  "ema_rate",
]);

/**
 * Serialises a configuration as YAML in the shape of the reference's `all_config.yaml`. An HRM
 * configuration leaves out TRM's keys where they hold HRM's behaviour, so its file is the one
 * sapientinc/HRM writes; a TRM one is written as TinyRecursiveModels writes it (`data_paths`,
 * `data_paths_test`, `load_checkpoint`), so that reference can read it back.
 *
 * @param config A validated configuration.
 * @returns YAML text ending in a newline; {@linkcode loadConfig} reads it back unchanged.
 *
 * @example Round trip
 * ```ts
 * import { configToYaml } from "./to_yaml.ts";
 * import { parseConfig } from "./schema.ts";
 * import YAML from "yaml";
 * const c = parseConfig({ lr: 7e-5 });
 * const text = configToYaml(c);
 * if (!text.includes("lr_min_ratio: 1.0\n")) throw new Error();
 * if (parseConfig(YAML.parse(text)).lr !== 7e-5) throw new Error();
 * ```
 */
export function configToYaml(config: HrmConfig): string {
  // hrm's own micro_batch_size is written only when set, so the file stays the reference's.
  if (config.micro_batch_size === null) {
    const { micro_batch_size: _, ...rest } = config;
    config = rest as HrmConfig;
  }
  const doc = new YAML.Document(isTrm(config.arch) ? trmLayout(config) : withoutTrmKeys(config), {
    sortMapEntries: true,
  });
  YAML.visit(doc, {
    Pair(_, pair) {
      if (
        YAML.isScalar(pair.key) && FLOAT_KEYS.has(String(pair.key.value)) &&
        YAML.isScalar(pair.value) && typeof pair.value.value === "number"
      ) {
        pair.value.minFractionDigits = 1;
      }
    },
  });
  return doc.toString({ indent: 2, indentSeq: false, lineWidth: 0 });
}

function withoutTrmKeys(config: HrmConfig): Record<string, unknown> {
  const drop = (obj: Record<string, unknown>, defaults: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(obj).filter(([k, v]) =>
        !(k in defaults) || JSON.stringify(v) !== JSON.stringify(defaults[k])
      ),
    );
  return {
    ...drop({ ...config }, TRM_ONLY_DEFAULTS.top),
    arch: drop({ ...config.arch }, TRM_ONLY_DEFAULTS.arch),
  };
}

function trmLayout({ data_path, ...rest }: HrmConfig): Record<string, unknown> {
  return { ...rest, data_paths: [data_path], data_paths_test: [], load_checkpoint: null };
}
