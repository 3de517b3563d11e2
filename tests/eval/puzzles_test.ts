// Puzzle text for `hrm solve`: formats accepted, one-line refusals, answers judged.
import { assert, assertEquals } from "@std/assert";
import {
  judgeAnswer,
  parsePuzzle,
  type Puzzle,
  solutionTokens,
  splitPuzzles,
} from "../../lib/eval/puzzles.ts";

// A valid 9×9 grid and a puzzle from it (the CSV's form: `.` for blanks).
const SOLUTION =
  "534678912672195348198342567859761423426853791713924856961537284287419635345286179";
const PUZZLE = SOLUTION.split("").map((c, i) => (i % 3 === 0 ? c : ".")).join("");
const tokens = (s: string) => Int32Array.from(s, (c) => (c === "." ? 1 : Number(c) + 1));

function ok(text: string): Puzzle {
  const p = parsePuzzle(text);
  if (typeof p === "string") throw new Error(p);
  return p;
}

Deno.test("parsePuzzle: Sudoku as one line, with 0 blanks, drawn as a grid, or a CSV row", () => {
  const p = ok(PUZZLE);
  assertEquals([p.kind, p.side, p.vocab, p.text], ["sudoku", 9, 11, PUZZLE]);
  assertEquals([...p.tokens], [...tokens(PUZZLE)]);
  assertEquals(ok(PUZZLE.replaceAll(".", "0")).text, PUZZLE);
  const drawn = Array.from({ length: 9 }, (_, r) => {
    const row = PUZZLE.slice(r * 9, r * 9 + 9).split("").join(" ");
    return row.slice(0, 5) + " |" + row.slice(5, 11) + " |" + row.slice(11);
  });
  drawn.splice(6, 0, "------+-------+------");
  drawn.splice(3, 0, "------+-------+------");
  assertEquals(ok(drawn.join("\n")).text, PUZZLE);
  assertEquals(ok(`hard_1,${PUZZLE},${SOLUTION},12`).text, PUZZLE);
  const mini = ok("12.. | 34..\n..21 | ....");
  assertEquals([mini.side, mini.vocab, mini.text], [4, 6, "12..34....21...."]);
});

Deno.test("parsePuzzle: bad Sudoku input is refused with a one-line reason", () => {
  assertEquals(parsePuzzle(PUZZLE.slice(1)), "has 80 cells; a 9×9 Sudoku has 81, a 4×4 one 16");
  assertEquals(
    parsePuzzle("x" + PUZZLE.slice(1)),
    'character "x" (cell 1) is not a digit 1-9 or a blank (. or 0)',
  );
  assertEquals(
    parsePuzzle("5" + "".padEnd(4, ".")),
    "has 5 cells; a 9×9 Sudoku has 81, a 4×4 one 16",
  );
  assertEquals(parsePuzzle("11" + ".".repeat(79)), "row 1 has two 1s");
  assertEquals(parsePuzzle("1" + ".".repeat(8) + "1" + ".".repeat(71)), "column 1 has two 1s");
  assertEquals(parsePuzzle("1" + ".".repeat(9) + "1" + ".".repeat(70)), "box 1 has two 1s");
  assertEquals(
    parsePuzzle("5..." + "...." + "...." + "...."),
    'character "5" (cell 1) is not a digit 1-4 or a blank (. or 0)',
  );
  assertEquals(
    parsePuzzle("a,b,c"),
    "a CSV row needs 4 fields (source,question,answer,rating), found 3",
  );
});

Deno.test("parsePuzzle: mazes as lines or one line; exactly one S and one G", () => {
  const grid = ["#####", "#S  #", "# # #", "#  G#", "#####"];
  const m = ok(grid.join("\n"));
  assertEquals([m.kind, m.side, m.vocab, m.text], ["maze", 5, 6, grid.join("")]);
  assertEquals(ok(grid.join("")).text, grid.join(""));
  assertEquals(parsePuzzle(grid.join("").replace("G", " ")), "a maze needs exactly one G, found 0");
  assertEquals(parsePuzzle(grid.slice(0, 4).join("\n")), "a maze must be square, got 4 lines of 5");
  assertEquals(
    parsePuzzle(grid.join("\n").replace("# # #", "# x #")),
    'character "x" at row 3, column 3 is not one of "#", " ", "S", "G"',
  );
  assertEquals(
    parsePuzzle(grid.join("").slice(1)),
    "a one-line maze needs a square number of characters, got 24",
  );
});

