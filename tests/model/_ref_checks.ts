// Shared by the float64 reference tests of HRM and TRM (tests/model/hrm_ref_test.ts,
// trm_ref_test.ts): relative-error assertions against a fixture, tiny random configurations and
// batches, and the finite-difference check of a whole training step's gradients.
import { assert, assertEquals } from "@std/assert";
import type { HrmArch } from "../../lib/model/dims.ts";
import type { LossType } from "../../lib/ops/losses.ts";
import { Rng } from "../../datasets/rng.ts";
import {
  cloneRefModel,
  inputEmbeddingsRef,
  lastCallsRef,
  noGradCyclesRef,
  randomRefModel,
  type RefBatch,
  refDims,
  type RefModel,
  refParamShapes,
} from "../ref/model.ts";
import { newTrainStateRef, segmentLossRef, trainStepRef } from "../ref/train.ts";

/** max |a − e| / max |e|, asserted ≤ tol; returns the error for the log. */
export function assertRel(
  a: ArrayLike<number>,
  e: ArrayLike<number>,
  tol: number,
  label: string,
): number {
  assertEquals(a.length, e.length, `${label}: length`);
  let maxE = 0, maxD = 0;
  for (let i = 0; i < e.length; i++) {
    maxE = Math.max(maxE, Math.abs(e[i]));
    maxD = Math.max(maxD, Math.abs(a[i] - e[i]));
  }
  const err = maxD / (maxE || 1);
  assert(err <= tol, `${label}: max error ${err.toExponential(2)} of max |ref| > ${tol}`);
  return err;
}

/** A tiny architecture; F is 256 whatever D (the reference rounds the SwiGLU width up). */
export function tiny(over: Partial<HrmArch>): HrmArch {
  return {
    vocab_size: 5,
    seq_len: 4,
    num_puzzle_identifiers: 4,
    hidden_size: 8,
    num_heads: 2,
    expansion: 4,
    H_layers: 1,
    L_layers: 1,
    H_cycles: 2,
    L_cycles: 2,
    puzzle_emb_ndim: 0,
    pos_encodings: "rope",
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    halt_max_steps: 3,
    halt_exploration_prob: 0,
    ...over,
  };
}

export function randomBatch(a: HrmArch, seed: number, B: number, ids: number[]): RefBatch {
  const rng = new Rng(seed), S = a.seq_len, V = a.vocab_size;
  const labels = Int32Array.from({ length: B * S }, () => rng.int(V));
  labels[1] = -100; // an ignored label
  return {
    inputs: Int32Array.from({ length: B * S }, () => rng.int(V)),
    labels,
    puzzle_identifiers: Int32Array.from(ids.slice(0, B)),
  };
}

/**
 * The analytic gradients of one training step against central differences of the loss as a
 * function of the weights, with the no-grad part of the segment (HRM: all but the last L and H
 * call; TRM: the first H_cycles − 1 cycles) and the no-grad targets (seq_is_correct,
 * target_q_continue) held at the unperturbed values — exactly the function whose gradient the
 * segment's backward is.
 *
 * @returns The worst |fd − analytic| / max |g| over the checked entries.
 */
