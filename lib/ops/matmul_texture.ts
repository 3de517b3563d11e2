/**
 * The texture path of matmul (variant "texture", the fastest on Mesa llvmpipe/lavapipe): each
 * chunk copies its block of `a` and `b` into cached `rgba32float` textures (copyBufferToTexture
 * when rows are 256-byte aligned and k needs no padding, else the matmul_pack kernel, which also
 * zero-pads k), then runs matmul_texture.wgsl with the vec4 epilogue (matmul_store_vec4.wgsl) when
 * the result's rows allow it, else the scalar one. Texture and storage-texture bindings cannot go
 * through `Encoder.dispatch`, so this records its own compute pass on `enc.raw()` with uniforms
 * from its own small buffers, recycled once the encoder is submitted (never from the tensor pool:
 * a pooled buffer may still be read by recorded work, and `writeBuffer` would overtake it).
 *
 * @module
 */
import packSrc from "../../kernels/matmul_pack.wgsl" with { type: "text" };
import texSrc from "../../kernels/matmul_texture.wgsl" with { type: "text" };
import storeVec4Src from "../../kernels/matmul_store_vec4.wgsl" with { type: "text" };
import storeScalarSrc from "../../kernels/matmul_store_scalar.wgsl" with { type: "text" };
import type { Gpu } from "../gpu/device.ts";
import type { Encoder } from "../gpu/encoder.ts";
import { Tensor } from "../gpu/tensor.ts";
import { composeKernel, type FloatType, typeAliases } from "../gpu/wgsl.ts";
import {
  bindRange,
  type Bound,
  type Chunk,
  type Dim,
  forEachChunk,
  type MatmulProblem,
  type Origin,
  planChunks,
  spanSizes,
} from "./matmul_plan.ts";

/**
 * The matmul kernel with its epilogue: vec4 stores (f32 out; ldc, offC, N multiples of 4) or
 * scalar ones (any; f32 or f16 out).
 */
const MATMUL = {
  vec4: composeKernel({ name: "matmul_texture", source: texSrc }, "matmul_texture", [
    { name: "matmul_store_vec4", source: storeVec4Src },
  ]),
  f32: scalarStore("f32"),
  f16: scalarStore("f16"),
};
function scalarStore(tc: FloatType) {
  return composeKernel({ name: "matmul_texture", source: texSrc }, "matmul_texture", [
    typeAliases({ TC: tc }),
    { name: "matmul_store_scalar", source: storeScalarSrc },
  ]);
}
/** The pack kernel for a source of type `ts`, rounding to float16 or not. */
function packKernel(ts: FloatType, round16: boolean) {
  return composeKernel({ name: "matmul_pack", source: packSrc }, "matmul_pack", [
    typeAliases({ TS: ts, TR: round16 ? "f16" : "f32" }),
  ]);
}
/** Bytes of one operand's texture per chunk (the cached texture may be up to 2.25× this). */
const TEX_CAP = 32 << 20;
/** Invocations per workgroup (the WG override); each computes one tile of 8 rows × 16 columns. */
const WG = 64;

/** Tiles of a chunk's result. */
function tileCount(c: Chunk): number {
  return Math.ceil(c.mc / 8) * Math.ceil(c.nc / 16);
}

/** The 2-D dispatch over a chunk's workgroups (numbered x-fastest; see the WGSL header). */
function groupGrid(c: Chunk, maxGroups: number): [number, number] {
  const groups = Math.ceil(tileCount(c) / WG);
  const x = Math.min(groups, maxGroups);
  return [x, Math.ceil(groups / x)];
}
const SLOT = 256;

const freeParams = new WeakMap<Gpu, GPUBuffer[]>();

/** A uniform buffer of three parameter slots; `release` (run after submit) recycles it. */
class ParamBlock extends Tensor {
  override release(): void {
    freeParams.get(this.gpu)?.push(this.buffer);
  }
}

