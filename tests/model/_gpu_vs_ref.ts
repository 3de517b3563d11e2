// The GPU model (createModel, Trainer) against the float64 reference (tests/ref/model.ts,
// train.ts) on small random configurations, shared by tests/model/hrm_configs_test.ts and
// trm_configs_test.ts: two eval segments (input embedding, both states, logits, Q), several
// training steps (ACT bookkeeping and refill exactly, states, metrics, every gradient, Adam
// moments, AdamATan2 and SignSGD updates, the EMA shadow, freeze_weights), and a pool-leak check.
// Each suite registers its cases with `registerGpuVsRef`.
import { assert, assertEquals } from "@std/assert";
import type { Gpu } from "../../lib/gpu/device.ts";
import { Encoder, readTensors, writeTensor } from "../../lib/gpu/encoder.ts";
import { Tensor } from "../../lib/gpu/tensor.ts";
import { evalSegment, initialCarry, releaseCarry } from "../../lib/model/act.ts";
import type { HrmArch } from "../../lib/model/dims.ts";
import { createModel } from "../../lib/model/create.ts";
import type { ReasoningModel } from "../../lib/model/model.ts";
import { loadStateDict } from "../../lib/model/state.ts";
import type { LossType } from "../../lib/ops/losses.ts";
import { Trainer } from "../../lib/train/step.ts";
import { Rng } from "../../datasets/rng.ts";
import { gpuTest } from "../_helpers.ts";
import {
  randomRefModel,
  type RefBatch,
  refDims,
  type RefModel,
  refStateDict,
} from "../ref/model.ts";
import {
  evalSegmentRef,
  initialCarryRef,
  newTrainStateRef,
  type RefHyper,
  type RefTrainOptions,
  trainStepRef,
} from "../ref/train.ts";

/** One configuration to compare. */
export interface Case {
  /** Names the tests. */
  name: string;
  /** The architecture (`kind` "trm" for TRM). */
  arch: HrmArch;
  /** loss.loss_type. */
  lossType: LossType;
  /** Puzzle ids of each step's incoming batch (its length is B). */
  ids: number[][];
  /** Seeds the weights and batches. */
  seed: number;
  /** Whether some step refills some rows and keeps others (not with min_steps = halt_max_steps). */
  mixedRefill: boolean;
  /** EMA and freeze_weights of the training run. */
  train?: RefTrainOptions;
  /**
   * Chaotic configurations (TRM's mlp_t with a long prefix amplifies f32 rounding ~10x per
   * segment, as the golden trm-a README measures): the reference continues each segment, and
   * each training step, from the GPU's state (carry; weights, puzzle table, moments, EMA shadow),
   * so every comparison is one segment or one step deep.
   */
  restartFromGpu?: boolean;
  /**
   * micro_batch_size of the GPU run (training steps only): the step runs in micro-batches of
   * this many rows; the float64 reference runs the whole batch, so the step must agree within
   * the same tolerances (it differs by float summation order only).
   */
  micro?: number;
}

/** Tolerances (max error / max |ref| unless `Abs`). */
export interface Tolerances {
  /** Forward states, logits and Q after two eval segments. */
  fwd: number;
  /** States after a training step. */
  z: number;
  /** Gradients. */
  grad: number;
  /** Adam moments. */
  adam: number;
  /** Accumulated metric sums. */
  metrics: number;
  /** Parameters after the updates, absolute. */
  paramAbs: number;
  /** The puzzle table after SignSGD, absolute. */
  puzzleAbs: number;
}

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

