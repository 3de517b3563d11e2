/**
 * Web Worker entry for the ARC build: receives one task at a time, returns its encoded groups
 * with the buffers transferred (no copy).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { buildTaskGroups } from "./build_task.ts";
import type { ArcJob, ArcJobResult } from "./pool.ts";

self.onmessage = (e: MessageEvent<ArcJob>): void => {
  const { index, task, aug, seed } = e.data;
  let groups;
  try {
    groups = buildTaskGroups(task, aug, seed);
  } catch (err) {
    const msg: ArcJobResult = {
      index,
      error: `task ${task?.name}: ${(err as Error)?.stack ?? err}`,
    };
    self.postMessage(msg);
    return;
  }
  const transfer: ArrayBuffer[] = [groups.variants.buffer as ArrayBuffer];
  for (const part of [groups.train, groups.test]) {
    if (part) transfer.push(part.inputs.buffer as ArrayBuffer, part.labels.buffer as ArrayBuffer);
  }
  const msg: ArcJobResult = { index, groups };
  self.postMessage(msg, transfer);
};
