import { assertEquals, assertThrows } from "@std/assert";
import { HrmError } from "../../lib/errors.ts";
import { configKeys, parseConfig } from "../../lib/config/schema.ts";

Deno.test("parseConfig fills the reference defaults (cfg_pretrain.yaml + arch/hrm_v1.yaml)", () => {
  const c = parseConfig({});
  assertEquals(c.data_path, "data/arc-aug-1000");
  assertEquals(
    [c.global_batch_size, c.epochs, c.eval_interval, c.lr, c.lr_min_ratio, c.lr_warmup_steps],
    [768, 100000, 10000, 1e-4, 1.0, 2000],
  );
  assertEquals([c.beta1, c.beta2, c.weight_decay, c.puzzle_emb_weight_decay], [
    0.9,
    0.95,
    0.1,
    0.1,
  ]);
  assertEquals([c.puzzle_emb_lr, c.seed, c.checkpoint_every_eval], [1e-2, 0, true]);
  assertEquals([c.project_name, c.run_name, c.checkpoint_path], [null, null, null]);
  assertEquals(c.eval_save_outputs, []);
  assertEquals(c.arch, {
    name: "hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1",
    loss: { name: "losses@ACTLossHead", loss_type: "stablemax_cross_entropy" },
    H_cycles: 2,
    L_cycles: 2,
    H_layers: 4,
    L_layers: 4,
    hidden_size: 512,
    num_heads: 8,
    expansion: 4,
    puzzle_emb_ndim: 512,
    pos_encodings: "rope",
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    halt_max_steps: 16,
    halt_exploration_prob: 0.1,
    forward_dtype: "bfloat16",
  });
});

Deno.test("puzzle_emb_ndim follows hidden_size unless set, and accepts ${.hidden_size}", () => {
  assertEquals(parseConfig({ arch: { hidden_size: 64, num_heads: 2 } }).arch.puzzle_emb_ndim, 64);
  assertEquals(
    parseConfig({ arch: { hidden_size: 64, num_heads: 2, puzzle_emb_ndim: 0 } }).arch
      .puzzle_emb_ndim,
    0,
  );
  const raw = { arch: { hidden_size: 128, puzzle_emb_ndim: "${.hidden_size}" } };
  assertEquals(parseConfig(raw).arch.puzzle_emb_ndim, 128);
});

Deno.test("a wrong type names the key and what it expects", () => {
  const e = assertThrows(() => parseConfig({ arch: { L_cycles: "four" } }, "x.yaml"), HrmError);
  assertEquals(e.message, 'x.yaml: arch.L_cycles: expected a number, got "four"');
  assertEquals(e.file, "x.yaml");
  const f = assertThrows(() => parseConfig({ epochs: 2.5 }), HrmError);
  assertEquals(f.message, "epochs: expected an integer, got 2.5");
});

Deno.test("enums, ranges and unknown keys are rejected with the key named", () => {
  const e = assertThrows(() => parseConfig({ arch: { pos_encodings: "rotary" } }), HrmError);
  assertEquals(
    e.message,
    'arch.pos_encodings: expected one of "rope", "learned", "none", got "rotary"',
  );
  assertEquals(
    assertThrows(() => parseConfig({ lr: -1 }), HrmError).message,
    "lr: expected a number >= 0, got -1",
  );
  assertEquals(
    assertThrows(() => parseConfig({ beta2: 1 }), HrmError).message,
    "beta2: expected a number < 1, got 1",
  );
  assertEquals(
    assertThrows(() => parseConfig({ arch: { L_cylces: 3 } }), HrmError).message,
    'unknown config key "arch.L_cylces" (did you mean "arch.L_cycles"?)',
  );
  assertEquals(
    assertThrows(() => parseConfig({ zzzzzzzzzzzz: 3 }), HrmError).message,
    'unknown config key "zzzzzzzzzzzz"',
  );
});

Deno.test("cross-key rules: heads divide hidden_size, even RoPE head_dim, eval_interval | epochs", () => {
  assertThrows(
    () => parseConfig({ arch: { hidden_size: 100, num_heads: 8 } }),
    HrmError,
    "num_heads",
  );
  assertThrows(() => parseConfig({ arch: { hidden_size: 24, num_heads: 8 } }), HrmError, "even");
  parseConfig({ arch: { hidden_size: 24, num_heads: 8, pos_encodings: "learned" } });
  assertThrows(
    () => parseConfig({ epochs: 10, eval_interval: 3 }),
    HrmError,
    "eval_interval: must divide epochs (10), got 3",
  );
  assertEquals(parseConfig({ epochs: 10, eval_interval: null }).eval_interval, null);
});

Deno.test("configKeys lists every reference key, groups marked", () => {
  const keys = new Map(configKeys().map((k) => [k.path, k.isGroup]));
  assertEquals(keys.get("arch"), true);
  assertEquals(keys.get("arch.loss"), true);
  assertEquals(keys.get("arch.loss.loss_type"), false);
  const strings = configKeys().filter((k) => k.isString).map((k) => k.path).sort();
  assertEquals(strings, [
    "arch.loss.name",
    "arch.name",
    "checkpoint_path",
    "data_path",
    "project_name",
    "run_name",
  ]);
  for (
    const k of [
      "data_path",
      "global_batch_size",
      "epochs",
      "eval_interval",
      "lr",
      "lr_min_ratio",
      "lr_warmup_steps",
      "weight_decay",
      "beta1",
      "beta2",
      "puzzle_emb_lr",
      "puzzle_emb_weight_decay",
      "seed",
      "checkpoint_every_eval",
      "project_name",
      "run_name",
      "checkpoint_path",
      "eval_save_outputs",
      "arch.name",
      "arch.H_cycles",
      "arch.L_cycles",
      "arch.H_layers",
      "arch.L_layers",
      "arch.hidden_size",
      "arch.num_heads",
      "arch.expansion",
      "arch.puzzle_emb_ndim",
      "arch.pos_encodings",
      "arch.rms_norm_eps",
      "arch.rope_theta",
      "arch.halt_max_steps",
      "arch.halt_exploration_prob",
      "arch.forward_dtype",
      "arch.loss.name",
    ]
  ) assertEquals(keys.get(k), false, k);
});
