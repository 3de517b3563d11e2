import { assertEquals, assertThrows } from "@std/assert";
import { HrmError } from "../../lib/errors.ts";
import { applyOverrides, parseScalar } from "../../lib/config/overrides.ts";
import { getPreset } from "../../lib/config/presets.ts";

Deno.test("overrides set dotted keys with YAML-typed values, in order", () => {
  const c = applyOverrides(getPreset("sudoku-extreme"), [
    "lr=7e-5",
    "arch.L_cycles=4",
    "arch.loss.loss_type=softmax_cross_entropy",
    "checkpoint_every_eval=false",
    "eval_interval=null",
    "run_name=my run",
    "eval_save_outputs=[logits, q_halt_logits]",
    "+project_name=p",
    "lr=8e-5",
  ]);
  assertEquals(c.lr, 8e-5);
  assertEquals(c.arch.L_cycles, 4);
  assertEquals(c.arch.loss.loss_type, "softmax_cross_entropy");
  assertEquals(c.checkpoint_every_eval, false);
  assertEquals(c.eval_interval, null);
  assertEquals(c.run_name, "my run");
  assertEquals(c.project_name, "p");
  assertEquals(c.eval_save_outputs, ["logits", "q_halt_logits"]);
  assertEquals(c.epochs, 20000);
});

Deno.test("text keys keep numbers and booleans as typed; null still clears them", () => {
  const c = applyOverrides({}, ["data_path=2024", "run_name=true", "project_name=1e-4"]);
  assertEquals([c.data_path, c.run_name, c.project_name], ["2024", "true", "1e-4"]);
  assertEquals(applyOverrides({ run_name: "x" }, ["run_name=null"]).run_name, null);
  assertThrows(
    () => applyOverrides({}, ["data_path=[a]"]),
    HrmError,
    "data_path: expected a string",
  );
});

Deno.test("the input layer is not modified", () => {
  const base = getPreset("tiny");
  applyOverrides(base, ["arch.hidden_size=64"]);
  assertEquals(base.arch.hidden_size, 32);
});

Deno.test("an unset puzzle_emb_ndim follows an overridden hidden_size", () => {
  assertEquals(
    applyOverrides({}, ["arch.hidden_size=64", "arch.num_heads=2"]).arch.puzzle_emb_ndim,
    64,
  );
});

Deno.test("a wrong type names the key and what it expects", () => {
  const e = assertThrows(() => applyOverrides({}, ["arch.L_cycles=four"]), HrmError);
  assertEquals(e.message, 'arch.L_cycles: expected a number, got "four"');
  const f = assertThrows(() => applyOverrides({}, ["lr=fast"], "command line"), HrmError);
  assertEquals(f.message, 'command line: lr: expected a number, got "fast"');
});

Deno.test("unknown keys, groups given values and malformed items are errors", () => {
  assertEquals(
    assertThrows(() => applyOverrides({}, ["arch.L_cylces=4"]), HrmError).message,
    'unknown config key "arch.L_cylces" (did you mean "arch.L_cycles"?)',
  );
  assertEquals(
    assertThrows(() => applyOverrides({}, ["arch=5"]), HrmError).message,
    "arch: is a group of keys, not a value; set one of them, e.g. arch.name=...",
  );
  assertEquals(
    assertThrows(() => applyOverrides({}, ["lr"]), HrmError).message,
    'expected key=value, got "lr"',
  );
  assertThrows(() => applyOverrides({}, ["=3"]), HrmError, "expected key=value");
});

Deno.test("parseScalar reads values as YAML does", () => {
  assertEquals(parseScalar("7e-5"), 7e-5);
  assertEquals(parseScalar("1e-4"), 1e-4);
  assertEquals(parseScalar("4"), 4);
  assertEquals(parseScalar("True"), true);
  assertEquals(parseScalar("null"), null);
  assertEquals(parseScalar("data/x-1k"), "data/x-1k");
  assertEquals(parseScalar(""), "");
  assertEquals(parseScalar("[unclosed"), "[unclosed");
});

Deno.test("data_path and TRM's data_paths are one setting: the later override wins", () => {
  const a = applyOverrides({ data_paths: ["data/a"] }, ["data_path=data/b"]);
  assertEquals(a.data_path, "data/b");
  const b = applyOverrides({ data_path: "data/a" }, ["data_paths=[data/b]"]);
  assertEquals(b.data_path, "data/b");
  // Switching the model by override moves the keys left unset to that model's defaults.
  const t = applyOverrides({}, [
    "arch.name=recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1",
    "ema=True",
  ]);
  assertEquals([t.arch.L_cycles, t.arch.L_layers, t.arch.puzzle_emb_len, t.ema], [6, 2, 16, true]);
});
