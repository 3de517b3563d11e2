/**
 * Named configurations. The paper presets reproduce the reference's runs exactly (cfg_pretrain.yaml
 * plus the command lines in sapientinc/HRM's README); the CPU presets are small models sized for a
 * 2-core CPU with a software WebGPU adapter (~10 GFLOP/s). Each preset is a partial layer over the
 * reference defaults, so a preset lists only what differs; edit the values here to retune.
 *
 * @module
 */
import { HrmError } from "../errors.ts";
import { type HrmConfig, type HrmConfigInput, parseConfig, TRM_MODEL_NAME } from "./schema.ts";

/** A named configuration layer. */
export interface Preset {
  /** One line for `--help` and the README. */
  summary: string;
  /** The keys that differ from the reference defaults (cfg_pretrain.yaml + arch/hrm_v1.yaml). */
  config: HrmConfigInput;
}

// The README's Sudoku-Extreme / Maze-Hard command lines share these four overrides.
const TASK_1K = {
  epochs: 20000,
  eval_interval: 2000,
  lr: 1e-4,
  puzzle_emb_lr: 1e-4,
  weight_decay: 1.0,
  puzzle_emb_weight_decay: 1.0,
} satisfies HrmConfigInput;

// Small-model training settings shared by the CPU presets: a higher lr suits hidden 64, and
// weight_decay is scaled so lr·wd per step matches the reference's 1e-4.
const CPU_TRAIN = {
  lr: 1e-3,
  puzzle_emb_lr: 1e-3,
  weight_decay: 0.1,
  puzzle_emb_weight_decay: 0.1,
  lr_warmup_steps: 100,
} satisfies HrmConfigInput;

// The 4×4 demo's data and training loop, the same for HRM and TRM so their demos compare.
const MINI_TRAIN = {
  data_path: "data/sudoku-mini", // hrm gen sudoku --mini --out data/sudoku-mini
  global_batch_size: 64,
  epochs: 100,
  eval_interval: 100,
  ...CPU_TRAIN,
  lr: 2e-3,
  lr_warmup_steps: 20,
  checkpoint_every_eval: false,
} satisfies HrmConfigInput;

// TRM's README command lines (SamsungSAILMontreal/TinyRecursiveModels): every run sets
// arch=trm, L_layers 2, H_cycles 3 and ema=True; Sudoku and Maze also these task settings and
// evaluators=[] (the ARC runs keep cfg_pretrain.yaml's defaults and its arc@ARC evaluator).
const TRM_TASK = {
  epochs: 50000,
  eval_interval: 5000,
  lr: 1e-4,
  puzzle_emb_lr: 1e-4,
  weight_decay: 1.0,
  puzzle_emb_weight_decay: 1.0,
  evaluators: [],
  ema: true,
} satisfies HrmConfigInput;
const TRM_ARCH = {
  name: TRM_MODEL_NAME,
  L_layers: 2,
  H_cycles: 3,
} satisfies HrmConfigInput["arch"];
const TRM_ARC = {
  evaluators: [{ name: "arc@ARC" }],
  ema: true,
  arch: { ...TRM_ARCH, L_cycles: 4 },
} satisfies HrmConfigInput;

const CPU_ARCH = {
  hidden_size: 64,
  num_heads: 2,
  expansion: 4,
  H_layers: 2,
  L_layers: 2,
  H_cycles: 2,
  L_cycles: 2,
  halt_max_steps: 4,
} satisfies HrmConfigInput["arch"];

/**
 * Every preset by name. Paper presets: `arc-1`, `arc-2`, `sudoku-extreme`,
 * `sudoku-extreme-laptop`, `maze-hard`, `sudoku-hard-full`; TRM paper presets: `trm-sudoku-mlp`,
 * `trm-sudoku-att`, `trm-maze`, `trm-arc-1`, `trm-arc-2`. CPU presets: `sudoku-mini` (the
 * demo), `trm-sudoku-mini` (the demo with TRM), `sudoku-cpu`, `maze-cpu`, `tiny`.
 *
 * @example
 * ```ts
 * import { PRESETS } from "./presets.ts";
 * if (PRESETS["sudoku-extreme"].config.data_path !== "data/sudoku-extreme-1k-aug-1000") throw new Error();
 * ```
 */
