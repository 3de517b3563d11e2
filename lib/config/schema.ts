/**
 * The training configuration: the reference's own keys (sapientinc/HRM `config/cfg_pretrain.yaml`,
 * `config/arch/hrm_v1.yaml`, `PretrainConfig` in `pretrain.py`), validated with zod. Defaults
 * are what `python pretrain.py` uses with no overrides (the ARC-1 run), so a reference
 * `all_config.yaml` loads unchanged and a partial file means what it would mean to Hydra.
 *
 * @module
 */
import { z } from "zod";
import { HrmError } from "../errors.ts";
import { closest } from "./suggest.ts";

/** The loss function of the LM head (`arch.loss.loss_type`). */
export type LossType = "stablemax_cross_entropy" | "softmax_cross_entropy";
/** Position encoding (`arch.pos_encodings`). */
export type PosEncodings = "rope" | "learned" | "none";
/** The activation dtype the reference runs the model in (`arch.forward_dtype`). */
export type ForwardDtype = "bfloat16" | "float16" | "float32";

/** `arch.loss`: which loss head wraps the model. */
export interface LossConfig {
  /** Loss head, `losses@ACTLossHead` in the reference. */
  name: string;
  /** Cross-entropy flavour for the LM head. */
  loss_type: LossType;
}

/** `arch`: the model (HierarchicalReasoningModel_ACTV1Config minus the dataset-derived sizes). */
export interface ArchConfig {
  /** Model class, `hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1` in the reference. */
  name: string;
  /** The loss head. */
  loss: LossConfig;
  /** High-level updates per segment. */
  H_cycles: number;
  /** Low-level updates per high-level update. */
  L_cycles: number;
  /** Transformer blocks in the high-level module. */
  H_layers: number;
  /** Transformer blocks in the low-level module. */
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
}

/** The whole training configuration, flat like the reference's `all_config.yaml`. */
export interface HrmConfig {
  /** The model. */
  arch: ArchConfig;
  /** Dataset folder (with `train/` and `test/`). */
  data_path: string;
  /** Examples per optimizer step, over all devices. */
  global_batch_size: number;
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
}

/** A partial {@linkcode ArchConfig}, as a file, preset or override layer gives it. */
export type ArchConfigInput = Partial<Omit<ArchConfig, "loss">> & { loss?: Partial<LossConfig> };

/** A partial {@linkcode HrmConfig}, as a file, preset or override layer gives it. */
export type HrmConfigInput = Partial<Omit<HrmConfig, "arch">> & { arch?: ArchConfigInput };

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
    name: z.string().default("hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1"),
    loss: lossSchema.prefault({}),
    H_cycles: positiveInt.default(2),
    L_cycles: positiveInt.default(2),
    H_layers: positiveInt.default(4),
    L_layers: positiveInt.default(4),
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
  })
  .transform((a) => ({ ...a, puzzle_emb_ndim: a.puzzle_emb_ndim ?? a.hidden_size }))
  .superRefine((a, ctx) => {
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
  data_path: z.string().default("data/arc-aug-1000"),
  global_batch_size: positiveInt.default(768),
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
});

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
    if (c.eval_interval !== null && c.epochs % c.eval_interval !== 0) {
      ctx.addIssue({
        code: "custom",
        path: ["eval_interval"],
        message: `must divide epochs (${c.epochs}), got ${c.eval_interval}`,
      });
    }
  });

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
