/**
 * The only pseudo-random number generator in hrm: seeded, fast and identical on every platform,
 * so the same seed gives the same bytes. xoshiro128** over 32-bit integers, seeded by splitmix32.
 *
 * @module
 */

/**
 * A seeded PRNG.
 *
 * @example Same seed, same stream
 * ```ts
 * import { Rng } from "./rng.ts";
 * const a = new Rng(42), b = new Rng(42);
 * if (a.int(1000) !== b.int(1000)) throw new Error();
 * ```
 */
export class Rng {
  #s = new Uint32Array(4);

  /** @param seed Any integer (or a string, hashed); streams for different seeds are independent. */
  constructor(seed: number | string) {
    let x = typeof seed === "string" ? hashString(seed) : (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.#s[0] | this.#s[1] | this.#s[2] | this.#s[3]) === 0) this.#s[0] = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  float(): number {
    return ((this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6)) / 9007199254740992;
  }

  /**
   * A uniform integer in [0, n), without modulo bias.
   * @param n Upper bound, 1 <= n <= 2^32.
   */
  int(n: number): number {
    if (!(n >= 1)) throw new RangeError(`Rng.int: n must be >= 1, got ${n}`);
    if (n > 2 ** 32) return Math.floor(this.float() * n);
    const limit = 2 ** 32 - (2 ** 32 % n);
    let x: number;
    do x = this.nextU32(); while (x >= limit);
    return x % n;
  }

  /** A uniform integer in [lo, hi] inclusive. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Shuffles `a` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** A uniformly chosen element. */
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }

  /** A new independent generator derived from this one (for workers or sub-streams). */
  fork(): Rng {
    return new Rng(this.nextU32() * 2 ** 21 + (this.nextU32() >>> 11));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** FNV-1a over UTF-16 code units: turns a string seed into 32 bits. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
