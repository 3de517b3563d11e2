/**
 * The model's parameters as flat buffers with named views (as llm.c does): one buffer each for the
 * trainable weights, their gradients and the two AdamATan2 moments, laid out by one table, so the
 * optimizer is a single pass and a checkpoint is a loop over names. Names are the reference's
 * state-dict keys (`inner.H_level.layers.0.self_attn.qkv_proj.weight`). Buffers that are not
 * trained by AdamATan2 (H_init, L_init, the puzzle-embedding table) are separate tensors.
 *
 * @module
 */
import type { Gpu } from "../gpu/device.ts";
import { Tensor } from "../gpu/tensor.ts";
import type { HrmArch, HrmDims } from "./dims.ts";

/** One named tensor of the layout. */
export interface ParamSpec {
  /** State-dict key. */
  name: string;
  /** Shape, e.g. `[out, in]` for linear weights. */
  shape: number[];
  /** Element offset inside the flat buffer. */
  offset: number;
  /** Initial std of the truncated normal, or a constant fill (q_head bias −5). */
  init: { std: number } | { fill: number };
}

/** A reasoning module: HRM has `H` and `L`; TRM's one network is `L` (`inner.L_level`). */
export type Level = "H" | "L";

/**
 * The names of one transformer block's weights. The token mixer is attention (`qkv`, `o`) or,
 * with TRM's mlp_t, a SwiGLU across the sequence axis (`t_gate_up`, `t_down`).
 */
export interface BlockNames {
  /** `[3·NH·HD, D]` (attention) */
  qkv?: string;
  /** `[D, NH·HD]` (attention) */
  o?: string;
  /** `[2Ft, T]` (mlp_t; gate rows first, then up) */
  t_gate_up?: string;
  /** `[T, Ft]` (mlp_t) */
  t_down?: string;
  /** `[2F, D]` (gate rows first, then up) */
  gate_up: string;
  /** `[D, F]` */
  down: string;
}

/** The names of a block's weights at `level` and index `i`; `mlpT` for TRM's mlp_t blocks. */
export function blockNames(level: Level, i: number, mlpT = false): BlockNames {
  const p = `inner.${level}_level.layers.${i}`;
  const mixer = mlpT
    ? { t_gate_up: `${p}.mlp_t.gate_up_proj.weight`, t_down: `${p}.mlp_t.down_proj.weight` }
    : { qkv: `${p}.self_attn.qkv_proj.weight`, o: `${p}.self_attn.o_proj.weight` };
  return { ...mixer, gate_up: `${p}.mlp.gate_up_proj.weight`, down: `${p}.mlp.down_proj.weight` };
}

/** Names of the buffers (not trained by AdamATan2). */
export const BUFFER_NAMES = {
  H_init: "inner.H_init",
  L_init: "inner.L_init",
  puzzle_emb: "inner.puzzle_emb.weights",
} as const;

/**
 * The trainable parameters in flat-buffer order, each aligned to `align` elements so views can
 * be bound at their offsets. `levels` lists the reasoning modules and their block counts.
 */
export function paramLayout(
  a: HrmArch,
  d: HrmDims,
  align: number,
  levels: readonly (readonly [Level, number])[],
): { specs: ParamSpec[]; size: number } {
  const specs: ParamSpec[] = [];
  let offset = 0;
  const add = (name: string, shape: number[], init: ParamSpec["init"]) => {
    specs.push({ name, shape, offset, init });
    const n = shape.reduce((x, y) => x * y, 1);
    offset += Math.ceil(n / align) * align;
  };
  const lecun = (fanIn: number) => ({ std: 1 / Math.sqrt(fanIn) });
  add("inner.embed_tokens.embedding_weight", [d.V, d.D], { std: 1 / d.embedScale });
  if (a.pos_encodings === "learned") {
    add("inner.embed_pos.embedding_weight", [d.T, d.D], { std: 1 / d.embedScale });
  }
  add("inner.lm_head.weight", [d.V, d.D], lecun(d.D));
  add("inner.q_head.weight", [2, d.D], { fill: 0 });
  add("inner.q_head.bias", [2], { fill: -5 });
  for (const [level, n] of levels) {
    for (let i = 0; i < n; i++) {
      const b = blockNames(level, i, a.mlp_t);
      if (b.t_gate_up && b.t_down) {
        add(b.t_gate_up, [2 * d.Ft, d.T], lecun(d.T));
        add(b.t_down, [d.T, d.Ft], lecun(d.Ft));
      } else {
        add(b.qkv!, [3 * d.NH * d.HD, d.D], lecun(d.D));
        add(b.o!, [d.D, d.NH * d.HD], lecun(d.NH * d.HD));
      }
      add(b.gate_up, [2 * d.F, d.D], lecun(d.D));
      add(b.down, [d.D, d.F], lecun(d.F));
    }
  }
  return { specs, size: offset };
}

/** A flat buffer and its named views. */
export class FlatParams {
  /** The whole buffer. */
  readonly flat: Tensor;
  /** Views by state-dict name. */
  readonly views: ReadonlyMap<string, Tensor>;
  /** The layout. */
  readonly specs: readonly ParamSpec[];

  /**
   * @param gpu The device.
   * @param layout From {@linkcode paramLayout}.
   * @param label `params`, `grads`, `adam_m`, `adam_v`.
   * @param dtype `f16` for the float16 copy of the weights (mixed precision).
   */
  constructor(
    gpu: Gpu,
    layout: { specs: ParamSpec[]; size: number },
    label: string,
    dtype: "f32" | "f16" = "f32",
  ) {
    this.specs = layout.specs;
    this.flat = Tensor.empty(gpu, [layout.size], dtype, label);
    const views = new Map<string, Tensor>();
    for (const s of layout.specs) {
      views.set(s.name, Tensor.view(this.flat, s.offset, s.shape, s.name));
    }
    this.views = views;
  }

  /** The view named `name`. */
  get(name: string): Tensor {
    const t = this.views.get(name);
    if (!t) throw new Error(`no parameter named ${name}`);
    return t;
  }

  /** Releases the flat buffer. */
  release(): void {
    this.flat.release();
  }
}
