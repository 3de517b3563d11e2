/**
 * The training configuration: the reference's own keys (sapientinc/HRM `config/cfg_pretrain.yaml`,
 * `config/arch/hrm_v1.yaml`, `PretrainConfig` in `pretrain.py`), validated with zod. Defaults
 * are what `python pretrain.py` uses with no overrides (the ARC-1 run), so a reference
 * `all_config.yaml` loads unchanged and a partial file means what it would mean to Hydra.
 *
 * TRM (SamsungSAILMontreal/TinyRecursiveModels) is picked by `arch.name` as there; its arch keys
 * (`mlp_t`, `puzzle_emb_len`, `no_ACT_continue`) and its `PretrainConfig` additions (`ema`,
 * `ema_rate`, `freeze_weights`, `min_eval_interval`, `evaluators`, `data_paths`,
 * `data_paths_test`) load too. Arch keys a file leaves out take the defaults of the named
 * model's yaml (arch/hrm_v1.yaml or arch/trm.yaml).
 *
 * @module
 */
import { z } from "zod";
import { HrmError } from "../errors.ts";
import { modelKind, TRM_ARCH_NAME } from "../model/dims.ts";
import { closest } from "./suggest.ts";

/** The loss function of the LM head (`arch.loss.loss_type`). */
export type LossType = "stablemax_cross_entropy" | "softmax_cross_entropy";
/** Position encoding (`arch.pos_encodings`). */
export type PosEncodings = "rope" | "learned" | "none";
/** The activation dtype the reference runs the model in (`arch.forward_dtype`). */
export type ForwardDtype = "bfloat16" | "float16" | "float32";

/** `arch.name` of HRM (sapientinc/HRM `hrm.hrm_act_v1`). */
export const HRM_MODEL_NAME = "hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1";
/** `arch.name` of TRM (TinyRecursiveModels `recursive_reasoning.trm`). */
export const TRM_MODEL_NAME: typeof TRM_ARCH_NAME = TRM_ARCH_NAME;

/**
 * Whether a configuration's `arch` is TRM's (lib/model/dims.ts `modelKind` decides).
 *
 * @param arch The `arch` section (only `name` is read).
 * @returns True for {@linkcode TRM_MODEL_NAME}.
 *
 * @example
 * ```ts
 * import { isTrm, parseConfig } from "./schema.ts";
 * const c = parseConfig({ arch: { name: "recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1" } });
 * if (!isTrm(c.arch) || c.arch.L_cycles !== 6) throw new Error();
 * ```
 */
export function isTrm(arch: { name: string }): boolean {
  return modelKind(arch.name) === "trm";
}

/** One `evaluators` entry of TRM's config (e.g. `{ name: "arc@ARC" }`); extra keys are kept. */
export interface EvaluatorConfig {
  /** Evaluator class, `arc@ARC` in the reference. */
  name: string;
  /** The evaluator's own options (TRM's `EvaluatorConfig` allows any). */
  [option: string]: unknown;
}

/** `arch.loss`: which loss head wraps the model. */
export interface LossConfig {
  /** Loss head, `losses@ACTLossHead` in the reference. */
  name: string;
  /** Cross-entropy flavour for the LM head. */
  loss_type: LossType;
}

/**
 * `arch`: the model (HierarchicalReasoningModel_ACTV1Config or
 * TinyRecursiveReasoningModel_ACTV1Config minus the dataset-derived sizes).
 */
