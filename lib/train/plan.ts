/**
 * The shape of a training run, as pretrain.py's `launch` walks it: `epochs / eval_interval`
 * iterations, each one sampler pass over `eval_interval` epochs followed by an evaluation (the
 * last iteration's included); optimizer steps stop at `total_steps` (batches past it are not
 * trained). {@linkcode runEvents} yields that sequence of steps and evaluations from any
 * position, so the loop, a resume and the regression test against a model of the reference's
 * loop all walk the same one.
 *
 * @module
 */
import { HrmError } from "../errors.ts";
import { type HostBatch, type SamplerSource, totalSteps, trainBatches } from "./sampler.ts";

/** How long a run is. */
export interface RunPlan {
  /** pretrain.py's total_steps: floor(epochs · total_groups · mean_puzzle_examples / batch). */
  total: number;
  /** Iterations: epochs / eval_interval (each ends with an evaluation). */
  iterations: number;
  /** Epochs per iteration: eval_interval (or epochs when it is null). */
  epochsPerIter: number;
  /** global_batch_size. */
  batchSize: number;
  /** The run seed. */
  seed: number;
}

/** The config keys a plan depends on. */
export interface PlanConfig {
  /** Epochs in all. */
  epochs: number;
  /** Epochs between evaluations; null: one evaluation at the end. */
  eval_interval: number | null;
  /** Examples per optimizer step. */
  global_batch_size: number;
  /** Sampler seed. */
  seed: number;
}

/** The dataset metadata a plan depends on. */
export interface PlanMeta {
  /** Groups (original puzzles) in the train split. */
  total_groups: number;
  /** Examples per puzzle, on average. */
  mean_puzzle_examples: number;
}

/**
 * The plan of a run.
 *
 * @example Sudoku-Extreme 1k: 10 iterations, total_steps 26,041
 * ```ts
 * import { runPlan } from "./plan.ts";
 * const p = runPlan(
 *   { epochs: 20000, eval_interval: 2000, global_batch_size: 768, seed: 0 },
 *   { total_groups: 1000, mean_puzzle_examples: 1 },
 * );
 * if (p.total !== 26041 || p.iterations !== 10) throw new Error();
 * ```
 */
export function runPlan(cfg: PlanConfig, meta: PlanMeta): RunPlan {
  const epochsPerIter = cfg.eval_interval ?? cfg.epochs;
  return {
    total: totalSteps(
      cfg.epochs,
      meta.total_groups,
      meta.mean_puzzle_examples,
      cfg.global_batch_size,
    ),
    iterations: Math.floor(cfg.epochs / epochsPerIter),
    epochsPerIter,
    batchSize: cfg.global_batch_size,
    seed: cfg.seed,
  };
}

/**
 * The most examples one epoch can yield: the largest puzzle of every group, summed (the sampler
 * takes one puzzle per group and epoch).
 */
export function epochCapacity(
  src: Pick<SamplerSource, "puzzle_indices" | "group_indices">,
): number {
  const g = src.group_indices, p = src.puzzle_indices;
  let sum = 0;
  for (let i = 0; i + 1 < g.length; i++) {
    let most = 0;
    for (let q = g[i]; q < g[i + 1]; q++) most = Math.max(most, p[q + 1] - p[q]);
    sum += most;
  }
  return sum;
}

/**
 * Refuses a run that cannot train: no step at all, or an iteration that cannot fill one batch
 * (it would evaluate over and over without training). The message names the numbers and the fix.
 *
 * @param plan The run's plan.
 * @param src The training split's index arrays.
 * @param dataPath Named in the error.
 * @throws {HrmError} when the data is too small for the batch.
 */