function paramBlock(gpu: Gpu, data: Uint32Array<ArrayBuffer>): ParamBlock {
  let free = freeParams.get(gpu);
  if (!free) freeParams.set(gpu, free = []);
  const buffer = free.pop() ?? gpu.device.createBuffer({
    label: "matmul_texture_params",
    size: data.byteLength,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  gpu.device.queue.writeBuffer(buffer, 0, data);
  return new ParamBlock(gpu, buffer, [data.length], "u32", { label: "matmul_texture_params" });
}

interface Region {
  w: number;
  h: number;
}

// The texel region the kernel reads: k padded to 4, m to 8 and n to 16 (see the WGSL header).
function regionA(p: MatmulProblem, c: Chunk): Region {
  const kq = Math.ceil(c.kc / 4), m8 = Math.ceil(c.mc / 8) * 8;
  return p.transA ? { w: m8 / 4, h: kq * 4 } : { w: kq, h: m8 };
}

function regionB(p: MatmulProblem, c: Chunk): Region {
  const kq = Math.ceil(c.kc / 4), n16 = Math.ceil(c.nc / 16) * 16;
  return p.transB ? { w: kq, h: n16 } : { w: n16 / 4, h: kq * 4 };
}

/**
 * The dimension to shrink so a chunk's textures and workgroup counts fit the device, or
 * undefined when they do.
 */
export function textureShrink(p: MatmulProblem, c: Chunk, gpu: Gpu): Dim | undefined {
  // Below the limit, so that texture sizes can avoid powers of two (see texSize).
  const maxDim = gpu.limits.maxTextureDimension2D - 64;
  const maxGroups = gpu.limits.maxComputeWorkgroupsPerDimension;
  const A = regionA(p, c), B = regionB(p, c);
  if (A.w > maxDim) return p.transA ? "m" : "k";
  if (A.h > maxDim) return p.transA ? "k" : "m";
  if (A.w * A.h * 16 > TEX_CAP) return c.mc > 128 ? "m" : "k";
  if (B.w > maxDim) return p.transB ? "k" : "n";
  if (B.h > maxDim) return p.transB ? "n" : "k";
  if (B.w * B.h * 16 > TEX_CAP) return c.nc > 128 ? "n" : "k";
  if (groupGrid(c, maxGroups)[1] > maxGroups) return "m";
  if (Math.max(Math.ceil(A.w / 64), Math.ceil(B.w / 64)) > maxGroups) return "k";
  return undefined;
}

const textures = new WeakMap<Gpu, Map<string, GPUTexture>>();

// Sizes round up to 4 classes per octave and are never powers of two: llvmpipe compiles a new
// shader variant whenever a bound texture's extent switches between power-of-two and not, and
// one variant of the unrolled kernel takes seconds to compile.
function texSize(n: number, max: number): number {
  const step = Math.max(4, 2 ** (Math.floor(Math.log2(Math.max(n, 1))) - 2));
  let s = Math.max(12, Math.ceil(n / step) * step);
  if ((s & (s - 1)) === 0) s += step;
  return Math.min(s, max - 4);
}

function operandTexture(gpu: Gpu, role: "a" | "b", r: Region): GPUTexture {
  const max = gpu.limits.maxTextureDimension2D;
  const w = texSize(r.w, max), h = texSize(r.h, max);
  let cache = textures.get(gpu);
  if (!cache) textures.set(gpu, cache = new Map());
  const key = `${role}:${w}x${h}`;
  let t = cache.get(key);
  if (!t) {
    t = gpu.device.createTexture({
      label: `matmul_${role}_${key}`,
      size: [w, h],
      format: "rgba32float",
      usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.STORAGE_BINDING |
        GPUTextureUsage.COPY_DST,
    });
    cache.set(key, t);
  }
  return t;
}

/**
 * Destroys the cached operand textures of `gpu` (benchmarks between configurations; only when no
 * recorded, unsubmitted encoder uses them).
 */
export function releaseMatmulTextures(gpu: Gpu): void {
  for (const t of textures.get(gpu)?.values() ?? []) t.destroy();
  textures.delete(gpu);
}

/** A block of a row-major buffer: `rows` rows of `cols` elements, `ld` apart, from `start`. */
interface Block {
  src: Tensor;
  start: number;
  rows: number;
  cols: number;
  ld: number;
  /** k runs along the rows (so k padding means zero rows). */
  kInRows: boolean;
}

function canCopy(b: Block): boolean {
  return b.cols % 4 === 0 &&
    (b.rows === 1 || (b.ld * 4) % 256 === 0) &&
    (b.src.offset + b.start * 4) % 16 === 0 &&
    (!b.kInRows || b.rows % 4 === 0) &&
    (b.src.buffer.usage & GPUBufferUsage.COPY_SRC) !== 0;
}

function blocks(p: MatmulProblem, c: Chunk, o: Origin): { a: Block; b: Block } {
  const a: Block = p.transA
    ? { src: p.a, start: o.k0 * p.sAk + o.m0, rows: c.kc, cols: c.mc, ld: p.sAk, kInRows: true }
    : { src: p.a, start: o.m0 * p.sAm + o.k0, rows: c.mc, cols: c.kc, ld: p.sAm, kInRows: false };
  const b: Block = p.transB
    ? { src: p.b, start: o.n0 * p.sBn + o.k0, rows: c.nc, cols: c.kc, ld: p.sBn, kInRows: false }
    : { src: p.b, start: o.k0 * p.sBk + o.n0, rows: c.kc, cols: c.nc, ld: p.sBk, kInRows: true };
  return { a, b };
}

/**
 * Records `p` (Bt == 1, K > 0, f32 or f16 out) with the texture kernel, chunked to fit `limitBytes`
 * bindings. f16 operands, and every operand when `round16` (float16 mixed precision), go into the
 * f32 textures through the pack kernel, which widens (and rounds) them.
 */
export function textureMatmul(
  enc: Encoder,
  p: MatmulProblem,
  limitBytes: number,
  round16 = false,
): void {
  const gpu = enc.gpu;
  const chunk = planChunks(p, limitBytes, gpu, (c) => textureShrink(p, c, gpu));
  const slot = Math.max(SLOT, gpu.limits.minUniformBufferOffsetAlignment);
  const words = slot / 4;
  forEachChunk(p, chunk, (c, o, beta) => {
    const ra = regionA(p, c), rb = regionB(p, c);
    const ta = operandTexture(gpu, "a", ra), tb = operandTexture(gpu, "b", rb);
    const { a, b } = blocks(p, c, o);
    const params = new Uint32Array(words * 3);
    const floats = new Float32Array(params.buffer);
    const packs: { src: Bound; tex: GPUTexture; r: Region; slot: number; f16: boolean }[] = [];
    const raw = enc.raw();
    for (const [block, tex, r] of [[a, ta, ra], [b, tb, rb]] as const) {
      if (!round16 && block.src.dtype === "f32" && canCopy(block)) {
        raw.copyBufferToTexture(
          {
            buffer: block.src.buffer,
            offset: block.src.offset + block.start * 4,
            bytesPerRow: block.rows > 1 ? block.ld * 4 : undefined,
            rowsPerImage: block.rows,
          },
          { texture: tex },
          [block.cols / 4, block.rows],
        );
      } else {
        const s = packs.length + 1;
        const src = bindRange(
          gpu,
          block.src,
          block.start,
          (block.rows - 1) * block.ld + block.cols,
        );
        params.set([block.rows, block.cols, block.ld, src.off, r.w, r.h], s * words);
        packs.push({ src, tex, r, slot: s, f16: block.src.dtype === "f16" });
      }
    }
    const out = bindRange(gpu, p.c, o.m0 * p.ldc + o.n0, spanSizes(p, c).c);
    params.set([c.mc, c.nc, Math.ceil(c.kc / 4), 0, out.off, p.ldc], 0);
    floats[8] = p.alpha;
    floats[9] = beta;
    const pt = paramBlock(gpu, params);
    enc.releaseAfterSubmit(pt);
    const pass = enc.rawPass("matmul_texture:pass");
    const paramBinding = (s: number) => ({
      buffer: pt.buffer,
      offset: pt.offset + s * slot,
      size: 64,
    });
    for (const pk of packs) {
      const pipeline = gpu.pipelines.get(packKernel(pk.f16 ? "f16" : "f32", round16));
      pass.setPipeline(pipeline);
      pass.setBindGroup(
        0,
        gpu.device.createBindGroup({
          label: "matmul_pack:matmul_pack",
          layout: pipeline.getBindGroupLayout(0),
          entries: [
            { binding: 0, resource: pk.src.view.binding() },
            { binding: 1, resource: pk.tex.createView() },
            { binding: 2, resource: paramBinding(pk.slot) },
          ],
        }),
      );
      pass.dispatchWorkgroups(Math.ceil(pk.r.w / 64), pk.r.h);
      enc.dispatches++;
    }
    // vec4 stores need 16-byte aligned rows and whole vec4s per row (and an f32 output).
    const f16 = p.c.dtype === "f16";
    const vec4 = !f16 && p.ldc % 4 === 0 && out.off % 4 === 0 && c.nc % 4 === 0;
    const pipeline = gpu.pipelines.get(vec4 ? MATMUL.vec4 : f16 ? MATMUL.f16 : MATMUL.f32, {
      TRANS_A: p.transA,
      TRANS_B: p.transB,
      ACCUM: beta !== 0,
      WG,
    });
    pass.setPipeline(pipeline);
    pass.setBindGroup(
      0,
      gpu.device.createBindGroup({
        label: "matmul_texture:matmul_texture",
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: ta.createView() },
          { binding: 1, resource: tb.createView() },
          { binding: 2, resource: out.view.binding() },
          { binding: 3, resource: paramBinding(0) },
        ],
      }),
    );
    pass.dispatchWorkgroups(...groupGrid(c, gpu.limits.maxComputeWorkgroupsPerDimension));
    enc.dispatches++; // counted like Encoder.dispatch's, for dispatches-per-step figures
    pass.end();
  });
}