export interface ArchConfig {
  /** Model class: {@linkcode HRM_MODEL_NAME} or {@linkcode TRM_MODEL_NAME}. */
  name: string;
  /** The loss head. */
  loss: LossConfig;
  /** High-level updates per segment. */
  H_cycles: number;
  /** Low-level updates per high-level update. */
  L_cycles: number;
  /** Transformer blocks in the high-level module (TRM ignores it; may be 0 there). */
  H_layers: number;
  /** Transformer blocks in the low-level module (TRM's one network). */
  L_layers: number;
  /** Model width D. */
  hidden_size: number;
  /** Attention heads; head_dim = hidden_size / num_heads. */
  num_heads: number;
  /** SwiGLU width multiplier. */
  expansion: number;
  /** Puzzle-embedding width; 0 turns puzzle embeddings off. Defaults to hidden_size. */
  puzzle_emb_ndim: number;
  /** Position encoding. */
  pos_encodings: PosEncodings;
  /** RMSNorm epsilon. */
  rms_norm_eps: number;
  /** RoPE base. */
  rope_theta: number;
  /** Maximum ACT segments per example. */
  halt_max_steps: number;
  /** Probability of a random minimum halting step during training. */
  halt_exploration_prob: number;
  /** The reference's activation dtype (WebGPU has no bf16; kernels decide what they do with it). */
  forward_dtype: ForwardDtype;
  /** TRM: the attention sub-layer is a SwiGLU across the sequence axis (always false for HRM). */
  mlp_t: boolean;
  /**
   * Puzzle-embedding prefix slots; 0 means ceil(puzzle_emb_ndim / hidden_size). TRM defaults to
   * 16; HRM is always 0 (its prefix is the ceil rule).
   */
  puzzle_emb_len: number;
  /** TRM: halt when q_halt > 0 and train no Q-continue (true for TRM, false for HRM). */
  no_ACT_continue: boolean;
}

/** The whole training configuration, flat like the reference's `all_config.yaml`. */
export interface HrmConfig {
  /** The model. */
  arch: ArchConfig;
  /** Dataset folder (with `train/` and `test/`); TRM's one-entry `data_paths` lands here. */
  data_path: string;
  /** Examples per optimizer step, over all devices. */
  global_batch_size: number;
  /**
   * Rows per forward/backward pass: the batch runs in micro-batches whose gradients add up
   * before one optimizer step. null: the whole batch when it fits the adapter's buffers, else
   * the largest micro-batch that does (hrm's key; the reference has none).
   */
  micro_batch_size: number | null;
  /** Passes over the training set (each puzzle group counts once per epoch). */
  epochs: number;
  /** Epochs between evaluations; must divide epochs; null evaluates only at the end. */
  eval_interval: number | null;
  /** Save a checkpoint at every evaluation, not only at the end. */
  checkpoint_every_eval: boolean;
  /** Peak learning rate of AdamATan2. */
  lr: number;
  /** Final learning rate as a fraction of lr (1.0: constant after warm-up). */
  lr_min_ratio: number;
  /** Linear warm-up steps. */
  lr_warmup_steps: number;
  /** Decoupled weight decay of AdamATan2. */
  weight_decay: number;
  /** Adam beta1. */
  beta1: number;
  /** Adam beta2. */
  beta2: number;
  /** Learning rate of the sparse SignSGD puzzle-embedding optimizer. */
  puzzle_emb_lr: number;
  /** Weight decay of the puzzle-embedding optimizer. */
  puzzle_emb_weight_decay: number;
  /** Seed of every random choice in training. */
  seed: number;
  /** Project name (the reference: `<Data_path basename> ACT-torch`). */
  project_name: string | null;
  /** Run name (the reference: `<model class> <two random words>`). */
  run_name: string | null;
  /** Folder for checkpoints and all_config.yaml. */
  checkpoint_path: string | null;
  /** Which model outputs evaluation saves (e.g. `logits`, `q_halt_logits`). */
  eval_save_outputs: string[];
  /** TRM: evaluation passes skipped before the first one (pretrain.py evaluates once its
   * iteration index, counted in eval_interval epochs, reaches this). */
  min_eval_interval: number;
  /** TRM: its evaluators (`[{name: "arc@ARC"}]`: ARC voting); recorded, not run in training. */
  evaluators: EvaluatorConfig[];
  /** TRM: keep an exponential moving average of the trainable weights; evaluate and save it. */
  ema: boolean;
  /** TRM: shadow <- (1 - ema_rate)·param + ema_rate·shadow after every step. */
  ema_rate: number;
  /** TRM: train only the puzzle embeddings (the other weights stay as loaded). */
  freeze_weights: boolean;
}

/** A partial {@linkcode ArchConfig}, as a file, preset or override layer gives it. */
export type ArchConfigInput = Partial<Omit<ArchConfig, "loss">> & { loss?: Partial<LossConfig> };

