/**
 * Web Worker entry for maze generation: runs one {@linkcode MazeJob} per message and returns
 * the grids with their buffers transferred.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { type MazeJob, type MazeJobResult, runMazeJob } from "./job.ts";

self.onmessage = (e: MessageEvent<MazeJob>): void => {
  let result: MazeJobResult;
  try {
    result = runMazeJob(e.data);
  } catch (err) {
    result = { key: e.data.key, trials: 0, error: String((err as Error)?.stack ?? err) };
  }
  const transfer: ArrayBuffer[] = [];
  if (result.input) transfer.push(result.input.buffer as ArrayBuffer);
  if (result.label) transfer.push(result.label.buffer as ArrayBuffer);
  self.postMessage(result, transfer);
};