export const PRESETS: Readonly<Record<string, Preset>> = {
  "arc-1": {
    summary: "ARC-AGI-1 as in the paper (the reference defaults)",
    config: { data_path: "data/arc-aug-1000" },
  },
  "arc-2": {
    summary: "ARC-AGI-2 as in the paper",
    config: { data_path: "data/arc-2-aug-1000" },
  },
  "sudoku-extreme": {
    summary: "Sudoku-Extreme 1k as in the paper (8 GPUs, batch 768)",
    config: { data_path: "data/sudoku-extreme-1k-aug-1000", ...TASK_1K },
  },
  "sudoku-extreme-laptop": {
    summary: "Sudoku-Extreme 1k on one laptop GPU (the README's batch 384, lr 7e-5 run)",
    config: {
      data_path: "data/sudoku-extreme-1k-aug-1000",
      ...TASK_1K,
      global_batch_size: 384,
      lr: 7e-5,
      puzzle_emb_lr: 7e-5,
    },
  },
  "maze-hard": {
    summary: "Maze 30x30 Hard 1k as in the paper",
    config: { data_path: "data/maze-30x30-hard-1k", ...TASK_1K },
  },
  "sudoku-hard-full": {
    summary: "Full Sudoku-Hard (softmax CE, L_cycles 8, 8 segments, learned positions)",
    config: {
      data_path: "data/sudoku-hard-full",
      epochs: 100,
      eval_interval: 10,
      lr_min_ratio: 0.1,
      global_batch_size: 2304,
      lr: 3e-4,
      puzzle_emb_lr: 3e-4,
      weight_decay: 0.1,
      puzzle_emb_weight_decay: 0.1,
      arch: {
        loss: { loss_type: "softmax_cross_entropy" },
        L_cycles: 8,
        halt_max_steps: 8,
        pos_encodings: "learned",
      },
    },
  },
  "sudoku-mini": {
    summary: "the demo: 4×4 Sudoku on a CPU software adapter (hidden 64, 1+1 layers, batch 64)",
    config: {
      ...MINI_TRAIN,
      arch: {
        ...CPU_ARCH,
        // Learned positions: on a 4×4 grid a cell's row, column and box are absolute facts
        // that RoPE's relative offsets cannot tell apart (cell 3→4 looks like 0→1).
        pos_encodings: "learned",
        num_heads: 4,
        H_layers: 1,
        L_layers: 1,
        puzzle_emb_ndim: 0,
        halt_exploration_prob: 0.1,
      },
    },
  },
  "trm-sudoku-mlp": {
    summary: "TRM, Sudoku-Extreme 1k, MLP variant (mlp_t, no positions) as in the TRM README",
    config: {
      data_path: "data/sudoku-extreme-1k-aug-1000",
      ...TRM_TASK,
      arch: { ...TRM_ARCH, L_cycles: 6, mlp_t: true, pos_encodings: "none" },
    },
  },
  "trm-sudoku-att": {
    summary: "TRM, Sudoku-Extreme 1k, attention + RoPE variant as in the TRM README",
    config: {
      data_path: "data/sudoku-extreme-1k-aug-1000",
      ...TRM_TASK,
      arch: { ...TRM_ARCH, L_cycles: 6 },
    },
  },
  "trm-maze": {
    summary: "TRM, Maze 30x30 Hard 1k as in the TRM README (4 GPUs, batch 768)",
    config: {
      data_path: "data/maze-30x30-hard-1k",
      ...TRM_TASK,
      arch: { ...TRM_ARCH, L_cycles: 4 },
    },
  },
  "trm-arc-1": {
    summary: "TRM, ARC-AGI-1 (+ConceptARC) as in the TRM README",
    config: { data_path: "data/arc1concept-aug-1000", ...TRM_ARC },
  },
  "trm-arc-2": {
    summary: "TRM, ARC-AGI-2 (+ConceptARC) as in the TRM README",
    config: { data_path: "data/arc2concept-aug-1000", ...TRM_ARC },
  },
  "trm-sudoku-mini": {
    summary: "the demo with TRM: 4×4 Sudoku on a CPU software adapter (hidden 64, 2 layers, mlp_t)",
    config: {
      ...MINI_TRAIN,
      arch: {
        ...CPU_ARCH,
        name: TRM_MODEL_NAME,
        // The sequence-axis MLP sees every cell position as its own input, so it needs no
        // position encoding (TRM's Sudoku variant); 2+2 cycles of the 2-layer net cost about
        // twice the HRM demo's blocks per segment.
        mlp_t: true,
        pos_encodings: "none",
        num_heads: 4,
        H_layers: 0,
        L_layers: 2,
        H_cycles: 2,
        L_cycles: 2,
        puzzle_emb_ndim: 0,
        puzzle_emb_len: 0,
        halt_exploration_prob: 0.1,
      },
    },
  },
  "sudoku-cpu": {
    summary: "small Sudoku model for a CPU software adapter (hidden 64, 2+2 layers, batch 32)",
    config: {
      data_path: "data/sudoku-cpu",
      global_batch_size: 32,
      epochs: 100,
      eval_interval: 20,
      ...CPU_TRAIN,
      arch: { ...CPU_ARCH },
    },
  },
  "maze-cpu": {
    summary: "small Maze model for a CPU software adapter (hidden 64, 2+2 layers, batch 16)",
    config: {
      data_path: "data/maze-cpu",
      global_batch_size: 16,
      epochs: 100,
      eval_interval: 20,
      ...CPU_TRAIN,
      arch: { ...CPU_ARCH },
    },
  },
  tiny: {
    summary: "the smallest model that exercises every code path (tests and smoke runs)",
    config: {
      data_path: "data/sudoku-tiny",
      global_batch_size: 8,
      epochs: 2,
      eval_interval: 1,
      ...CPU_TRAIN,
      lr_warmup_steps: 2,
      arch: {
        hidden_size: 32,
        num_heads: 2,
        expansion: 2,
        H_layers: 1,
        L_layers: 1,
        H_cycles: 2,
        L_cycles: 2,
        halt_max_steps: 2,
      },
    },
  },
};