/** A partial {@linkcode HrmConfig}, as a file, preset or override layer gives it. */
export type HrmConfigInput = Partial<Omit<HrmConfig, "arch">> & {
  arch?: ArchConfigInput;
  /** TRM's spelling of the dataset folder: a list of one (hrm trains on one dataset). */
  data_paths?: string[];
  /** TRM's separate test datasets: only `[]` (hrm evaluates `<data_path>/test`). */
  data_paths_test?: string[];
  /** TRM's starting checkpoint: only null here (`hrm train --init` loads weights). */
  load_checkpoint?: string | null;
};

// Arch keys whose defaults differ between arch/hrm_v1.yaml and arch/trm.yaml (the rest agree).
const ARCH_DEFAULTS = {
  hrm: {
    H_cycles: 2,
    L_cycles: 2,
    H_layers: 4,
    L_layers: 4,
    mlp_t: false,
    puzzle_emb_len: 0,
    no_ACT_continue: false,
  },
  trm: {
    H_cycles: 3,
    L_cycles: 6,
    H_layers: 0,
    L_layers: 2,
    mlp_t: false,
    puzzle_emb_len: 16,
    no_ACT_continue: true,
  },
} as const;

/** The keys only TRM has, with the values that mean "off" (HRM's behaviour). */
export const TRM_ONLY_DEFAULTS = {
  arch: { mlp_t: false, puzzle_emb_len: 0, no_ACT_continue: false },
  top: { min_eval_interval: 0, evaluators: [], ema: false, ema_rate: 0.999, freeze_weights: false },
} as const;

const positiveInt = z.int().positive();
const fraction = z.number().min(0).max(1);

const lossSchema = z.strictObject({
  name: z.string().default("losses@ACTLossHead"),
  loss_type: z.enum(["stablemax_cross_entropy", "softmax_cross_entropy"]).default(
    "stablemax_cross_entropy",
  ),
});

