/**
 * Puzzles as people write them, for `hrm solve`: parsing and checking Sudoku (9×9, or the demo's
 * 4×4) and maze text, the model's tokens for them, the answer back as text, and whether an answer
 * is valid.
 *
 * Sudoku: digits with `.` or `0` for a blank; spaces, `|`, `-`, `+` and line breaks are ignored,
 * so a one-line string and a drawn grid both work. Tokens as the datasets: 0 PAD, 1 blank,
 * digit d → d + 1 (vocab side + 2). Maze: the published CSV's grid, `#` wall, space open, `S`
 * start, `G` goal, row-major, as one line (a square number of characters) or as lines; tokens
 * 1..5 for `# SGo` (vocab 6). A published CSV row (`source,question,answer,rating`) stands for
 * its question.
 *
 * @module
 */
import { astarPath } from "../../datasets/maze/astar.ts";
import { checkMazePath } from "../../datasets/maze/check.ts";
import {
  decodeMaze,
  encodeMaze,
  GOAL,
  MAZE_VOCAB_SIZE,
  OPEN,
  PATH,
  START,
  WALL,
} from "../../datasets/maze/encoding.ts";
import { MINI_GRIDS } from "../../datasets/sudoku/mini.ts";
import { SudokuSolver } from "../../datasets/sudoku/solver.ts";

/** What kind of puzzle a text holds. */
export type PuzzleKind = "sudoku" | "maze";

/** A parsed, well-formed puzzle. */
export interface Puzzle {
  /** Sudoku or maze. */
  kind: PuzzleKind;
  /** Grid side: 9 or 4 for Sudoku, N for an N×N maze. */
  side: number;
  /** The puzzle as one line in its alphabet (Sudoku blanks as `.`). */
  text: string;
  /** The model's input tokens, `side²` of them. */
  tokens: Int32Array;
  /** Vocabulary size a model for this puzzle has. */
  vocab: number;
}

/** The Sudoku sizes hrm's datasets have (side → box side). */
const SUDOKU_BOX: Record<number, number> = { 81: 3, 16: 2 };

/**
 * Parses one puzzle's text.
 *
 * @param raw The text (one puzzle; may span lines).
 * @returns The puzzle, or a one-line reason it is refused (wrong length, characters outside the
 * alphabet, givens that already conflict, a maze without exactly one S and one G).
 *
 * @example
 * ```ts
 * import { parsePuzzle } from "./puzzles.ts";
 * const p = parsePuzzle("12.. | 34..\n..21 | ....");
 * if (typeof p === "string" || p.side !== 4 || p.text !== "12..34....21....") throw new Error();
 * if (parsePuzzle("11" + ".".repeat(79)) !== "row 1 has two 1s") throw new Error();
 * ```
 */
