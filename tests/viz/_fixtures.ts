// Paths of the synthetic viz fixtures (made by tests/fixtures/viz/make_fixtures.ts) and small
// helpers shared by the viz tests.
import { fromFileUrl } from "@std/path";
import type { Trace } from "../../lib/eval/trace.ts";

/** Absolute path of a file under tests/fixtures/viz. */
export function vizFixture(name: string): string {
  return fromFileUrl(new URL(`../fixtures/viz/${name}`, import.meta.url));
}

/** SHA-256 of bytes or text, hex. */
export async function sha256(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A small in-memory trace of an unknown task (tokens 0..4, S positions). */
export function tinyTrace(S = 4, G = 2, withStates = false): Trace {
  const preds = new Int32Array(G * S);
  for (let s = 0; s < G; s++) for (let i = 0; i < S; i++) preds[s * S + i] = (i + s) % 5;
  const D = 3, P = 1;
  return {
    n: 1,
    segments: G,
    inputs: Int32Array.from({ length: S }, (_, i) => i % 5),
    labels: Int32Array.from({ length: S }, (_, i) => (i === 0 ? -100 : i % 5)),
    puzzle_identifiers: new Int32Array([3]),
    preds,
    q_halt_logits: Float32Array.from({ length: G }, (_, s) => s - 1),
    q_continue_logits: new Float32Array(G),
    z_H: withStates ? Float32Array.from({ length: G * (S + P) * D }, (_, k) => k / 7) : undefined,
    z_L: withStates ? Float32Array.from({ length: G * (S + P) * D }, (_, k) => -k / 5) : undefined,
    meta: {
      task: "unknown",
      vocab_size: 5,
      seq_len: S,
      puzzle_emb_len: P,
      hidden_size: D,
      dataset: "data/x",
      checkpoint: "runs/x/step_1.safetensors",
    },
  };
}
