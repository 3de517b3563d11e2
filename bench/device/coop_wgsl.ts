/**
 * WGSL of the cooperative-matrix probe (bench/device/probe.ts), in naga's
 * `enable wgpu_cooperative_matrix;` dialect as Deno 2.9.6 ships it (naga 29): types
 * `coop_mat8x8<T, R>` / `coop_mat16x16<T, R>` with role R in A, B, C; `coopLoad` / `coopLoadT`
 * (one reads column-major, the other row-major; the probe finds out which), `coopStore(T)`,
 * `coopMultiplyAdd(a, b, c)`. Every index and stride is a `let` of its own. Experimental: not
 * used by the library's matmul.
 *
 * @module
 */

/** One matrix configuration to try. */
export interface CoopConfig {
  /** Tile size (n×n×n). */
  n: 8 | 16;
  /** Operand (A, B) scalar type. */
  ab: "f16" | "f32";
  /** Accumulator (C) scalar type. */
  c: "f16" | "f32";
  /** Invocations per workgroup: one subgroup. */
  subgroup: number;
}

/**
 * `C = A·B + C` on one n×n tile with every load `load` and the store of the same flavour
 * (`coopLoad`/`coopStore` or `coopLoadT`/`coopStoreT`). Read as row-major buffers, the result is
 * A·B + C if that flavour is row-major and B·A + C if it is column-major (both transposes cancel
 * out), so one run tells the layout.
 */
export function coopProbeSource(
  cfg: CoopConfig,
  load: "coopLoad" | "coopLoadT",
  access: "read" | "read_write",
): string {
  const store = load === "coopLoadT" ? "coopStoreT" : "coopStore";
  const t = `coop_mat${cfg.n}x${cfg.n}`;
  const f16 = cfg.ab === "f16" || cfg.c === "f16";
  return `${f16 ? "enable f16;\n" : ""}enable wgpu_cooperative_matrix;

@group(0) @binding(0) var<storage, ${access}> a: array<${cfg.ab}>;
@group(0) @binding(1) var<storage, ${access}> b: array<${cfg.ab}>;
@group(0) @binding(2) var<storage, read_write> c: array<${cfg.c}>;

@compute @workgroup_size(${cfg.subgroup})
fn main() {
  let z = 0u;
  let s = ${cfg.n}u;
  let ma = ${load}<${t}<${cfg.ab}, A>>(&a[z], s);
  let mb = ${load}<${t}<${cfg.ab}, B>>(&b[z], s);
  var mc = ${load}<${t}<${cfg.c}, C>>(&c[z], s);
  mc = coopMultiplyAdd(ma, mb, mc);
  ${store}(mc, &c[z], s);
}
`;
}

/** Options of {@linkcode coopMatmulSource}. */
export interface CoopMatmulOptions {
  /** 16-row tiles per subgroup. */
  rm: number;
  /** 16-column tiles per subgroup. */
  rn: number;
  /** Invocations per workgroup (one subgroup). */
  subgroup: number;
  /** The load that reads row-major memory (for x; its store flavour writes y). */
  rowLoad: "coopLoad" | "coopLoadT";
  /** The load that reads column-major memory (for Wᵀ, i.e. W [N, K] row-major). */
  colLoad: "coopLoad" | "coopLoadT";
  /** Access mode of the operand buffers (the probe finds which one naga takes). */
  access: "read" | "read_write";
  /**
   * How the accumulators start at zero: the zero-value constructor `coop_mat16x16<f32, C>()`, or
   * (should naga refuse it) a load of a 16×16 zero tile bound at 4.
   */
  zero: "ctor" | "load";
}

/**
 * `y = x·Wᵀ`, x `[M, K]` f16, W `[N, K]` f16, y `[M, N]` f32; one subgroup computes a
 * (16·rm)×(16·rn) block with rm·rn f32 accumulators straight from global memory (no staging).
 * M, N must be multiples of the block and K of 16. Uniform `{M, N, K, _}` at binding 3.
 */
export function coopMatmulSource(o: CoopMatmulOptions): string {
  const lines: string[] = [];
  const T = "coop_mat16x16";
  for (let i = 0; i < o.rm; i++) {
    for (let j = 0; j < o.rn; j++) {
      lines.push(
        o.zero === "ctor"
          ? `  var acc${i}_${j} = ${T}<f32, C>();`
          : `  var acc${i}_${j} = ${o.rowLoad}<${T}<f32, C>>(&zero[z0], s16);`,
      );
    }
  }
  lines.push("  for (var k = 0u; k < p.K; k += 16u) {");
  for (let i = 0; i < o.rm; i++) {
    lines.push(`    let ia${i} = (m0 + ${16 * i}u) * p.K + k;`);
    lines.push(`    let a${i} = ${o.rowLoad}<${T}<f16, A>>(&x[ia${i}], sk);`);
  }
  for (let j = 0; j < o.rn; j++) {
    lines.push(`    let ib${j} = (n0 + ${16 * j}u) * p.K + k;`);
    lines.push(`    let b${j} = ${o.colLoad}<${T}<f16, B>>(&w[ib${j}], sk);`);
  }
  for (let i = 0; i < o.rm; i++) {
    for (let j = 0; j < o.rn; j++) {
      lines.push(`    acc${i}_${j} = coopMultiplyAdd(a${i}, b${j}, acc${i}_${j});`);
    }
  }
  lines.push("  }");
  const store = o.rowLoad === "coopLoadT" ? "coopStoreT" : "coopStore";
  for (let i = 0; i < o.rm; i++) {
    for (let j = 0; j < o.rn; j++) {
      lines.push(`  let iy${i}_${j} = (m0 + ${16 * i}u) * p.N + n0 + ${16 * j}u;`);
      lines.push(`  ${store}(acc${i}_${j}, &y[iy${i}_${j}], sn);`);
    }
  }
  return `enable f16;
enable wgpu_cooperative_matrix;

struct Params { M: u32, N: u32, K: u32, pad: u32 }
@group(0) @binding(0) var<storage, ${o.access}> x: array<f16>;
@group(0) @binding(1) var<storage, ${o.access}> w: array<f16>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
${o.zero === "load" ? "@group(0) @binding(4) var<storage, read_write> zero: array<f32>;\n" : ""}
@compute @workgroup_size(${o.subgroup})
fn main(@builtin(workgroup_id) wg: vec3<u32>) {
  let z0 = 0u;
  let s16 = 16u;
  let m0 = wg.y * ${16 * o.rm}u;
  let n0 = wg.x * ${16 * o.rn}u;
  let sk = p.K;
  let sn = p.N;
${lines.join("\n")}
}
`;
}

/**
 * The same binding interface and grid as {@linkcode coopMatmulSource} without cooperative
 * matrices (one output per invocation in turn): checks the probe's host code (dispatch, sampled
 * readback, float64 check) on adapters without the feature (`probe.ts --check-host`).
 */
export function plainBlockMatmulSource(rm: number, rn: number): string {
  return `enable f16;

struct Params { M: u32, N: u32, K: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> x: array<f16>;
@group(0) @binding(1) var<storage, read> w: array<f16>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) l: u32) {
  for (var e = l; e < ${256 * rm * rn}u; e += 64u) {
    let i = wg.y * ${16 * rm}u + e / ${16 * rn}u;
    let j = wg.x * ${16 * rn}u + e % ${16 * rn}u;
    var acc = 0.0;
    for (var k = 0u; k < p.K; k++) {
      acc += f32(x[i * p.K + k]) * f32(w[j * p.K + k]);
    }
    y[i * p.N + j] = acc;
  }
}
`;
}
