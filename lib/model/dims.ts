/**
 * The model's sizes, derived exactly as the references do from the arch config and the dataset
 * metadata (HRM: models/hrm/hrm_act_v1.py; TRM: models/recursive_reasoning/trm.py;
 * models/layers.py). One arch type covers both models: TRM adds `mlp_t`, `puzzle_emb_len` and
 * `no_ACT_continue`, which HRM leaves unset.
 *
 * @module
 */

/** Which recurrence a model runs: HRM's two modules or TRM's one network. */
export type ModelKind = "hrm" | "trm";

/** The inputs that fix a model's shapes and behaviour (arch keys plus dataset metadata). */
export interface HrmArch {
  /** The recurrence (from `arch.name`). @default {"hrm"} */
  kind?: ModelKind;
  /** Vocabulary size V (from dataset.json). */
  vocab_size: number;
  /** Sequence length S (from dataset.json). */
  seq_len: number;
  /** Number of puzzle identifiers (rows of the puzzle-embedding table). */
  num_puzzle_identifiers: number;
  /** Hidden size D. */
  hidden_size: number;
  /** Attention heads NH. */
  num_heads: number;
  /** SwiGLU expansion. */
  expansion: number;
  /** Blocks in H_level. */
  H_layers: number;
  /** Blocks in L_level. */
  L_layers: number;
  /** High-level cycles per segment. */
  H_cycles: number;
  /** Low-level cycles per high-level cycle. */
  L_cycles: number;
  /** Puzzle-embedding width; 0 disables it. */
  puzzle_emb_ndim: number;
  /** `rope`, `learned` or `none`. */
  pos_encodings: "rope" | "learned" | "none";
  /** RMSNorm epsilon. */
  rms_norm_eps: number;
  /** RoPE base. */
  rope_theta: number;
  /** ACT segments (evaluation always runs this many). */
  halt_max_steps: number;
  /** Probability of a random minimum number of segments in training. */
  halt_exploration_prob: number;
  /** TRM: the attention sub-layer is a SwiGLU across the sequence axis. */
  mlp_t?: boolean;
  /**
   * The reference's activation dtype; absent means float32. How it runs on a device:
   * lib/gpu/variants.ts `computeDtype` (bfloat16 maps to the float16 path or float32).
   */
  forward_dtype?: "bfloat16" | "float16" | "float32";
  /** TRM: puzzle prefix slots; 0 (and HRM) means ceil(puzzle_emb_ndim / hidden_size). */
  puzzle_emb_len?: number;
  /** TRM: halt when q_halt > 0, no Q-continue target or loss (HRM: q_halt > q_continue). */
  no_ACT_continue?: boolean;
}

/** Shapes derived from an {@linkcode HrmArch}. */
export interface HrmDims {
  /** Vocabulary. */
  V: number;
  /** Sequence length. */
  S: number;
  /** Puzzle-embedding slots prepended: puzzle_emb_len, or ceil(puzzle_emb_ndim / D) when 0. */
  P: number;
  /** Total positions P + S. */
  T: number;
  /** Hidden size. */
  D: number;
  /** Heads. */
  NH: number;
  /** Head dimension D / NH. */
  HD: number;
  /** SwiGLU width: round(expansion·D·2/3) rounded up to a multiple of 256. */
  F: number;
  /** mlp_t's SwiGLU width over the sequence axis (hidden size T); 0 without mlp_t. */
  Ft: number;
  /** sqrt(D), applied to the whole input embedding. */
  embedScale: number;
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x), d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** SwiGLU's intermediate size for hidden size `h`: ceil_to_256(round(expansion·h·2/3)). */
function swigluWidth(expansion: number, h: number): number {
  return Math.ceil(roundHalfEven(expansion * h * 2 / 3) / 256) * 256;
}

/**
 * Derives the model's shapes.
 *
 * @param a The architecture and dataset sizes.
 * @returns The derived sizes.
 * @throws {RangeError} when hidden_size is not divisible by num_heads, or the puzzle prefix
 *   cannot hold the puzzle embedding.
 *
 * @example The golden fixture's sizes
 * ```ts
 * import { hrmDims } from "./dims.ts";
 * const d = hrmDims({ vocab_size: 11, seq_len: 81, num_puzzle_identifiers: 1, hidden_size: 64,
 *   num_heads: 4, expansion: 4, H_layers: 2, L_layers: 2, H_cycles: 2, L_cycles: 2,
 *   puzzle_emb_ndim: 0, pos_encodings: "rope", rms_norm_eps: 1e-5, rope_theta: 1e4,
 *   halt_max_steps: 4, halt_exploration_prob: 0 });
 * if (d.F !== 256 || d.HD !== 16 || d.T !== 81) throw new Error();
 * ```
 */