/**
 * The names of all presets, in the order of {@linkcode PRESETS}.
 *
 * @returns E.g. `["arc-1", "arc-2", "sudoku-extreme", ...]`.
 */
export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

/**
 * A preset as a complete, validated configuration.
 *
 * @param name A key of {@linkcode PRESETS}.
 * @returns The reference defaults with the preset's keys applied.
 * @throws {HrmError} If there is no such preset (the message lists the names).
 *
 * @example
 * ```ts
 * import { getPreset } from "./presets.ts";
 * const c = getPreset("maze-hard");
 * if (c.epochs !== 20000 || c.arch.hidden_size !== 512) throw new Error();
 * ```
 */
export function getPreset(name: string): HrmConfig {
  return parseConfig(presetLayer(name), `preset ${name}`);
}

/**
 * A preset's own layer (only the keys it sets), for merging under a file and overrides.
 *
 * @param name A key of {@linkcode PRESETS}.
 * @returns A deep copy of the preset's layer.
 * @throws {HrmError} If there is no such preset.
 */
export function presetLayer(name: string): HrmConfigInput {
  const p = Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
  if (!p) {
    throw new HrmError(
      undefined,
      `unknown preset "${name}": expected one of ${presetNames().join(", ")}`,
    );
  }
  return structuredClone(p.config);
}
