/**
 * Grid symmetries shared by the generators: the 8 dihedral transforms with the reference's ids
 * (dataset/common.py in sapientinc/HRM) and colour/value permutations.
 *
 * @module
 */

/**
 * A row-major grid of small integers.
 */
export interface Grid {
  /** Rows. */
  h: number;
  /** Columns. */
  w: number;
  /** h*w values, row-major. */
  data: Uint8Array;
}

/**
 * The inverse of each dihedral id: applying `DIHEDRAL_INVERSE[t]` after `t` is the identity.
 * Ids: 0 identity, 1 rot90 (numpy `rot90(k=1)`, counter-clockwise), 2 rot180, 3 rot270,
 * 4 flip left-right, 5 flip up-down, 6 transpose, 7 anti-transpose (`fliplr(rot90)`).
 */
export const DIHEDRAL_INVERSE: readonly number[] = [0, 3, 2, 1, 4, 5, 6, 7];

/**
 * Applies dihedral transform `t` (reference ids, see {@linkcode DIHEDRAL_INVERSE}).
 *
 * @param g The grid.
 * @param t Transform id 0..7.
 * @returns A new grid (dimensions swap for ids 1, 3, 6, 7).
 *
 * @example Rotation and its inverse
 * ```ts
 * import { dihedral, DIHEDRAL_INVERSE } from "./grid.ts";
 * const g = { h: 2, w: 3, data: new Uint8Array([1, 2, 3, 4, 5, 6]) };
 * const back = dihedral(dihedral(g, 1), DIHEDRAL_INVERSE[1]);
 * if (back.data.join() !== g.data.join()) throw new Error();
 * ```
 */
export function dihedral(g: Grid, t: number): Grid {
  const { h, w, data } = g;
  const swap = t === 1 || t === 3 || t === 6 || t === 7;
  const oh = swap ? w : h, ow = swap ? h : w;
  const out = new Uint8Array(h * w);
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      let r: number, c: number; // source cell for output (i, j)
      switch (t) {
        case 0:
          r = i;
          c = j;
          break;
        case 1:
          r = j;
          c = w - 1 - i;
          break; // numpy rot90 k=1: out[i][j] = in[j][w-1-i]
        case 2:
          r = h - 1 - i;
          c = w - 1 - j;
          break;
        case 3:
          r = h - 1 - j;
          c = i;
          break;
        case 4:
          r = i;
          c = w - 1 - j;
          break;
        case 5:
          r = h - 1 - i;
          c = j;
          break;
        case 6:
          r = j;
          c = i;
          break;
        case 7:
          r = h - 1 - j;
          c = w - 1 - i;
          break; // fliplr(rot90(x))
        default:
          throw new RangeError(`dihedral: transform id must be 0..7, got ${t}`);
      }
      out[i * ow + j] = data[r * w + c];
    }
  }
  return { h: oh, w: ow, data: out };
}

/**
 * Maps every value through `map` (e.g. a colour permutation): `out[i] = map[data[i]]`.
 *
 * @param g The grid.
 * @param map Lookup table indexed by value.
 * @returns A new grid of the same shape.
 */
export function mapValues(g: Grid, map: ArrayLike<number>): Grid {
  const out = new Uint8Array(g.data.length);
  for (let i = 0; i < out.length; i++) out[i] = map[g.data[i]];
  return { h: g.h, w: g.w, data: out };
}

/**
 * The inverse of a permutation table: `inv[perm[i]] = i`.
 *
 * @param perm A permutation of 0..n-1.
 * @returns Its inverse.
 */
export function invertPermutation(perm: ArrayLike<number>): number[] {
  const inv = new Array<number>(perm.length);
  for (let i = 0; i < perm.length; i++) inv[perm[i]] = i;
  return inv;
}
