/**
 * Maze token encoding, exactly as the reference's build_maze_dataset.py: the charset `"# SGo"`
 * maps to tokens 1..5 (wall, open, start, goal, path), 0 is PAD, vocab 6, one token per cell in
 * row-major order.
 *
 * @module
 */

/** The published CSV's characters, in token order (token = index + 1). */
export const MAZE_CHARSET = "# SGo";
/** Padding token (never appears in a maze). */
export const PAD = 0;
/** `#`: a wall cell. */
export const WALL = 1;
/** ` `: an open cell. */
export const OPEN = 2;
/** `S`: the start cell. */
export const START = 3;
/** `G`: the goal cell. */
export const GOAL = 4;
/** `o`: a cell on the path (labels only). */
export const PATH = 5;
/** PAD plus the five characters. */
export const MAZE_VOCAB_SIZE = 6;

const CHAR_TO_TOKEN = new Map<string, number>(
  [...MAZE_CHARSET].map((ch, i) => [ch, i + 1]),
);

/**
 * Encodes a CSV grid string (`# SGo` characters, row-major) as tokens.
 *
 * @param text The grid, one character per cell.
 * @returns Tokens 1..5, one per cell.
 * @throws {RangeError} on a character outside the charset, naming its position.
 *
 * @example A 2×2 maze
 * ```ts
 * import { encodeMaze } from "./encoding.ts";
 * if (encodeMaze("S#oG").join() !== "3,1,5,4") throw new Error();
 * ```
 */
export function encodeMaze(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const t = CHAR_TO_TOKEN.get(text[i]);
    if (t === undefined) {
      throw new RangeError(
        `character ${JSON.stringify(text[i])} at position ${i} is not one of "${MAZE_CHARSET}"`,
      );
    }
    out[i] = t;
  }
  return out;
}

/**
 * Decodes tokens back to the CSV grid string; PAD and unknown tokens become `?`.
 *
 * @param tokens Tokens, one per cell.
 * @returns The grid string.
 *
 * @example Round trip
 * ```ts
 * import { decodeMaze, encodeMaze } from "./encoding.ts";
 * if (decodeMaze(encodeMaze("S #G")) !== "S #G") throw new Error();
 * ```
 */
export function decodeMaze(tokens: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    s += t >= 1 && t <= MAZE_CHARSET.length ? MAZE_CHARSET[t - 1] : "?";
  }
  return s;
}

/**
 * Renders tokens as `size` lines of text, for humans (tests, docs, debugging output).
 *
 * @param tokens Tokens, `size * size` of them.
 * @param size Side length.
 * @returns Lines joined by `\n`.
 *
 * @example
 * ```ts
 * import { encodeMaze, renderMaze } from "./encoding.ts";
 * if (renderMaze(encodeMaze("S#oG"), 2) !== "S#\noG") throw new Error();
 * ```
 */
export function renderMaze(tokens: ArrayLike<number>, size: number): string {
  const s = decodeMaze(tokens);
  const lines: string[] = [];
  for (let r = 0; r < size; r++) lines.push(s.slice(r * size, (r + 1) * size));
  return lines.join("\n");
}
