import { assertEquals, assertGreater, assertThrows } from "@std/assert";
import { HrmError } from "../../lib/errors.ts";
import { getPreset, presetNames, PRESETS } from "../../lib/config/presets.ts";

// The reference's runs: config/cfg_pretrain.yaml plus the README's command lines.
const PAPER: Record<string, Record<string, unknown>> = {
  "arc-1": {
    data_path: "data/arc-aug-1000",
    global_batch_size: 768,
    epochs: 100000,
    eval_interval: 10000,
    lr: 1e-4,
    puzzle_emb_lr: 1e-2,
    weight_decay: 0.1,
    puzzle_emb_weight_decay: 0.1,
    lr_min_ratio: 1.0,
    lr_warmup_steps: 2000,
  },
  "arc-2": {
    data_path: "data/arc-2-aug-1000",
    global_batch_size: 768,
    epochs: 100000,
    eval_interval: 10000,
    lr: 1e-4,
    puzzle_emb_lr: 1e-2,
    weight_decay: 0.1,
    puzzle_emb_weight_decay: 0.1,
  },
  "sudoku-extreme": {
    data_path: "data/sudoku-extreme-1k-aug-1000",
    global_batch_size: 768,
    epochs: 20000,
    eval_interval: 2000,
    lr: 1e-4,
    puzzle_emb_lr: 1e-4,
    weight_decay: 1.0,
    puzzle_emb_weight_decay: 1.0,
    lr_min_ratio: 1.0,
  },
  "sudoku-extreme-laptop": {
    global_batch_size: 384,
    epochs: 20000,
    eval_interval: 2000,
    lr: 7e-5,
    puzzle_emb_lr: 7e-5,
    weight_decay: 1.0,
    puzzle_emb_weight_decay: 1.0,
  },
  "maze-hard": {
    data_path: "data/maze-30x30-hard-1k",
    global_batch_size: 768,
    epochs: 20000,
    eval_interval: 2000,
    lr: 1e-4,
    puzzle_emb_lr: 1e-4,
    weight_decay: 1.0,
    puzzle_emb_weight_decay: 1.0,
  },
  "sudoku-hard-full": {
    data_path: "data/sudoku-hard-full",
    global_batch_size: 2304,
    epochs: 100,
    eval_interval: 10,
    lr: 3e-4,
    puzzle_emb_lr: 3e-4,
    lr_min_ratio: 0.1,
    weight_decay: 0.1,
    puzzle_emb_weight_decay: 0.1,
  },
};

Deno.test("paper presets carry exactly the reference's values", () => {
  for (const [name, expected] of Object.entries(PAPER)) {
    const c = getPreset(name) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(expected)) assertEquals(c[k], v, `${name}.${k}`);
    assertEquals([c.seed, c.checkpoint_every_eval, c.beta1, c.beta2], [0, true, 0.9, 0.95], name);
  }
  for (const name of ["arc-1", "arc-2", "sudoku-extreme", "maze-hard"]) {
    const a = getPreset(name).arch;
    assertEquals(
      [a.H_cycles, a.L_cycles, a.H_layers, a.L_layers, a.hidden_size, a.num_heads, a.expansion],
      [2, 2, 4, 4, 512, 8, 4],
      name,
    );
    assertEquals([a.halt_max_steps, a.pos_encodings, a.loss.loss_type], [
      16,
      "rope",
      "stablemax_cross_entropy",
    ]);
  }
  const full = getPreset("sudoku-hard-full").arch;
  assertEquals(
    [full.L_cycles, full.halt_max_steps, full.pos_encodings, full.loss.loss_type],
    [8, 8, "learned", "softmax_cross_entropy"],
  );
});

Deno.test("CPU presets are small and valid", () => {
  for (const name of ["sudoku-cpu", "maze-cpu", "tiny"]) {
    const c = getPreset(name);
    assertEquals(c.arch.hidden_size <= 64, true, name);
    assertEquals(c.global_batch_size <= 64, true, name);
    assertGreater(c.arch.halt_max_steps, 1, name);
    assertEquals(c.epochs % (c.eval_interval ?? c.epochs), 0, name);
  }
});

Deno.test("every preset validates; an unknown name lists the known ones", () => {
  for (const name of presetNames()) getPreset(name);
  assertEquals(presetNames(), Object.keys(PRESETS));
  const e = assertThrows(() => getPreset("sudoku"), HrmError);
  assertEquals(e.message.startsWith('unknown preset "sudoku": expected one of arc-1, arc-2'), true);
});