const archSchema = z
  .strictObject({
    name: z.enum([HRM_MODEL_NAME, TRM_MODEL_NAME]).default(HRM_MODEL_NAME),
    loss: lossSchema.prefault({}),
    // Defaults of these depend on the model (ARCH_DEFAULTS), filled in by the transform.
    H_cycles: positiveInt.optional(),
    L_cycles: positiveInt.optional(),
    H_layers: z.int().nonnegative().optional(),
    L_layers: positiveInt.optional(),
    hidden_size: positiveInt.default(512),
    num_heads: positiveInt.default(8),
    expansion: z.number().positive().default(4),
    // Absent means "same as hidden_size", like the reference's `${.hidden_size}`.
    puzzle_emb_ndim: z.int().nonnegative().optional(),
    pos_encodings: z.enum(["rope", "learned", "none"]).default("rope"),
    rms_norm_eps: z.number().positive().default(1e-5),
    rope_theta: z.number().positive().default(10000),
    halt_max_steps: positiveInt.default(16),
    halt_exploration_prob: fraction.default(0.1),
    forward_dtype: z.enum(["bfloat16", "float16", "float32"]).default("bfloat16"),
    mlp_t: z.boolean().optional(),
    puzzle_emb_len: z.int().nonnegative().optional(),
    no_ACT_continue: z.boolean().optional(),
  })
  .transform((a) => {
    const d = ARCH_DEFAULTS[modelKind(a.name)];
    return {
      ...a,
      H_cycles: a.H_cycles ?? d.H_cycles,
      L_cycles: a.L_cycles ?? d.L_cycles,
      H_layers: a.H_layers ?? d.H_layers,
      L_layers: a.L_layers ?? d.L_layers,
      puzzle_emb_ndim: a.puzzle_emb_ndim ?? a.hidden_size,
      mlp_t: a.mlp_t ?? d.mlp_t,
      puzzle_emb_len: a.puzzle_emb_len ?? d.puzzle_emb_len,
      no_ACT_continue: a.no_ACT_continue ?? d.no_ACT_continue,
    };
  })
  .superRefine((a, ctx) => {
    const issue = (key: string, message: string) =>
      ctx.addIssue({ code: "custom", path: [key], message });
    if (isTrm(a)) {
      // The reference builds z with seq_len + puzzle_emb_len positions but prepends only
      // ceil(ndim / hidden) slots' worth of puzzle vector; other combinations fail its shapes.
      if (a.puzzle_emb_ndim === 0 && a.puzzle_emb_len > 0) {
        issue("puzzle_emb_len", `must be 0 when puzzle_emb_ndim is 0, got ${a.puzzle_emb_len}`);
      } else if (a.puzzle_emb_len > 0 && a.puzzle_emb_len * a.hidden_size < a.puzzle_emb_ndim) {
        issue(
          "puzzle_emb_len",
          `${a.puzzle_emb_len} slots of hidden_size ${a.hidden_size} cannot hold puzzle_emb_ndim ${a.puzzle_emb_ndim}`,
        );
      }
      // The reference's no_ACT_continue=False branch unpacks 5 values from a 3-tuple.
      if (!a.no_ACT_continue) issue("no_ACT_continue", "TRM supports only true (as the reference)");
      if (a.mlp_t) return; // no attention: num_heads and RoPE's head_dim do not matter
    } else {
      if (a.H_layers < 1) issue("H_layers", `HRM needs at least 1, got ${a.H_layers}`);
      for (const key of ["mlp_t", "puzzle_emb_len", "no_ACT_continue"] as const) {
        if (a[key] !== TRM_ONLY_DEFAULTS.arch[key]) {
          issue(
            key,
            `is a TRM key (arch.name ${JSON.stringify(TRM_MODEL_NAME)}); HRM has ${
              TRM_ONLY_DEFAULTS.arch[key]
            }`,
          );
        }
      }
    }
    if (a.hidden_size % a.num_heads !== 0) {
      ctx.addIssue({
        code: "custom",
        path: ["num_heads"],
        message: `must divide hidden_size (${a.hidden_size}), got ${a.num_heads}`,
      });
    } else if (a.pos_encodings === "rope" && (a.hidden_size / a.num_heads) % 2 !== 0) {
      ctx.addIssue({
        code: "custom",
        path: ["num_heads"],
        message: `RoPE needs an even head_dim, got hidden_size/num_heads = ${
          a.hidden_size / a.num_heads
        }`,
      });
    }
  });

const configObjectSchema = z.strictObject({
  arch: archSchema.prefault({}),
  data_path: z.string().optional(),
  data_paths: z.array(z.string()).optional(),
  data_paths_test: z.array(z.string()).optional(),
  global_batch_size: positiveInt.default(768),
  micro_batch_size: positiveInt.nullable().default(null),
  epochs: positiveInt.default(100000),
  eval_interval: positiveInt.nullable().default(10000),
  checkpoint_every_eval: z.boolean().default(true),
  lr: z.number().nonnegative().default(1e-4),
  lr_min_ratio: fraction.default(1.0),
  lr_warmup_steps: z.int().nonnegative().default(2000),
  weight_decay: z.number().nonnegative().default(0.1),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.95),
  puzzle_emb_lr: z.number().nonnegative().default(1e-2),
  puzzle_emb_weight_decay: z.number().nonnegative().default(0.1),
  seed: z.int().default(0),
  project_name: z.string().nullable().default(null),
  run_name: z.string().nullable().default(null),
  checkpoint_path: z.string().nullable().default(null),
  eval_save_outputs: z.array(z.string()).default([]),
  load_checkpoint: z.string().nullable().optional(),
  min_eval_interval: z.int().nonnegative().default(TRM_ONLY_DEFAULTS.top.min_eval_interval),
  evaluators: z.array(z.looseObject({ name: z.string() })).default([]),
  ema: z.boolean().default(TRM_ONLY_DEFAULTS.top.ema),
  ema_rate: fraction.default(TRM_ONLY_DEFAULTS.top.ema_rate),
  freeze_weights: z.boolean().default(TRM_ONLY_DEFAULTS.top.freeze_weights),
});

const DEFAULT_DATA_PATH = "data/arc-aug-1000";