export function checkPlan(
  plan: RunPlan,
  src: Pick<SamplerSource, "puzzle_indices" | "group_indices">,
  dataPath: string,
): void {
  const B = plan.batchSize;
  const perEpoch = epochCapacity(src);
  const perIter = perEpoch * plan.epochsPerIter;
  if (perIter < B) {
    const minInterval = Math.ceil(B / Math.max(1, perEpoch));
    throw new HrmError(
      dataPath,
      `too little data for one batch: an iteration (eval_interval=${plan.epochsPerIter} ` +
        `epoch${plan.epochsPerIter === 1 ? "" : "s"} of ${src.group_indices.length - 1} ` +
        `groups) yields at most ${perIter} examples, fewer than global_batch_size=${B}; ` +
        `set global_batch_size=${Math.max(1, perIter)} or lower, or eval_interval=` +
        `${minInterval} or more (a divisor of epochs), or generate more puzzles`,
    );
  }
  if (plan.total < 1) {
    throw new HrmError(
      dataPath,
      `too little data for one step: total_steps = floor(epochs · examples / ` +
        `global_batch_size) is 0 at global_batch_size ${B}; raise epochs or lower the batch`,
    );
  }
}

/**
 * Steps the run will train if it is not stopped early: exact when every puzzle has one example
 * (Sudoku, Maze: each iteration yields floor(eval_interval · groups / batch) batches), otherwise
 * total_steps (an upper bound).
 */
export function plannedSteps(
  plan: RunPlan,
  src: Pick<SamplerSource, "puzzle_indices" | "group_indices">,
): number {
  const puzzles = src.puzzle_indices.length - 1;
  if (src.puzzle_indices[puzzles] - src.puzzle_indices[0] !== puzzles) return plan.total;
  const groups = src.group_indices.length - 1;
  const perIter = Math.floor(plan.epochsPerIter * groups / plan.batchSize);
  return Math.min(plan.total, plan.iterations * perIter);
}

/** Where a run stands between two events. */
export interface PlanPosition {
  /** Optimizer steps done. */
  step: number;
  /** Iteration (1-based) the next batch comes from; iterations + 1 once the run is complete. */
  iteration: number;
  /** Batches of that iteration already used. */
  batchInIteration: number;
}

/** One optimizer step's batch. */
export interface StepEvent {
  /** Discriminant. */
  kind: "step";
  /** The step this batch trains (1-based). */
  step: number;
  /** The batch. */
  batch: HostBatch;
  /** The position after this step. */
  after: PlanPosition;
  /** No further step in this iteration: an evaluation follows. */
  endsIteration: boolean;
}

/** The evaluation that ends an iteration. */
export interface EvalEvent {
  /** Discriminant. */
  kind: "eval";
  /** Steps trained when it runs. */
  step: number;
  /** The iteration it ends. */
  iteration: number;
  /** The run's last evaluation. */
  last: boolean;
  /** The position after it (the next iteration's start). */
  after: PlanPosition;
}

/**
 * The run's steps and evaluations from `start` on. An iteration whose batches reach total_steps
 * ends there (the reference passes over the rest untrained) and is the last evaluated: later
 * iterations would evaluate the same weights again.
 *
 * @param src The training split.
 * @param plan The run's plan.
 * @param start Where to begin (a fresh run: step 0, iteration 1, batch 0).
 */
export function* runEvents(
  src: SamplerSource,
  plan: RunPlan,
  start: PlanPosition,
): Generator<StepEvent | EvalEvent> {
  let step = start.step;
  for (let it = start.iteration; it <= plan.iterations; it++) {
    let used = it === start.iteration ? start.batchInIteration : 0;
    if (step < plan.total) {
      const batches = trainBatches(
        src,
        plan.batchSize,
        plan.seed,
        it,
        plan.epochsPerIter,
        used,
      );
      // One batch of look-ahead, so a step knows whether it ends its iteration.
      let next = batches.next();
      while (!next.done && step < plan.total) {
        const batch = next.value;
        step++;
        used++;
        next = step < plan.total ? batches.next() : { done: true, value: undefined };
        yield {
          kind: "step",
          step,
          batch,
          after: { step, iteration: it, batchInIteration: used },
          endsIteration: Boolean(next.done),
        };
      }
    }
    const last = it === plan.iterations || step >= plan.total;
    yield {
      kind: "eval",
      step,
      iteration: it,
      last,
      after: { step, iteration: last ? plan.iterations + 1 : it + 1, batchInIteration: 0 },
    };
    if (last) return;
  }
}