export function hrmDims(a: HrmArch): HrmDims {
  const D = a.hidden_size, NH = a.num_heads;
  if (D % NH !== 0) throw new RangeError(`hidden_size ${D} is not divisible by num_heads ${NH}`);
  const ceilP = Math.ceil(a.puzzle_emb_ndim / D);
  const P = a.puzzle_emb_len ? a.puzzle_emb_len : ceilP;
  if (P > 0 && a.puzzle_emb_ndim === 0) {
    throw new RangeError(
      `puzzle_emb_len ${P} needs puzzle_emb_ndim > 0 (the prefix would be empty)`,
    );
  }
  if (P < ceilP) {
    throw new RangeError(
      `puzzle_emb_len ${P} holds ${P * D} values, puzzle_emb_ndim is ${a.puzzle_emb_ndim}`,
    );
  }
  const T = a.seq_len + P;
  return {
    V: a.vocab_size,
    S: a.seq_len,
    P,
    T,
    D,
    NH,
    HD: D / NH,
    F: swigluWidth(a.expansion, D),
    Ft: a.mlp_t ? swigluWidth(a.expansion, T) : 0,
    embedScale: Math.sqrt(D),
  };
}

/** The dataset sizes the model needs (from dataset.json). */
export interface DatasetSizes {
  /** Vocabulary. */
  vocab_size: number;
  /** Sequence length. */
  seq_len: number;
  /** Puzzle identifiers. */
  num_puzzle_identifiers: number;
}

/** The reference class name of TRM (`arch.name`), as in its config/arch/trm.yaml. */
export const TRM_ARCH_NAME = "recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1";

/**
 * The recurrence an `arch.name` selects: TRM's class (any module path ending in
 * `@TinyRecursiveReasoningModel_ACTV1`), else HRM.
 */
export function modelKind(name: string | undefined): ModelKind {
  return name?.endsWith("@TinyRecursiveReasoningModel_ACTV1") ? "trm" : "hrm";
}

/**
 * Combines the config's `arch` section with the dataset's sizes, as pretrain.py does when it
 * builds the model config. TRM's keys are taken only for TRM (HRM has none).
 */
export function archFromConfig(
  arch: Omit<HrmArch, keyof DatasetSizes | "kind"> & { name?: string },
  data: DatasetSizes,
): HrmArch {
  const kind = modelKind(arch.name);
  const trm = kind === "trm"
    ? {
      mlp_t: arch.mlp_t ?? false,
      puzzle_emb_len: arch.puzzle_emb_len ?? 16,
      no_ACT_continue: arch.no_ACT_continue ?? true,
    }
    : {};
  return {
    kind,
    ...trm,
    vocab_size: data.vocab_size,
    seq_len: data.seq_len,
    num_puzzle_identifiers: data.num_puzzle_identifiers,
    hidden_size: arch.hidden_size,
    num_heads: arch.num_heads,
    expansion: arch.expansion,
    H_layers: arch.H_layers,
    L_layers: arch.L_layers,
    H_cycles: arch.H_cycles,
    L_cycles: arch.L_cycles,
    puzzle_emb_ndim: arch.puzzle_emb_ndim,
    pos_encodings: arch.pos_encodings,
    rms_norm_eps: arch.rms_norm_eps,
    rope_theta: arch.rope_theta,
    halt_max_steps: arch.halt_max_steps,
    halt_exploration_prob: arch.halt_exploration_prob,
    ...(arch.forward_dtype ? { forward_dtype: arch.forward_dtype } : {}),
  };
}

/**
 * The halting rule of training and adaptive inference: TRM with no_ACT_continue halts when
 * q_halt > 0; HRM (and TRM without it) when q_halt > q_continue.
 *
 * @param noActContinue The model's no_ACT_continue (HRM: false).
 * @param q_halt The halt logit.
 * @param q_continue The continue logit.
 * @returns Whether the row halts (before the step limit and exploration).
 *
 * @example
 * ```ts
 * import { haltDecision } from "./dims.ts";
 * if (!haltDecision(true, 0.1, 5) || haltDecision(false, 0.1, 5)) throw new Error();
 * ```
 */
export function haltDecision(noActContinue: boolean, q_halt: number, q_continue: number): boolean {
  return noActContinue ? q_halt > 0 : q_halt > q_continue;
}
