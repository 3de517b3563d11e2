// Shared by the golden-fixture tests (tests/fixtures/golden/<name>, copied from ../shared): the
// fixture's tensors by name, its model, the scale-free comparison they all use, and the CLI eval
// parity check.
import { assertEquals } from "@std/assert";
import { main } from "../cli.ts";
import type { Gpu } from "../lib/gpu/device.ts";
import { readSafetensors, type StTensor, toFloat32 } from "../lib/io/safetensors.ts";
import { createModel } from "../lib/model/create.ts";
import { archFromConfig } from "../lib/model/dims.ts";
import type { ReasoningModel } from "../lib/model/model.ts";
import { loadStateDict } from "../lib/model/state.ts";
import { maxRelError } from "./_helpers.ts";

/** The tensor `k` of a fixture file, or an error naming it. */
export function fixtureTensor(m: Map<string, StTensor>, k: string): StTensor {
  const t = m.get(k);
  if (!t) throw new Error(`fixture has no ${k}`);
  return t;
}

/** Throws unless max |actual − expected| ≤ tol · max |expected|; returns that error. */
export function assertRel(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  label: string,
): number {
  const e = maxRelError(actual, expected);
  if (!(e <= tol)) {
    throw new Error(`${label}: max error ${e.toExponential(2)} of max |ref| > ${tol}`);
  }
  return e;
}

/** A fixture's model (HRM or TRM by its config's arch.name) with its weights loaded. */
export function loadGoldenModel(
  gpu: Gpu,
  config: { arch: Parameters<typeof archFromConfig>[0]; dataset_metadata: never },
  weights: Map<string, StTensor>,
): ReasoningModel {
  const model = createModel(gpu, archFromConfig(config.arch, config.dataset_metadata));
  loadStateDict(model, weights, "weights.safetensors");
  return model;
}

/**
 * `hrm eval --config C --checkpoint weights.safetensors --save-preds P` on a golden dataset must
 * reproduce the reference's last-segment preds exactly and its q_halt_logits within `qTol`.
 */
export async function checkEvalParity(
  fixtureDir: string,
  dir: string,
  config: string,
  segments: number,
  qTol: number,
): Promise<void> {
  const code = await main([
    "eval",
    "--config",
    config,
    "--checkpoint",
    `${fixtureDir}weights.safetensors`,
    "--save-preds",
    `${dir}/preds.safetensors`,
  ]);
  assertEquals(code, 0);
  const preds = (await readSafetensors(`${dir}/preds.safetensors`)).tensors;
  const trace = (await readSafetensors(`${fixtureDir}eval_trace.safetensors`)).tensors;
  const ints = (m: Map<string, StTensor>, k: string) => [
    ...(fixtureTensor(m, k).data as Int32Array),
  ];
  assertEquals(ints(preds, "preds"), ints(trace, "preds"));
  const e = maxRelError(
    toFloat32(fixtureTensor(preds, "q_halt_logits")),
    toFloat32(fixtureTensor(trace, `q_halt_logits.${segments - 1}`)),
  );
  if (!(e <= qTol)) throw new Error(`q_halt_logits off by ${e}`);
  const B = fixtureTensor(preds, "steps").shape[0];
  assertEquals(ints(preds, "steps"), new Array(B).fill(segments));
}
