// The GPU model (Hrm, Trainer) against the float64 reference tests/ref/hrm.ts on small random
// configurations the golden fixture does not cover: puzzle embeddings of D and D+8 (a zero-padded
// second slot) with duplicate ids and SignSGD, learned and no positions, softmax CE, H/L cycles
// 1/1, 1/3, 3/1, exploration, and several consecutive training steps with halting and refill.
import { assert, assertEquals } from "@std/assert";
import type { Gpu } from "../../lib/gpu/device.ts";
import { Encoder, readTensors, writeTensor } from "../../lib/gpu/encoder.ts";
import { Tensor } from "../../lib/gpu/tensor.ts";
import { actBegin, actHalt, initialCarry, releaseCarry } from "../../lib/model/act.ts";
import type { HrmArch } from "../../lib/model/dims.ts";
import { Hrm } from "../../lib/model/hrm.ts";
import { loadStateDict } from "../../lib/model/state.ts";
import type { LossType } from "../../lib/ops/losses.ts";
import { Trainer } from "../../lib/train/step.ts";
import { Rng } from "../../datasets/rng.ts";
import { gpuTest } from "../_helpers.ts";
import {
  evalSegmentRef,
  initialCarryRef,
  newTrainStateRef,
  randomRefModel,
  type RefBatch,
  refDims,
  type RefHyper,
  type RefModel,
  refStateDict,
  trainStepRef,
} from "../ref/hrm.ts";

/** A small configuration; every case below overrides what it is about. */
function arch(over: Partial<HrmArch>): HrmArch {
  return {
    vocab_size: 6,
    seq_len: 9,
    num_puzzle_identifiers: 8,
    hidden_size: 16,
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
    halt_max_steps: 2,
    halt_exploration_prob: 0,
    ...over,
  };
}

interface Case {
  name: string;
  arch: HrmArch;
  lossType: LossType;
  /** Puzzle ids of each step's incoming batch (its length is B). */
  ids: number[][];
  seed: number;
  /** Whether some step refills some rows and keeps others (not with min_steps = halt_max_steps). */
  mixedRefill: boolean;
}

const CASES: Case[] = [
  {
    name: "puzzle emb = D, rope, stablemax, 2/2, H_layers 2",
    arch: arch({ puzzle_emb_ndim: 16, H_layers: 2 }),
    lossType: "stablemax_cross_entropy",
    ids: [[3, 1, 3, 0, 3], [1, 1, 4, 2, 0], [5, 0, 5, 5, 1]],
    seed: 11,
    mixedRefill: true,
  },
  {
    name: "puzzle emb = D+8 (2nd slot zero-padded), learned, softmax, 1/3",
    arch: arch({ puzzle_emb_ndim: 24, pos_encodings: "learned", H_cycles: 1, L_cycles: 3 }),
    lossType: "softmax_cross_entropy",
    ids: [[2, 4, 2, 2], [0, 4, 1, 4], [3, 3, 0, 2]],
    seed: 17,
    mixedRefill: true,
  },
  {
    name: "no puzzle emb, no positions, stablemax, 3/1, D 32, 4 heads, halt_max_steps 3",
    arch: arch({
      hidden_size: 32,
      num_heads: 4,
      pos_encodings: "none",
      H_cycles: 3,
      L_cycles: 1,
      halt_max_steps: 3,
      seq_len: 16,
    }),
    lossType: "stablemax_cross_entropy",
    ids: [[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]],
    seed: 12,
    mixedRefill: true,
  },
  {
    name: "cycles 1/1, rope, puzzle emb = D, softmax, exploration prob 1 (min_steps 2)",
    arch: arch({ puzzle_emb_ndim: 16, H_cycles: 1, L_cycles: 1, halt_exploration_prob: 1 }),
    lossType: "softmax_cross_entropy",
    ids: [[1, 2, 1, 0], [4, 4, 4, 3], [2, 1, 0, 5]],
    seed: 14,
    mixedRefill: false,
  },
];