Deno.test("getPreset returns a copy: changing it does not change the preset", () => {
  const c = getPreset("tiny");
  c.arch.hidden_size = 999;
  assertEquals(getPreset("tiny").arch.hidden_size, 32);
});

// TRM's README command lines over its cfg_pretrain.yaml + arch/trm.yaml.
const TRM_TASK = {
  global_batch_size: 768,
  epochs: 50000,
  eval_interval: 5000,
  lr: 1e-4,
  puzzle_emb_lr: 1e-4,
  weight_decay: 1.0,
  puzzle_emb_weight_decay: 1.0,
  lr_warmup_steps: 2000,
  lr_min_ratio: 1.0,
  evaluators: [],
  ema: true,
  ema_rate: 0.999,
  freeze_weights: false,
};
const TRM_ARC = {
  global_batch_size: 768,
  epochs: 100000,
  eval_interval: 10000,
  lr: 1e-4,
  puzzle_emb_lr: 1e-2,
  weight_decay: 0.1,
  puzzle_emb_weight_decay: 0.1,
  lr_warmup_steps: 2000,
  evaluators: [{ name: "arc@ARC" }],
  ema: true,
};
const TRM_PAPER: Record<string, [Record<string, unknown>, Record<string, unknown>]> = {
  "trm-sudoku-mlp": [
    { data_path: "data/sudoku-extreme-1k-aug-1000", ...TRM_TASK },
    { H_cycles: 3, L_cycles: 6, L_layers: 2, mlp_t: true, pos_encodings: "none" },
  ],
  "trm-sudoku-att": [
    { data_path: "data/sudoku-extreme-1k-aug-1000", ...TRM_TASK },
    { H_cycles: 3, L_cycles: 6, L_layers: 2, mlp_t: false, pos_encodings: "rope" },
  ],
  "trm-maze": [
    { data_path: "data/maze-30x30-hard-1k", ...TRM_TASK },
    { H_cycles: 3, L_cycles: 4, L_layers: 2, mlp_t: false, pos_encodings: "rope" },
  ],
  "trm-arc-1": [
    { data_path: "data/arc1concept-aug-1000", ...TRM_ARC },
    { H_cycles: 3, L_cycles: 4, L_layers: 2, mlp_t: false, pos_encodings: "rope" },
  ],
  "trm-arc-2": [
    { data_path: "data/arc2concept-aug-1000", ...TRM_ARC },
    { H_cycles: 3, L_cycles: 4, L_layers: 2, mlp_t: false, pos_encodings: "rope" },
  ],
};

Deno.test("TRM paper presets carry exactly the TRM README's values", () => {
  for (const [name, [top, arch]] of Object.entries(TRM_PAPER)) {
    const c = getPreset(name) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(top)) assertEquals(c[k], v, `${name}.${k}`);
    const a = getPreset(name).arch as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(arch)) assertEquals(a[k], v, `${name}.arch.${k}`);
    // Everything else is arch/trm.yaml's.
    assertEquals(
      [a.name, a.hidden_size, a.num_heads, a.expansion, a.puzzle_emb_ndim, a.puzzle_emb_len],
      ["recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1", 512, 8, 4, 512, 16],
      name,
    );
    assertEquals(
      [a.halt_max_steps, a.halt_exploration_prob, a.no_ACT_continue],
      [16, 0.1, true],
      name,
    );
    assertEquals([c.seed, c.checkpoint_every_eval, c.beta1, c.beta2], [0, true, 0.9, 0.95], name);
  }
});

Deno.test("the TRM demo preset is the HRM demo's task and budget with TRM's 2-layer net", () => {
  const t = getPreset("trm-sudoku-mini"), h = getPreset("sudoku-mini");
  assertEquals(t.arch.name, "recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1");
  for (const k of ["data_path", "global_batch_size", "epochs", "eval_interval", "lr"] as const) {
    assertEquals(t[k], h[k], k);
  }
  assertEquals([t.arch.hidden_size, t.arch.L_layers, t.arch.mlp_t], [64, 2, true]);
  assertEquals(t.arch.puzzle_emb_ndim === 0 ? t.arch.puzzle_emb_len : 0, 0);
});