function loadGpuModel(gpu: Gpu, ref: RefModel): ReasoningModel {
  const model = createModel(gpu, ref.arch);
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

/** The value whose sign decides halting in training: q_halt (TRM) or q_halt − q_continue. */
function haltMargin(a: HrmArch, qHalt: number, qContinue: number): number {
  return a.no_ACT_continue ? qHalt : qHalt - qContinue;
}

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

// Adam lr 1e-3 makes 3 steps move a weight by up to 3e-3, far above the f32 noise of the update;
// SignSGD lr 1e-2 moves a puzzle entry by 1e-2 per step.
const HYPER: RefHyper = {
  lr: 1e-3,
  puzzle_emb_lr: 1e-2,
  weight_decay: 0.1,
  puzzle_emb_weight_decay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
};

/**
 * Registers, for each case, a forward test and a training test (`<prefix> vs ref ...`), a test
 * that logs the worst errors seen, and a pool-leak test on `leakCase`.
 */
export function registerGpuVsRef(
  prefix: string,
  cases: Case[],
  tol: Tolerances,
  leakCase: Case,
): void {
  const worst: Record<string, number> = {};
  const track = (k: string, e: number) => (worst[k] = Math.max(worst[k] ?? 0, e));

  for (const c of cases.filter((c) => !c.micro)) {
    gpuTest(`${prefix} vs ref forward: ${c.name}`, async (gpu) => {
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
        const { x, out } = evalSegment(
          enc,
          model,
          carry,
          incoming,
          minSteps,
          c.arch.halt_max_steps,
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
        track("fwd z", rel(zH, r.z_H, tol.fwd, `z_H.${s}`));
        track("fwd z", rel(zL, r.z_L, tol.fwd, `z_L.${s}`));
        track("fwd logits", rel(logits, r.logits, tol.fwd, `logits.${s}`));
        track("fwd q", rel([...qh, ...qc], [...r.q_halt, ...r.q_continue], tol.fwd, `q.${s}`));
        assertEquals([...steps], [...rc.steps]);
        if (c.restartFromGpu) {
          rc.z_H = Float64Array.from(zH);
          rc.z_L = Float64Array.from(zL);
        }
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

  for (const c of cases) {
    gpuTest(`${prefix} vs ref, ${c.ids.length} training steps: ${c.name}`, async (gpu) => {
      const inUse = gpu.pool.stats().inUseBuffers;
      const ref = randomRefModel(c.arch, c.seed);
      const puz0 = ref.puzzle_emb ? Float32Array.from(ref.puzzle_emb) : undefined;
      const params0 = new Map([...ref.params].map(([k, v]) => [k, v.slice()]));
      const model = loadGpuModel(gpu, ref);
      const B = c.ids[0].length, nd = c.arch.puzzle_emb_ndim;
      const opts = c.train ?? {};
      const trainer = new Trainer(model, B, c.lossType, c.seed, {
        ...opts,
        microBatchSize: c.micro,
      });
      assertEquals(trainer.microBatchSize, c.micro ?? B);
      const rs = newTrainStateRef(ref, B, c.lossType, opts);
      const frozen = (opts.freezeWeights ?? false) && nd > 0;
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
        if (c.arch.halt_exploration_prob !== 0 && c.arch.halt_exploration_prob !== 1) {
          throw new Error("cases use exploration probability 0 or 1 (with halt_max_steps 2)");
        }
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
        if (trainer.ema) tensors.push(trainer.ema.flat);
        if (model.puzzle_emb) tensors.push(model.puzzle_emb);
        const [g, p, m, v, zH, zL, steps, halted, inputs, labels, pids, metrics, ...more] =
          await readTensors(gpu, tensors);
        const ema = trainer.ema ? more.shift() : undefined;
        const puz = model.puzzle_emb ? more.shift() : undefined;
        const at = `after step ${k + 1}`;
        // The test's own premises: no decision of this step is within f32 noise.
        for (let b = 0; b < B; b++) {
          const gap = Math.abs(haltMargin(c.arch, r.seg.q_halt[b], r.seg.q_continue[b]));
          assert(gap > 1e-4, `premise: halting margin ${gap} in row ${b} ${at}; pick another seed`);
        }
        const margin = minArgmaxMargin(r.seg.logits, rs.carry.data.labels, c.arch.vocab_size);
        assert(margin > 1e-4, `premise: argmax margin ${margin} ${at}; pick another seed`);
        // ACT bookkeeping, exact: steps, halted, and each row's data (halted rows took the
        // incoming example, the others kept theirs).
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
            haltMargin(c.arch, q, r.seg.q_continue[b]) > 0 && !rs.carry.halted[b]
          );
        }
        track("z", rel(zH, r.seg.z_H, tol.z, `z_H ${at}`));
        track("z", rel(zL, r.seg.z_L, tol.z, `z_L ${at}`));
        if (c.restartFromGpu) {
          rs.carry.z_H = Float64Array.from(zH);
          rs.carry.z_L = Float64Array.from(zL);
        }
        // Metric sums accumulate on the GPU across steps.
        r.metrics.forEach((x, i) => (cum[i] += x));
        track("metrics", rel(metrics, cum, tol.metrics, `metrics ${at}`));
        let flips = 0;
        for (const s of specs) {
          const n = ref.params.get(s.name)!.length;
          const sl = (t: Float32Array | Int32Array | Uint32Array) =>
            t.subarray(s.offset, s.offset + n);
          const gr = r.grads.get(s.name)!;
          track("grad", rel(sl(g), gr, tol.grad, `grad ${s.name} ${at}`));
          const pg = sl(p), pr = ref.params.get(s.name)!;
          if (frozen) {
            // freeze_weights: AdamATan2 never runs; the weights stay exactly as loaded.
            assertEquals([...pg], [...Float32Array.from(params0.get(s.name)!)], `${s.name} ${at}`);
            continue;
          }
          track("adam", rel(sl(m), rs.adam_m.get(s.name)!, tol.adam, `adam m ${s.name} ${at}`));
          track("adam", rel(sl(v), rs.adam_v.get(s.name)!, tol.adam, `adam v ${s.name} ${at}`));
          const gMax = gr.reduce((a, x) => Math.max(a, Math.abs(x)), 0) || 1;
          const gm = gMin.get(s.name)!, pe = ema ? sl(ema) : undefined;
          const er = rs.ema?.get(s.name);
          for (let i = 0; i < n; i++) {
            if (gr[i] !== 0) gm[i] = Math.min(gm[i], Math.abs(gr[i]) / gMax);
            const d = Math.abs(pg[i] - pr[i]);
            if (pe) {
              // The shadow follows the same updates, scaled by (1 − ema_rate) per step.
              const de = Math.abs(pe[i] - er![i]);
              if (d <= tol.paramAbs) track("ema abs", de);
              assert(de <= Math.max(tol.paramAbs, d), `ema ${s.name}[${i}] ${at}: ${de}`);
            }
            if (d <= tol.paramAbs) {
              track("param abs", d);
              continue;
            }
            // AdamATan2 steps by the angle of (m, √v): where every gradient so far was within
            // f32 noise of 0 the direction is not determined by f32 arithmetic. Allowed, counted.
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
              if (
                bs.length > 1 && bs.some((b) => Math.sign(r.dpuz![b * nd + i]) !== Math.sign(G))
              ) {
                duplicateSumMatters = true;
              }
            }
          }
          let d = 0;
          for (let i = 0; i < puz.length; i++) {
            d = Math.max(d, Math.abs(puz[i] - ref.puzzle_emb![i]));
          }
          track("puzzle abs", d);
          assert(d <= tol.puzzleAbs, `puzzle table ${at}: ${d}`);
          for (let id = 0; id < c.arch.num_puzzle_identifiers; id++) {
            if (touched.has(id)) continue;
            const row = (t: ArrayLike<number>) =>
              Array.from({ length: nd }, (_, i) => t[id * nd + i]);
            assertEquals(row(puz), row(puz0!), `puzzle row ${id} was never in a batch ${at}`);
          }
        }
        if (c.restartFromGpu) {
          for (const s of specs) {
            const n = ref.params.get(s.name)!.length;
            const sl = (t: ArrayLike<number>) =>
              Float64Array.from({ length: n }, (_, i) => t[s.offset + i]);
            ref.params.set(s.name, sl(p));
            rs.adam_m.set(s.name, sl(m));
            rs.adam_v.set(s.name, sl(v));
            if (ema) rs.ema!.set(s.name, sl(ema));
          }
          if (puz) ref.puzzle_emb = Float64Array.from(puz);
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
        assert(explorationHeld, "premise: exploration kept a row that the halting rule would halt");
      }
      trainer.release();
      model.release();
      assertEquals(gpu.pool.stats().inUseBuffers, inUse, "buffers leaked");
    });
  }

  Deno.test(`${prefix} vs ref: tolerances measured`, () => {
    console.log("worst errors seen (relative to max |ref| unless 'abs'):", worst);
  });

  gpuTest(
    `${prefix}: training steps and eval segments return every temporary buffer to the pool`,
    async (gpu) => {
      const c = leakCase;
      const ref = randomRefModel(c.arch, c.seed);
      const model = loadGpuModel(gpu, ref);
      const B = c.ids[0].length;
      const trainer = new Trainer(model, B, c.lossType, c.seed, c.train ?? {});
      const inUse: number[] = [];
      for (let k = 0; k < 3; k++) {
        const batch = makeBatch(c, k % c.ids.length);
        trainer.setBatch(batch.inputs, batch.labels, batch.puzzle_identifiers);
        trainer.trainStep(HYPER);
        await readTensors(gpu, [trainer.metrics]);
        inUse.push(gpu.pool.stats().inUseBuffers);
      }
      assertEquals(inUse, [inUse[0], inUse[0], inUse[0]], "buffers in use after each step");
      const minSteps = Tensor.empty(gpu, [B], "u32");
      writeTensor(minSteps, new Uint32Array(B));
      const before = gpu.pool.stats().inUseBuffers;
      const enc = new Encoder(gpu);
      const { x, out } = evalSegment(enc, model, trainer.carry, trainer.incoming, minSteps, 2);
      enc.submit();
      for (const t of [x, out.logits, out.q_halt_logits, out.q_continue_logits]) t.release();
      await readTensors(gpu, [trainer.metrics]);
      assertEquals(gpu.pool.stats().inUseBuffers, before, "buffers in use after an eval segment");
      minSteps.release();
      trainer.release();
      model.release();
    },
  );
}