/** Incoming batch `k` of a case: random tokens and labels, some ignored, one row all ignored. */
function makeBatch(c: Case, k: number): RefBatch {
  const rng = new Rng(c.seed * 100 + k), S = c.arch.seq_len, V = c.arch.vocab_size;
  const B = c.ids[k].length;
  const labels = Int32Array.from({ length: B * S }, () => (rng.chance(0.2) ? -100 : rng.int(V)));
  if (k === 1) labels.fill(-100, 0, S); // seq_is_correct = 1 with no valid label; not counted
  return {
    inputs: Int32Array.from({ length: B * S }, () => rng.int(V)),
    labels,
    puzzle_identifiers: Int32Array.from(c.ids[k]),
  };
}

function loadGpuModel(gpu: Gpu, ref: RefModel): Hrm {
  const model = new Hrm(gpu, ref.arch);
  loadStateDict(model, refStateDict(ref), "ref");
  return model;
}

/** max |a − e| / max |e|, asserted ≤ tol; returns the error. */
function rel(a: ArrayLike<number>, e: ArrayLike<number>, tol: number, label: string): number {
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

const worst: Record<string, number> = {};
function track(k: string, e: number): void {
  worst[k] = Math.max(worst[k] ?? 0, e);
}

// Forward, f32 vs f64 (max error / max |ref|): measured z 6.1e-6, logits 3.5e-6, q 3.7e-6 after
// two segments of up to 8 block calls with sums over K ≤ 256 (f32 ε = 6e-8); bound 5x that. The
// input embedding is one f32 product per element (measured 8.5e-8).
const TOL_FWD = 3e-5;

for (const c of CASES) {
  gpuTest(`hrm vs ref forward: ${c.name}`, async (gpu) => {
    const inUse = gpu.pool.stats().inUseBuffers;
    const ref = randomRefModel(c.arch, c.seed);
    const model = loadGpuModel(gpu, ref);
    const B = c.ids[0].length, { S } = refDims(c.arch);
    const batch = makeBatch(c, 0);
    let enc = new Encoder(gpu);
    const carry = initialCarry(enc, model, B);
    enc.submit();
    const incoming = {
      inputs: Tensor.empty(gpu, [B, S], "i32"),
      labels: Tensor.empty(gpu, [B, S], "i32"),
      puzzle_identifiers: Tensor.empty(gpu, [B], "i32"),
    };
    writeTensor(incoming.inputs, batch.inputs);
    writeTensor(incoming.labels, batch.labels);
    writeTensor(incoming.puzzle_identifiers, batch.puzzle_identifiers);
    const minSteps = Tensor.empty(gpu, [B], "u32");
    writeTensor(minSteps, new Uint32Array(B));
    const rc = initialCarryRef(ref, B);
    for (let s = 0; s < 2; s++) {
      enc = new Encoder(gpu);
      actBegin(enc, model, carry, incoming);
      const x = model.inputEmbeddings(enc, carry.data);
      const { out } = model.inner(enc, carry.inner, x, carry.data, false);
      actHalt(
        enc,
        carry,
        out.q_halt_logits,
        out.q_continue_logits,
        minSteps,
        c.arch.halt_max_steps,
        false,
      );
      enc.submit();
      const [gx, logits, qh, qc, zH, zL, steps] = await readTensors(gpu, [
        x,
        out.logits,
        out.q_halt_logits,
        out.q_continue_logits,
        carry.inner.z_H,
        carry.inner.z_L,
        carry.steps,
      ]);
      const r = evalSegmentRef(ref, rc, batch);
      track("fwd x", rel(gx, r.x, 1e-6, `x.${s}`));
      track("fwd z", rel(zH, r.z_H, TOL_FWD, `z_H.${s}`));
      track("fwd z", rel(zL, r.z_L, TOL_FWD, `z_L.${s}`));
      track("fwd logits", rel(logits, r.logits, TOL_FWD, `logits.${s}`));
      track("fwd q", rel([...qh, ...qc], [...r.q_halt, ...r.q_continue], TOL_FWD, `q.${s}`));
      assertEquals([...steps], [...rc.steps]);
      for (const t of [x, out.logits, out.q_halt_logits, out.q_continue_logits]) t.release();
    }
    releaseCarry(carry);
    for (const t of [incoming.inputs, incoming.labels, incoming.puzzle_identifiers, minSteps]) {
      t.release();
    }
    model.release();
    assertEquals(gpu.pool.stats().inUseBuffers, inUse, "buffers leaked");
  });
}

// Adam lr 1e-3 makes 3 steps move a weight by up to 3e-3, far above the f32 noise of the update
// (below); SignSGD lr 1e-2 moves a puzzle entry by 1e-2 per step.
const HYPER: RefHyper = {
  lr: 1e-3,
  puzzle_emb_lr: 1e-2,
  weight_decay: 0.1,
  puzzle_emb_weight_decay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
};

// Tolerances, f32 on the GPU vs f64 (max error / max |ref| unless said otherwise). Measured on
// Mesa lavapipe: z after a step 2.3e-5, grads 4.6e-5, Adam m/v 2.6e-5, metrics 7e-9 (losses
// are per-row sums in f32), params 5.3e-7 absolute (an atan2 step of lr = 1e-3 whose angle is
// off by ≤ 5e-4 where the gradient history is small), puzzle table 5.6e-8 absolute (f32
// rounding of W·(1 − lr·wd)). Bounds are 4–5x those; a wrong optimizer step would be ≥ lr·0.1.
const TOL = { z: 1e-4, grad: 2e-4, adam: 2e-4, metrics: 1e-5, paramAbs: 2.5e-6, puzzleAbs: 2e-7 };

/** Argmax margin of every valid label position (f32 noise must not flip accuracy metrics). */
function minArgmaxMargin(logits: Float64Array, labels: Int32Array, V: number): number {
  let min = Infinity;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0) continue;
    const row = [...logits.subarray(i * V, (i + 1) * V)].sort((x, y) => y - x);
    min = Math.min(min, row[0] - row[1]);
  }
  return min;
}