Deno.test("splitPuzzles: a CSV, one per line, and drawn grids between blank lines", () => {
  const csv =
    `source,question,answer,rating\na,${PUZZLE},${SOLUTION},1\nb,${PUZZLE},${SOLUTION},2\n`;
  assertEquals(splitPuzzles(csv).map((t) => ok(t).text), [PUZZLE, PUZZLE]);
  const maze = ["#####", "#S  #", "# # #", "#  G#", "#####"];
  const text = `${PUZZLE}\n${PUZZLE}\n\n${
    maze.join("\n")
  }\n\n1 2 | . .\n. . | . .\n----+----\n. . | . .\n. . | . 1\n`;
  const parts = splitPuzzles(text);
  assertEquals(parts.length, 4);
  assertEquals(ok(parts[2]).kind, "maze");
  assertEquals(ok(parts[3]).text, "12......" + "......." + "1");
});

Deno.test("judgeAnswer: Sudoku valid, a changed given, an unfilled cell, a repeated digit", () => {
  const p = ok(PUZZLE);
  assertEquals(judgeAnswer(p, tokens(SOLUTION)), {
    text: SOLUTION,
    valid: true,
    reason: undefined,
  });
  const swapped = SOLUTION[1] + SOLUTION[0] + SOLUTION.slice(2);
  const a = judgeAnswer(p, tokens(swapped));
  assertEquals([a.valid, a.reason], [false, "changes the given 5 at row 1, column 1"]);
  const holed = SOLUTION.slice(0, 80) + ".";
  assertEquals(judgeAnswer(p, tokens(holed)).reason, "row 9, column 9 is not filled");
  const twice = SOLUTION.slice(0, 1) + SOLUTION[0] + SOLUTION.slice(2); // cell 2 is not a given
  assertEquals(judgeAnswer(p, tokens(twice)).reason, "row 1 has two 5s");
});

Deno.test("judgeAnswer: a maze path from S to G is valid; a broken one is not", () => {
  const p = ok(["#####", "#S  #", "# # #", "#  G#", "#####"].join("\n"));
  const enc = (rows: string[]) => Int32Array.from(rows.join(""), (c) => "# SGo".indexOf(c) + 1);
  const good = ["#####", "#Soo#", "# #o#", "#  G#", "#####"];
  const a = judgeAnswer(p, enc(good));
  assert(a.valid, a.reason);
  assertEquals(a.text, good.join("\n"));
  const broken = ["#####", "#So #", "# # #", "#  G#", "#####"];
  assertEquals(judgeAnswer(p, enc(broken)).valid, false);
});

Deno.test("solutionTokens: the model's answer when valid, else the solver's", () => {
  const p = ok(PUZZLE);
  assertEquals([...solutionTokens(p, tokens(SOLUTION))!], [...tokens(SOLUTION)]);
  const wrong = solutionTokens(p, new Int32Array(81).fill(2))!;
  assert(judgeAnswer(p, wrong).valid, "a solution of the puzzle");
  const mini = ok("12..34....21....");
  assert(judgeAnswer(mini, solutionTokens(mini, new Int32Array(16))!).valid);
  const maze = ok(["#####", "#S  #", "# # #", "#  G#", "#####"].join("\n"));
  const path = solutionTokens(maze, maze.tokens)!;
  assertEquals(
    judgeAnswer(maze, path).text,
    ["#####", "#Soo#", "# #o#", "#  G#", "#####"].join("\n"),
  );
  const walled = ok(["#####", "#S# #", "###G#", "#   #", "#####"].join("\n"));
  assertEquals(solutionTokens(walled, walled.tokens), undefined);
});