/**
 * The zod schema of {@linkcode HrmConfig}. Missing keys take the reference's defaults
 * (cfg_pretrain.yaml + arch/hrm_v1.yaml); unknown keys are errors. Prefer
 * {@linkcode parseConfig}, which turns zod's issues into one {@linkcode HrmError}.
 *
 * @example Defaults are the reference's ARC-1 run
 * ```ts
 * import { hrmConfigSchema } from "./schema.ts";
 * const c = hrmConfigSchema.parse({});
 * if (c.global_batch_size !== 768 || c.arch.puzzle_emb_ndim !== 512) throw new Error();
 * ```
 */
export const hrmConfigSchema: z.ZodType<HrmConfig, HrmConfigInput> = configObjectSchema
  .superRefine((c, ctx) => {
    const issue = (key: string, message: string) =>
      ctx.addIssue({ code: "custom", path: [key], message });
    if (c.eval_interval !== null && c.epochs % c.eval_interval !== 0) {
      issue("eval_interval", `must divide epochs (${c.epochs}), got ${c.eval_interval}`);
    }
    if (c.data_paths !== undefined) {
      if (c.data_path !== undefined) issue("data_paths", "set data_path or data_paths, not both");
      else if (c.data_paths.length !== 1) {
        issue("data_paths", `hrm trains on one dataset folder, got ${c.data_paths.length}`);
      }
    }
    if (c.data_paths_test?.length) {
      issue(
        "data_paths_test",
        "separate test datasets are not supported (hrm evaluates <data_path>/test)",
      );
    }
    if (typeof c.load_checkpoint === "string") {
      issue(
        "load_checkpoint",
        "is not read from the config; pass the weights with hrm train --init FILE",
      );
    }
    // The reference gives freeze_weights no effect without puzzle embeddings (it then trains
    // every weight); refusing says so instead of silently training everything.
    if (c.freeze_weights && c.arch.puzzle_emb_ndim === 0) {
      issue("freeze_weights", "needs puzzle embeddings (arch.puzzle_emb_ndim > 0)");
    }
  })
  .transform(({ data_paths, data_paths_test: _t, load_checkpoint: _l, ...c }) => ({
    ...c,
    data_path: c.data_path ?? data_paths?.[0] ?? DEFAULT_DATA_PATH,
  }));

/** One key the configuration accepts. */
export interface ConfigKey {
  /** Dotted path, e.g. `arch.loss.loss_type`. */
  path: string;
  /** Whether the key holds a nested mapping (arch, arch.loss) rather than a value. */
  isGroup: boolean;
  /** Whether the value is text (data_path, run_name...), so `2024` or `true` stay text. */
  isString: boolean;
}

/**
 * Every key the configuration accepts, dotted (`lr`, `arch`, `arch.loss.loss_type`), in schema
 * order. Used to reject unknown override keys and to suggest the nearest one.
 *
 * @returns The keys, groups included.
 *
 * @example
 * ```ts
 * import { configKeys } from "./schema.ts";
 * if (!configKeys().some((k) => k.path === "arch.L_cycles")) throw new Error();
 * ```
 */
export function configKeys(): ConfigKey[] {
  const out: ConfigKey[] = [];
  const walk = (shape: Record<string, z.ZodType>, prefix: string) => {
    for (const [k, v] of Object.entries(shape)) {
      const inner = unwrapObjectShape(v);
      out.push({
        path: prefix + k,
        isGroup: inner !== undefined,
        isString: innerType(v) === "string",
      });
      if (inner) walk(inner, `${prefix}${k}.`);
    }
  };
  walk(configObjectSchema.shape, "");
  return out;
}

function unwrapObjectShape(s: z.ZodType): Record<string, z.ZodType> | undefined {
  const def = innermostDef(s);
  return def.type === "object" ? def.shape as Record<string, z.ZodType> : undefined;
}

function innerType(s: z.ZodType): string {
  return String(innermostDef(s).type);
}