export function parsePuzzle(raw: string): Puzzle | string {
  let text = raw.replace(/\r/g, "");
  if (text.includes(",")) {
    const fields = text.split(",");
    if (fields.length !== 4) {
      return `a CSV row needs 4 fields (source,question,answer,rating), found ${fields.length}`;
    }
    text = fields[1].replace(/^"|"$/g, "");
  }
  return /[#SG]/.test(text) ? parseMaze(text) : parseSudoku(text);
}

/**
 * Splits a file of puzzles into one text per puzzle: a published CSV (its header skipped) or one
 * puzzle per line, or grids drawn over several lines separated by blank lines. Within a block of
 * lines, every line is a puzzle when each is a whole puzzle on its own (an 81- or 16-cell Sudoku,
 * a CSV row, a one-line maze), else the block is one drawn grid.
 *
 * @param text The file's contents.
 * @returns Puzzle texts, for {@linkcode parsePuzzle}.
 *
 * @example
 * ```ts
 * import { splitPuzzles } from "./puzzles.ts";
 * const two = splitPuzzles("1...\n....\n....\n...2\n\n" + ".".repeat(16) + "\n" + "1".padEnd(16, "."));
 * if (two.length !== 3 || two[0] !== "1...\n....\n....\n...2") throw new Error();
 * ```
 */
export function splitPuzzles(text: string): string[] {
  const out: string[] = [];
  let block: string[] = [];
  const flush = () => {
    if (!block.length) return;
    const whole = (l: string) =>
      l.includes(",") ||
      (/[#SG]/.test(l) ? Number.isInteger(Math.sqrt(l.length)) && l.length > 1 : false) ||
      (!/[#SG]/.test(l) && l.replace(/[\s|+\-]/g, "").length in SUDOKU_BOX);
    if (block.every(whole) && !(block.length > 1 && /[#SG]/.test(block[0]) && isGrid(block))) {
      out.push(...block);
    } else out.push(block.join("\n"));
    block = [];
  };
  for (const raw of text.replace(/\r/g, "").split("\n")) {
    if (raw.trim() === "") flush();
    else if (raw.trim() !== "source,question,answer,rating") block.push(raw);
  }
  flush();
  return out;
}

/** Whether lines form one square grid (as many lines as characters per line). */
function isGrid(lines: string[]): boolean {
  return lines.every((l) => l.length === lines.length);
}

function parseSudoku(raw: string): Puzzle | string {
  const s = raw.replace(/[\s|+\-]/g, "");
  const box = SUDOKU_BOX[s.length];
  if (!box) return `has ${s.length} cells; a 9×9 Sudoku has 81, a 4×4 one 16`;
  const n = box * box;
  const cells = new Uint8Array(n * n);
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === "." || ch === "0") continue;
    const d = ch.charCodeAt(0) - 48;
    if (!(d >= 1 && d <= n)) {
      return `character ${JSON.stringify(ch)} (cell ${
        i + 1
      }) is not a digit 1-${n} or a blank (. or 0)`;
    }
    cells[i] = d;
  }
  const conflict = sudokuConflict(cells, box, false);
  if (conflict) return conflict;
  return {
    kind: "sudoku",
    side: n,
    text: [...cells].map((d) => (d ? String(d) : ".")).join(""),
    tokens: Int32Array.from(cells, (d) => (d ? d + 1 : 1)),
    vocab: n + 2,
  };
}

function parseMaze(raw: string): Puzzle | string {
  const lines = raw.split("\n").filter((l) => l.length > 0);
  let flat: string;
  if (lines.length === 1) {
    flat = lines[0];
    const side = Math.round(Math.sqrt(flat.length));
    if (side * side !== flat.length) {
      return `a one-line maze needs a square number of characters, got ${flat.length}`;
    }
  } else {
    const w = lines[0].length;
    const bad = lines.findIndex((l) => l.length !== w);
    if (bad >= 0) {
      return `maze line ${bad + 1} has ${lines[bad].length} characters, line 1 has ${w}`;
    }
    if (lines.length !== w) return `a maze must be square, got ${lines.length} lines of ${w}`;
    flat = lines.join("");
  }
  const side = Math.round(Math.sqrt(flat.length));
  const at = [...flat].findIndex((c) => !"# SG".includes(c));
  if (at >= 0) {
    return `character ${JSON.stringify(flat[at])} at row ${Math.floor(at / side) + 1}, column ${
      (at % side) + 1
    } is not one of "#", " ", "S", "G"`;
  }
  for (const c of "SG") {
    const n = flat.split(c).length - 1;
    if (n !== 1) return `a maze needs exactly one ${c}, found ${n}`;
  }
  return {
    kind: "maze",
    side,
    text: flat,
    tokens: Int32Array.from(encodeMaze(flat)),
    vocab: MAZE_VOCAB_SIZE,
  };
}

/**
 * The first rule a Sudoku grid breaks, as a sentence ("row 1 has two 1s", 1-based rows, columns
 * and boxes), or undefined. With `complete`, an empty cell breaks a rule too.
 *
 * @param cells `n²` cells, 0 = blank, 1..n digits.
 * @param box Box side (3 for 9×9, 2 for 4×4).
 * @param complete Whether every cell must be filled.
 * @returns The conflict, or undefined.
 *
 * @example
 * ```ts
 * import { sudokuConflict } from "./puzzles.ts";
 * const g = Uint8Array.from("12341234........", (c) => (c === "." ? 0 : Number(c)));
 * if (sudokuConflict(g, 2, false) !== "column 1 has two 1s") throw new Error();
 * ```
 */
export function sudokuConflict(
  cells: ArrayLike<number>,
  box: number,
  complete: boolean,
): string | undefined {
  const n = box * box;
  const units: [string, (k: number) => number][] = [];
  for (let u = 0; u < n; u++) {
    units.push([`row ${u + 1}`, (k) => u * n + k]);
    units.push([`column ${u + 1}`, (k) => k * n + u]);
    const br = Math.floor(u / box) * box, bc = (u % box) * box;
    units.push([`box ${u + 1}`, (k) => (br + Math.floor(k / box)) * n + bc + (k % box)]);
  }
  for (let i = 0; i < n * n && complete; i++) {
    if (!(cells[i] >= 1 && cells[i] <= n)) {
      return `row ${Math.floor(i / n) + 1}, column ${(i % n) + 1} is not filled`;
    }
  }
  for (const [name, cell] of units) {
    const seen = new Set<number>();
    for (let k = 0; k < n; k++) {
      const d = cells[cell(k)];
      if (d === 0) continue;
      if (seen.has(d)) return `${name} has two ${d}s`;
      seen.add(d);
    }
  }
  return undefined;
}

/** What a model's answer to a puzzle is, judged. */
export interface Answer {
  /** The answer in the puzzle's alphabet: Sudoku digits (`.` where no digit was predicted),
   * the maze grid's rows joined by newlines with the path as `o`. */
  text: string;
  /** Sudoku: complete, every unit holds each digit once, givens kept. Maze: a connected S→G
   * path of `o` through open cells, the rest unchanged. */
  valid: boolean;
  /** Why not valid. */
  reason?: string;
}

/**
 * Reads a model's predicted tokens as an answer to `p` and judges it.
 *
 * @param p The puzzle.
 * @param preds Predicted tokens, `side²`.
 * @returns The answer text and whether it is valid.
 *
 * @example
 * ```ts
 * import { judgeAnswer, parsePuzzle } from "./puzzles.ts";
 * const p = parsePuzzle("12..341221434321");
 * if (typeof p === "string") throw new Error(p);
 * const a = judgeAnswer(p, Int32Array.from("1234341221434321", (c) => Number(c) + 1));
 * if (!a.valid || a.text !== "1234341221434321") throw new Error();
 * ```
 */
export function judgeAnswer(p: Puzzle, preds: ArrayLike<number>): Answer {
  const n = p.side;
  if (p.kind === "maze") {
    const v = checkMazePath(p.tokens, preds, n);
    const text = Array.from(
      { length: n },
      (_, r) => decodeMaze(Array.from(preds).slice(r * n, (r + 1) * n)),
    )
      .join("\n");
    return { text, valid: v.valid, reason: v.valid ? undefined : v.reason };
  }
  const digits = Array.from({ length: n * n }, (_, i) => {
    const d = preds[i] - 1;
    return d >= 1 && d <= n ? d : 0;
  });
  const text = digits.map((d) => (d ? String(d) : ".")).join("");
  const changed = digits.findIndex((d, i) => p.tokens[i] > 1 && d !== p.tokens[i] - 1);
  if (changed >= 0) {
    return {
      text,
      valid: false,
      reason: `changes the given ${p.tokens[changed] - 1} at row ${Math.floor(changed / n) + 1}, ` +
        `column ${(changed % n) + 1}`,
    };
  }
  const reason = sudokuConflict(digits, Math.round(Math.sqrt(n)), true);
  return { text, valid: reason === undefined, reason };
}

/**
 * Draws a Sudoku as text rows with box separators, givens optionally dimmed (ANSI).
 *
 * @param digits `n²` digits, 0 = blank (`.`).
 * @param givens Which cells were given (dimmed when `dim`).
 * @param dim Use ANSI dim for givens.
 * @returns The lines.
 *
 * @example
 * ```ts
 * import { sudokuLines } from "./puzzles.ts";
 * const l = sudokuLines(Uint8Array.from("1234341221434321", Number), new Uint8Array(16), false);
 * if (l[0] !== "1 2 | 3 4" || l[2] !== "----+----") throw new Error();
 * ```
 */
export function sudokuLines(
  digits: ArrayLike<number>,
  givens: ArrayLike<number>,
  dim: boolean,
): string[] {
  const n = Math.round(Math.sqrt(digits.length)), box = Math.round(Math.sqrt(n));
  const lines: string[] = [];
  for (let r = 0; r < n; r++) {
    if (r > 0 && r % box === 0) {
      lines.push(Array.from({ length: box }, () => "-".repeat(2 * box - 1)).join("-+-"));
    }
    const cells: string[] = [];
    for (let c = 0; c < n; c++) {
      if (c > 0 && c % box === 0) cells.push("|");
      const d = digits[r * n + c];
      const s = d ? String(d) : ".";
      cells.push(dim && givens[r * n + c] ? `\x1b[2m${s}\x1b[22m` : s);
    }
    lines.push(cells.join(" "));
  }
  return lines;
}

/**
 * A solution of `p` as label tokens (the datasets' form), for pictures and traces: the model's
 * own answer when it is valid (a puzzle may have several solutions), else one the exact solvers
 * find (Sudoku: the first solution; maze: the reference's A* shortest path). Undefined when the
 * puzzle has none.
 *
 * @param p The puzzle.
 * @param preds The model's answer tokens.
 * @returns Label tokens, `side²`, or undefined.
 *
 * @example A 2×2 maze whose answer leaves out the path gets the A* path
 * ```ts
 * import { parsePuzzle, solutionTokens } from "./puzzles.ts";
 * const p = parsePuzzle("S \n G");
 * if (typeof p === "string") throw new Error(p);
 * if (solutionTokens(p, p.tokens)!.join() !== "3,5,2,4") throw new Error();
 * ```
 */
export function solutionTokens(p: Puzzle, preds: ArrayLike<number>): Int32Array | undefined {
  const n = p.side;
  if (p.kind === "maze") {
    const v = checkMazePath(p.tokens, preds, n);
    if (v.optimal) return Int32Array.from(preds);
    const path = astarPath(
      Array.from(p.tokens, (t) => (t === WALL ? 1 : 0)),
      n,
      p.tokens.indexOf(START),
      p.tokens.indexOf(GOAL),
    );
    if (!path) return undefined;
    const out = Int32Array.from(p.tokens);
    for (const i of path) if (out[i] === OPEN) out[i] = PATH;
    return out;
  }
  if (judgeAnswer(p, preds).valid) return Int32Array.from(preds);
  const clues = Array.from(p.tokens, (t) => (t >= 2 ? t - 1 : 0));
  let grid: ArrayLike<number> | undefined;
  if (n === 9) {
    const solver = new SudokuSolver();
    if (solver.solve(clues, 1) > 0) grid = solver.solution;
  } else grid = MINI_GRIDS.find((g) => clues.every((c, i) => c === 0 || c === g[i]));
  return grid ? Int32Array.from(grid, (d) => d + 1) : undefined;
}
