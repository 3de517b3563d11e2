import { assertEquals, assertThrows } from "@std/assert";
import { HrmError } from "../../lib/errors.ts";
import { configKeys, isTrm, parseConfig, TRM_MODEL_NAME } from "../../lib/config/schema.ts";

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
  assertEquals([c.min_eval_interval, c.evaluators, c.ema, c.ema_rate, c.freeze_weights], [
    0,
    [],
    false,
    0.999,
    false,
  ]);
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
    mlp_t: false,
    puzzle_emb_len: 0,
    no_ACT_continue: false,
  });
  assertEquals(isTrm(c.arch), false);
});

Deno.test("arch.name TRM takes arch/trm.yaml's defaults for the keys left out", () => {
  const c = parseConfig({ arch: { name: TRM_MODEL_NAME } });
  assertEquals(isTrm(c.arch), true);
  const a = c.arch;
  assertEquals([a.H_cycles, a.L_cycles, a.H_layers, a.L_layers], [3, 6, 0, 2]);
  assertEquals([a.mlp_t, a.puzzle_emb_len, a.no_ACT_continue], [false, 16, true]);
  assertEquals([a.hidden_size, a.num_heads, a.puzzle_emb_ndim, a.pos_encodings], [
    512,
    8,
    512,
    "rope",
  ]);
  assertEquals([a.halt_max_steps, a.halt_exploration_prob, a.forward_dtype], [16, 0.1, "bfloat16"]);
  // Keys given win; H_layers is ignored by TRM, any count (0 too) is accepted.
  const b = parseConfig({ arch: { name: TRM_MODEL_NAME, L_cycles: 2, H_layers: 5 } }).arch;
  assertEquals([b.H_cycles, b.L_cycles, b.H_layers], [3, 2, 5]);
});

Deno.test("TRM's keys are checked: prefix length, no_ACT_continue, HRM refuses them", () => {
  const trm = (arch: Record<string, unknown>) =>
    parseConfig({ arch: { name: TRM_MODEL_NAME, ...arch } });
  assertEquals(trm({ puzzle_emb_ndim: 0, puzzle_emb_len: 0 }).arch.puzzle_emb_len, 0);
  assertEquals(
    assertThrows(() => trm({ puzzle_emb_ndim: 0 }), HrmError).message,
    "arch.puzzle_emb_len: must be 0 when puzzle_emb_ndim is 0, got 16",
  );
  assertEquals(
    assertThrows(
      () => trm({ hidden_size: 64, num_heads: 2, puzzle_emb_ndim: 200, puzzle_emb_len: 3 }),
      HrmError,
    )
      .message,
    "arch.puzzle_emb_len: 3 slots of hidden_size 64 cannot hold puzzle_emb_ndim 200",
  );
  trm({ hidden_size: 64, num_heads: 2, puzzle_emb_ndim: 200, puzzle_emb_len: 0 }); // ceil rule: 4
  assertThrows(() => trm({ no_ACT_continue: false }), HrmError, "arch.no_ACT_continue");
  // mlp_t has no attention, so num_heads need not divide hidden_size.
  assertEquals(trm({ mlp_t: true, hidden_size: 100, num_heads: 8 }).arch.mlp_t, true);
  assertThrows(() => trm({ hidden_size: 100, num_heads: 8 }), HrmError, "num_heads");
  // HRM: TRM-only keys at anything but HRM's behaviour, and H_layers 0, are errors.
  assertEquals(
    assertThrows(() => parseConfig({ arch: { mlp_t: true } }), HrmError).message,
    `arch.mlp_t: is a TRM key (arch.name "${TRM_MODEL_NAME}"); HRM has false`,
  );
  assertThrows(
    () => parseConfig({ arch: { puzzle_emb_len: 16 } }),
    HrmError,
    "arch.puzzle_emb_len",
  );
  assertThrows(() => parseConfig({ arch: { H_layers: 0 } }), HrmError, "arch.H_layers: HRM needs");
  assertEquals(parseConfig({ arch: { puzzle_emb_len: 0, mlp_t: false } }).arch.puzzle_emb_len, 0);
  assertThrows(
    () => parseConfig({ arch: { name: "recursive_reasoning.trm_singlez@X" } }),
    HrmError,
    `arch.name: expected one of "hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1", "${TRM_MODEL_NAME}"`,
  );
});

Deno.test("TRM's top-level keys: data_paths, data_paths_test, load_checkpoint, EMA, freeze", () => {
  const c = parseConfig({ data_paths: ["data/x"], data_paths_test: [], load_checkpoint: null });
  assertEquals(c.data_path, "data/x");
  assertEquals("data_paths" in c || "data_paths_test" in c || "load_checkpoint" in c, false);
  const err = (raw: Record<string, unknown>) =>
    assertThrows(() => parseConfig(raw), HrmError).message;
  assertEquals(
    err({ data_paths: ["a", "b"] }),
    "data_paths: hrm trains on one dataset folder, got 2",
  );
  assertEquals(
    err({ data_paths: ["a"], data_path: "b" }),
    "data_paths: set data_path or data_paths, not both",
  );
  assertEquals(
    err({ data_paths_test: ["t"] }),
    "data_paths_test: separate test datasets are not supported (hrm evaluates <data_path>/test)",
  );
  assertEquals(
    err({ load_checkpoint: "ckpt/step_10" }),
    "load_checkpoint: is not read from the config; pass the weights with hrm train --init FILE",
  );
  const e = parseConfig({ ema: true, ema_rate: 0.5, freeze_weights: true, min_eval_interval: 3 });
  assertEquals([e.ema, e.ema_rate, e.freeze_weights, e.min_eval_interval], [true, 0.5, true, 3]);
  assertEquals(err({ ema_rate: 1.5 }), "ema_rate: expected a number <= 1, got 1.5");
  assertEquals(
    err({ freeze_weights: true, arch: { puzzle_emb_ndim: 0 } }),
    "freeze_weights: needs puzzle embeddings (arch.puzzle_emb_ndim > 0)",
  );
  const ev = parseConfig({ evaluators: [{ name: "arc@ARC", submission_K: 2 }] }).evaluators;
  assertEquals(ev, [{ name: "arc@ARC", submission_K: 2 }]);
  assertEquals(err({ ema_rat: 0.9 }), 'unknown config key "ema_rat" (did you mean "ema_rate"?)');
  assertEquals(
    err({ arch: { name: TRM_MODEL_NAME, mlp_tt: true } }),
    'unknown config key "arch.mlp_tt" (did you mean "arch.mlp_t"?)',
  );
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
    "checkpoint_path",
    "data_path",
    "load_checkpoint",
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
      "arch.mlp_t",
      "arch.puzzle_emb_len",
      "arch.no_ACT_continue",
      "arch.loss.name",
      "data_paths",
      "data_paths_test",
      "min_eval_interval",
      "evaluators",
      "ema",
      "ema_rate",
      "freeze_weights",
    ]
  ) assertEquals(keys.get(k), false, k);
});