function innermostDef(s: z.ZodType): Record<string, unknown> {
  // Peel default/prefault/nullable/optional/transform/refine wrappers down to the value's type.
  let def = (s as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  for (let i = 0; i < 8; i++) {
    const next = (def.innerType ?? def.in) as
      | { _zod: { def: Record<string, unknown> } }
      | undefined;
    if (!next) break;
    def = next._zod.def;
  }
  return def;
}

/**
 * Validates a raw configuration (parsed JSON/YAML, defaults filled in) and resolves the
 * reference's `${.hidden_size}` interpolation.
 *
 * @param raw The parsed file content or merged layers.
 * @param source Where it came from, for the error message (a file name, or undefined).
 * @returns The complete, validated configuration.
 * @throws {HrmError} Naming each bad key and what it expects, e.g.
 *   `arch.L_cycles: expected an integer, got "four"`.
 *
 * @example A reference-style partial config
 * ```ts
 * import { parseConfig } from "./schema.ts";
 * const c = parseConfig({ lr: 7e-5, arch: { hidden_size: 64, num_heads: 2 } }, "x.yaml");
 * if (c.lr !== 7e-5 || c.arch.puzzle_emb_ndim !== 64) throw new Error();
 * ```
 */
export function parseConfig(raw: unknown, source?: string): HrmConfig {
  const r = hrmConfigSchema.safeParse(resolveInterpolations(raw), { reportInput: true });
  if (r.success) return r.data;
  throw new HrmError(source, r.error.issues.map(formatIssue).join("; "));
}

/**
 * Rewrites TRM's one-entry `data_paths: [X]` as `data_path: X` in a file's layer, so that it
 * merges with presets and overrides like `data_path` (other forms are left for the schema to
 * reject with the key named).
 *
 * @param layer A layer as read from a file.
 * @returns The same layer, or a copy with `data_path` in place of `data_paths`.
 */
export function dataPathsAsDataPath(layer: HrmConfigInput): HrmConfigInput {
  const { data_paths, ...rest } = layer;
  if (
    rest.data_path !== undefined || !Array.isArray(data_paths) || data_paths.length !== 1 ||
    typeof data_paths[0] !== "string"
  ) return layer;
  return { ...rest, data_path: data_paths[0] };
}

/** Replaces `${.key}` strings (OmegaConf's relative interpolation) with the sibling's value. */
function resolveInterpolations(raw: unknown): unknown {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return raw;
  const obj = raw as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const m = typeof v === "string" ? /^\$\{\.(\w+)\}$/.exec(v) : null;
    out[k] = m && m[1] in obj ? obj[m[1]] : resolveInterpolations(v);
  }
  return out;
}

/** Formats one zod issue as `dotted.key: expected X, got Y`. */
function formatIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.map(String).join(".");
  const at = (s: string) => (key ? `${key}: ${s}` : s);
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case "invalid_type":
      return at(`expected ${describeType(issue.expected)}, got ${showValue(input)}`);
    case "invalid_value":
      return at(
        `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${
          showValue(input)
        }`,
      );
    case "too_small":
      return at(
        `expected a number ${issue.inclusive ? ">=" : ">"} ${issue.minimum}, got ${
          showValue(input)
        }`,
      );
    case "too_big":
      return at(
        `expected a number ${issue.inclusive ? "<=" : "<"} ${issue.maximum}, got ${
          showValue(input)
        }`,
      );
    case "unrecognized_keys":
      return issue.keys.map((k) => unknownKeyMessage(key ? `${key}.${k}` : k)).join("; ");
    default:
      return at(issue.message);
  }
}

/**
 * The message for a key the schema does not know, with the nearest known key when one is close.
 *
 * @param path The dotted key, e.g. `arch.L_cylces`.
 * @returns E.g. `unknown config key "arch.L_cylces" (did you mean "arch.L_cycles"?)`.
 */
export function unknownKeyMessage(path: string): string {
  const best = closest(path, configKeys().map((k) => k.path));
  return `unknown config key "${path}"${best ? ` (did you mean "${best}"?)` : ""}`;
}

function describeType(expected: string): string {
  const names: Record<string, string> = {
    number: "a number",
    int: "an integer",
    string: "a string",
    boolean: "true or false",
    object: "a mapping",
    array: "a list",
    nonoptional: "a value",
  };
  return names[expected] ?? expected;
}

function showValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || v === null) return String(v);
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