export function fdCheck(a: HrmArch, lossType: LossType, ids: number[], seed: number): number {
  const B = ids.length, { T, D } = refDims(a);
  const model = randomRefModel(a, seed, [0.3, -0.2]);
  const batch = randomBatch(a, seed + 1, B, ids);
  const s = newTrainStateRef(cloneRefModel(model), B, lossType);
  // Start mid-run: random states, no row halted, steps 0, 1, 2... (is_last varies).
  const rng = new Rng(seed + 2);
  s.carry.z_H = Float64Array.from({ length: B * T * D }, () => rng.float() * 2 - 1);
  s.carry.z_L = Float64Array.from({ length: B * T * D }, () => rng.float() * 2 - 1);
  s.carry.halted.fill(0);
  s.carry.steps = Int32Array.from({ length: B }, (_, r) => r % a.halt_max_steps);
  s.carry.data = batch;
  const zH0 = s.carry.z_H, zL0 = s.carry.z_L;
  const hyper = {
    lr: 0,
    puzzle_emb_lr: 0,
    weight_decay: 0,
    puzzle_emb_weight_decay: 0,
    beta1: 0.9,
    beta2: 0.95,
  };
  const r = trainStepRef(s, batch, hyper, new Int32Array(B));
  const ng = noGradCyclesRef(model, zH0, zL0, inputEmbeddingsRef(model, batch));
  const loss = (m: RefModel) =>
    segmentLossRef(
      m,
      lastCallsRef(m, ng.z_H, ng.z_L, inputEmbeddingsRef(m, batch)),
      batch.labels,
      lossType,
      r.seq_is_correct,
      r.target_q_continue,
    );
  // Central differences in float64, rounding ε·|loss|/h ≈ 1e-11; measured worst 1.4e-9 of max
  // |g| (stablemax is only C¹ at 0), asserted < 1e-7.
  // Five points, not three: the 3-point rule's h²·f'''/6 reached 2.7e-7 of max |g| on a TRM
  // configuration with gradients ~2.5 (an o_proj entry; h = 1e-6 and this rule agree with the
  // analytic value to 5e-11). Truncation is now h⁴·f⁽⁵⁾/30.
  const h = 1e-5;
  const fd = (arr: Float64Array, k: number) => {
    const v = arr[k];
    const at = (x: number) => {
      arr[k] = x;
      return loss(model);
    };
    const d1 = at(v + h) - at(v - h), d2 = at(v + 2 * h) - at(v - 2 * h);
    arr[k] = v;
    return (8 * d1 - d2) / (12 * h);
  };
  let worst = 0;
  const check = (label: string, arr: Float64Array, g: ArrayLike<number>, idx: number[]) => {
    let gMax = 0;
    for (let k = 0; k < g.length; k++) gMax = Math.max(gMax, Math.abs(g[k]));
    assert(gMax > 0, `${label}: gradient is all zero`);
    for (const k of idx) {
      const e = Math.abs(fd(arr, k) - g[k]) / gMax;
      worst = Math.max(worst, e);
      assert(e < 1e-7, `${label}[${k}]: analytic ${g[k]}, numeric ${fd(arr, k)}`);
    }
  };
  const pick = (g: ArrayLike<number>, n: number) => {
    const order = Array.from({ length: g.length }, (_, k) => k)
      .sort((x, y) => Math.abs(g[y]) - Math.abs(g[x]));
    const out = new Set(order.slice(0, n));
    while (out.size < Math.min(2 * n, g.length)) out.add(rng.int(g.length));
    return [...out];
  };
  for (const [name] of refParamShapes(a)) {
    const g = r.grads.get(name)!;
    check(name, model.params.get(name)!, g, pick(g, 6));
  }
  if (a.puzzle_emb_ndim > 0) {
    // d loss / d W[id] = Σ over the batch rows holding id (duplicates add up).
    const nd = a.puzzle_emb_ndim, W = model.puzzle_emb!;
    const gW = new Float64Array(W.length);
    ids.forEach((id, b) => {
      for (let k = 0; k < nd; k++) gW[id * nd + k] += r.dpuz![b * nd + k];
    });
    const idx = [...new Set(ids)].flatMap((id) =>
      Array.from({ length: nd }, (_, k) => id * nd + k)
    );
    check("puzzle_emb", W, gW, idx);
    const absent = Array.from({ length: a.num_puzzle_identifiers }, (_, i) => i).filter((i) =>
      !ids.includes(i)
    );
    for (const id of absent) {
      assertEquals(fd(W, id * nd), 0, `puzzle row ${id} is not in the batch`);
    }
  }
  return worst;
}