for (const c of CASES) {
  gpuTest(`hrm vs ref, 3 training steps: ${c.name}`, async (gpu) => {
    const inUse = gpu.pool.stats().inUseBuffers;
    const ref = randomRefModel(c.arch, c.seed);
    const puz0 = ref.puzzle_emb ? Float32Array.from(ref.puzzle_emb) : undefined;
    const model = loadGpuModel(gpu, ref);
    const B = c.ids[0].length, nd = c.arch.puzzle_emb_ndim;
    const trainer = new Trainer(model, B, c.lossType, c.seed);
    const rs = newTrainStateRef(ref, B, c.lossType);
    const specs = model.params.specs;
    const cum = new Array(8).fill(0);
    /** Per element, the smallest |g| / max |g| over the steps so far (sign ambiguity). */
    const gMin = new Map(
      specs.map((s) => [s.name, new Float64Array(ref.params.get(s.name)!.length).fill(Infinity)]),
    );
    const touched = new Set<number>();
    let refilledAndKept = false, duplicateSumMatters = false, explorationHeld = false;
    for (let k = 0; k < c.ids.length; k++) {
      const batch = makeBatch(c, k);
      trainer.setBatch(batch.inputs, batch.labels, batch.puzzle_identifiers);
      trainer.trainStep(HYPER);
      const prevData = rs.carry.data, wasHalted = [...rs.carry.halted];
      // Exploration draws min_steps from {2..halt_max_steps}; with halt_max_steps 2 that is 2.
      const minSteps = new Int32Array(B).fill(c.arch.halt_exploration_prob === 1 ? 2 : 0);
      const r = trainStepRef(rs, batch, HYPER, minSteps);
      const tensors = [
        trainer.grads.flat,
        model.params.flat,
        trainer.m.flat,
        trainer.v.flat,
        trainer.carry.inner.z_H,
        trainer.carry.inner.z_L,
        trainer.carry.steps,
        trainer.carry.halted,
        trainer.carry.data.inputs,
        trainer.carry.data.labels,
        trainer.carry.data.puzzle_identifiers,
        trainer.metrics,
      ];
      if (model.puzzle_emb) tensors.push(model.puzzle_emb);
      const [g, p, m, v, zH, zL, steps, halted, inputs, labels, pids, metrics, puz] =
        await readTensors(gpu, tensors);
      const at = `after step ${k + 1}`;
      // The test's own premises: no decision of this step is within f32 noise.
      for (let b = 0; b < B; b++) {
        const gap = Math.abs(r.seg.q_halt[b] - r.seg.q_continue[b]);
        assert(
          gap > 1e-4,
          `premise: q_halt − q_continue = ${gap} in row ${b} ${at}; pick another seed`,
        );
      }
      const margin = minArgmaxMargin(r.seg.logits, rs.carry.data.labels, c.arch.vocab_size);
      assert(margin > 1e-4, `premise: argmax margin ${margin} ${at}; pick another seed`);
      // ACT bookkeeping, exact: steps, halted, and each row's data (halted rows took the incoming
      // example, the others kept theirs).
      assertEquals([...steps], [...rs.carry.steps], `steps ${at}`);
      assertEquals([...halted], [...rs.carry.halted], `halted ${at}`);
      const S = c.arch.seq_len;
      for (let b = 0; b < B; b++) {
        const src = wasHalted[b] ? batch : prevData;
        assertEquals([...inputs.subarray(b * S, (b + 1) * S)], [
          ...src.inputs.subarray(b * S, (b + 1) * S),
        ], `inputs row ${b} ${at}`);
        assertEquals([...labels.subarray(b * S, (b + 1) * S)], [
          ...src.labels.subarray(b * S, (b + 1) * S),
        ], `labels row ${b} ${at}`);
        assertEquals(pids[b], src.puzzle_identifiers[b], `puzzle id row ${b} ${at}`);
        if (wasHalted[b] && rs.carry.steps[b] !== 1) {
          throw new Error("ref: refilled row must be at step 1");
        }
      }
      if (k > 0 && wasHalted.includes(1) && wasHalted.includes(0)) refilledAndKept = true;
      if (c.arch.halt_exploration_prob > 0 && k === 0) {
        explorationHeld = [...r.seg.q_halt].some((q, b) =>
          q > r.seg.q_continue[b] && !rs.carry.halted[b]
        );
      }
      track("z", rel(zH, r.seg.z_H, TOL.z, `z_H ${at}`));
      track("z", rel(zL, r.seg.z_L, TOL.z, `z_L ${at}`));
      // Metric sums accumulate on the GPU across steps.
      r.metrics.forEach((x, i) => (cum[i] += x));
      track("metrics", rel(metrics, cum, TOL.metrics, `metrics ${at}`));
      let flips = 0;
      for (const s of specs) {
        const n = ref.params.get(s.name)!.length;
        const sl = (t: Float32Array | Int32Array | Uint32Array) =>
          t.subarray(s.offset, s.offset + n);
        const gr = r.grads.get(s.name)!;
        track("grad", rel(sl(g), gr, TOL.grad, `grad ${s.name} ${at}`));
        track("adam", rel(sl(m), rs.adam_m.get(s.name)!, TOL.adam, `adam m ${s.name} ${at}`));
        track("adam", rel(sl(v), rs.adam_v.get(s.name)!, TOL.adam, `adam v ${s.name} ${at}`));
        const gMax = gr.reduce((a, x) => Math.max(a, Math.abs(x)), 0) || 1;
        const gm = gMin.get(s.name)!, pg = sl(p), pr = ref.params.get(s.name)!;
        for (let i = 0; i < n; i++) {
          if (gr[i] !== 0) gm[i] = Math.min(gm[i], Math.abs(gr[i]) / gMax);
          const d = Math.abs(pg[i] - pr[i]);
          if (d <= TOL.paramAbs) {
            track("param abs", d);
            continue;
          }
          // AdamATan2 steps by the angle of (m, √v): where every gradient so far was within f32
          // noise of 0 the direction is not determined by f32 arithmetic. Allowed, counted.
          assert(gm[i] < 1e-4, `param ${s.name}[${i}] ${at}: ${pg[i]} vs ${pr[i]}`);
          flips++;
        }
      }
      assert(flips <= 2, `${flips} parameters stepped the other way ${at}`);
      if (puz) {
        for (const id of rs.carry.data.puzzle_identifiers) touched.add(id);
        // SignSGD: G[id] = Σ of the rows holding id; assert the sum decides some sign here.
        const rows = new Map<number, number[]>();
        rs.carry.data.puzzle_identifiers.forEach((id, b) =>
          rows.set(id, [...(rows.get(id) ?? []), b])
        );
        for (const [id, bs] of rows) {
          for (let i = 0; i < nd; i++) {
            const G = bs.reduce((a, b) => a + r.dpuz![b * nd + i], 0);
            const gMaxP = r.dpuz!.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
            assert(
              Math.abs(G) > 1e-4 * gMaxP,
              `premise: G[${id}][${i}] ≈ 0 ${at}; pick another seed`,
            );
            if (bs.length > 1 && bs.some((b) => Math.sign(r.dpuz![b * nd + i]) !== Math.sign(G))) {
              duplicateSumMatters = true;
            }
          }
        }
        let d = 0;
        for (let i = 0; i < puz.length; i++) d = Math.max(d, Math.abs(puz[i] - ref.puzzle_emb![i]));
        track("puzzle abs", d);
        assert(d <= TOL.puzzleAbs, `puzzle table ${at}: ${d}`);
        for (let id = 0; id < c.arch.num_puzzle_identifiers; id++) {
          if (touched.has(id)) continue;
          const row = (t: ArrayLike<number>) =>
            Array.from({ length: nd }, (_, i) => t[id * nd + i]);
          assertEquals(row(puz), row(puz0!), `puzzle row ${id} was never in a batch ${at}`);
        }
      }
    }
    assertEquals(
      refilledAndKept,
      c.mixedRefill,
      "premise: some step refilled some rows and kept others",
    );
    if (model.puzzle_emb) {
      assert(duplicateSumMatters, "premise: a duplicate id's summed gradient flips some sign");
      assert(touched.size < c.arch.num_puzzle_identifiers, "premise: some puzzle row never used");
    }
    if (c.arch.halt_exploration_prob > 0) {
      assert(
        explorationHeld,
        "premise: exploration kept a row that q_halt > q_continue would halt",
      );
    }
    trainer.release();
    model.release();
    assertEquals(gpu.pool.stats().inUseBuffers, inUse, "buffers leaked");
  });
}

