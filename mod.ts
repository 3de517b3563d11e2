/**
 * hrm: the Hierarchical Reasoning Model (HRM, arXiv 2506.21734) on WebGPU, for Deno. This module
 * is the library side of the `hrm` command line: the training configuration with the reference's
 * keys and presets, and readers and writers for the reference's `.npy` datasets and
 * safetensors checkpoints.
 *
 * @example Load the paper's Sudoku-Extreme configuration at the laptop learning rate
 * ```ts
 * import { configToYaml, loadConfig } from "./mod.ts";
 *
 * const config = await loadConfig({ preset: "sudoku-extreme", overrides: ["lr=7e-5"] });
 * if (config.lr !== 7e-5 || config.arch.H_cycles !== 2) throw new Error("unexpected config");
 * if (!configToYaml(config).includes("global_batch_size: 768")) throw new Error("bad yaml");
 * ```
 *
 * @module
 */

export { HrmError } from "./lib/errors.ts";

export {
  type ArchConfig,
  type ArchConfigInput,
  type ForwardDtype,
  type HrmConfig,
  type HrmConfigInput,
  hrmConfigSchema,
  type LossConfig,
  type LossType,
  parseConfig,
  type PosEncodings,
} from "./lib/config/schema.ts";
export { getPreset, type Preset, presetNames, PRESETS } from "./lib/config/presets.ts";
export { applyOverrides } from "./lib/config/overrides.ts";
export { loadConfig, type LoadConfigOptions, readConfigFile } from "./lib/config/load.ts";
export { configToYaml } from "./lib/config/to_yaml.ts";

export { atomicWrite, atomicWriteText } from "./lib/io/atomic_write.ts";
export {
  decodeNpy,
  encodeNpy,
  type NpyArray,
  type NpyData,
  type NpyDtype,
  readNpy,
  writeNpy,
} from "./lib/io/npy.ts";
export {
  bf16ToFloat32,
  decodeSafetensors,
  encodeSafetensors,
  float32ToBf16,
  readSafetensors,
  type Safetensors,
  type StData,
  type StDtype,
  type StTensor,
  toFloat32,
  writeSafetensors,
} from "./lib/io/safetensors.ts";
export { decodeWeights, readWeights } from "./lib/io/weights.ts";
export { decodeTorchCheckpoint, TORCH_GLOBALS } from "./lib/io/torch.ts";

export { describeGpu, type Gpu, requestGpu } from "./lib/gpu/device.ts";
export { Tensor } from "./lib/gpu/tensor.ts";
export { Encoder, readTensor, readTensors, upload, writeTensor } from "./lib/gpu/encoder.ts";

export {
  archFromConfig,
  type HrmArch,
  type HrmDims,
  hrmDims,
  type ModelKind,
  modelKind,
} from "./lib/model/dims.ts";
export {
  type InnerCarry,
  ReasoningModel,
  type RecurrenceSpec,
  type SegmentOutputs,
} from "./lib/model/model.ts";
export { Hrm } from "./lib/model/hrm.ts";
export { Trm } from "./lib/model/trm.ts";
export { createModel } from "./lib/model/create.ts";
export { initHrm, loadStateDict, stateDict } from "./lib/model/state.ts";
export { Trainer } from "./lib/train/step.ts";
export { type TrainOptions, type TrainResult, trainRun } from "./lib/train/loop.ts";
export { learningRate } from "./lib/train/schedule.ts";
export { openWorld, SingleWorld, type World } from "./lib/dist/world.ts";
export { selectGpu } from "./lib/dist/gpu_select.ts";
export {
  type EvalOptions,
  type EvalResult,
  evaluate,
  type Predictions,
} from "./lib/eval/evaluate.ts";
export { readTrace, type Trace, writeTrace } from "./lib/eval/trace.ts";
export {
  loadSolveModel,
  type Solution,
  solve,
  type SolveModelOptions,
  type SolveOptions,
} from "./lib/eval/solve.ts";
export {
  type AdaptiveEvalOptions,
  evaluateAdaptive,
  runSegments,
  type SegmentRun,
  type SegmentRunOptions,
} from "./lib/eval/adaptive.ts";
export { judgeAnswer, parsePuzzle, type Puzzle, type PuzzleKind } from "./lib/eval/puzzles.ts";
export { arcVote, submissionJson } from "./lib/eval/arc_vote.ts";
export { mazeMetrics } from "./lib/eval/maze_metrics.ts";

export {
  type DatasetMetadata,
  readIdentifiers,
  readSplit,
  type Split,
  type SplitArrays,
  SplitWriter,
  writeIdentifiers,
  writeSplit,
} from "./lib/io/dataset.ts";
export { generateSudokuDataset } from "./datasets/sudoku/dataset.ts";
export { generateMiniSudokuDataset } from "./datasets/sudoku/mini.ts";
export { generateMazeDataset } from "./datasets/maze/generate.ts";
export { checkMazePath } from "./datasets/maze/check.ts";
export { buildArcDataset } from "./datasets/arc/build.ts";
export { invertPrediction, readArcVariants } from "./datasets/arc/invert.ts";