Deno.test("hrm vs ref: tolerances measured", () => {
  console.log("worst errors seen (relative to max |ref| unless 'abs'):", worst);
});

gpuTest(
  "hrm: training steps and eval segments return every temporary buffer to the pool",
  async (gpu) => {
    const c = CASES[1]; // learned positions and a puzzle embedding: every optional path
    const ref = randomRefModel(c.arch, c.seed);
    const model = loadGpuModel(gpu, ref);
    const B = c.ids[0].length;
    const trainer = new Trainer(model, B, c.lossType, c.seed);
    const inUse: number[] = [];
    for (let k = 0; k < 3; k++) {
      const batch = makeBatch(c, k);
      trainer.setBatch(batch.inputs, batch.labels, batch.puzzle_identifiers);
      trainer.trainStep(HYPER);
      await readTensors(gpu, [trainer.metrics]);
      inUse.push(gpu.pool.stats().inUseBuffers);
    }
    assertEquals(inUse, [inUse[0], inUse[0], inUse[0]], "buffers in use after each training step");
    const minSteps = Tensor.empty(gpu, [B], "u32");
    writeTensor(minSteps, new Uint32Array(B));
    const before = gpu.pool.stats().inUseBuffers;
    const enc = new Encoder(gpu);
    actBegin(enc, model, trainer.carry, trainer.incoming);
    const x = model.inputEmbeddings(enc, trainer.carry.data);
    const { out } = model.inner(enc, trainer.carry.inner, x, trainer.carry.data, false);
    actHalt(enc, trainer.carry, out.q_halt_logits, out.q_continue_logits, minSteps, 2, false);
    enc.submit();
    for (const t of [x, out.logits, out.q_halt_logits, out.q_continue_logits]) t.release();
    await readTensors(gpu, [trainer.metrics]);
    assertEquals(gpu.pool.stats().inUseBuffers, before, "buffers in use after an eval segment");
    minSteps.release();
    trainer.release();
    model.release();
  },
);
