// Which task a dataset holds, from its sizes (and labels where sizes are ambiguous).
import { assertEquals } from "@std/assert";
import { inferTask } from "../../lib/eval/trace.ts";

Deno.test("inferTask: sudoku 9×9 and 4×4, maze, ARC; a 4×4 maze is not a 4×4 Sudoku", () => {
  assertEquals(inferTask(11, 81), "sudoku");
  assertEquals(inferTask(6, 900), "maze");
  assertEquals(inferTask(12, 900), "arc");
  assertEquals(inferTask(6, 16, [2, 3, 4, 5, 3, 2]), "sudoku"); // solutions: digits only
  assertEquals(inferTask(6, 16, [1, 2, 3, 5, 4, 2]), "maze"); // walls (token 1) in labels
  assertEquals(inferTask(6, 16), "maze");
  assertEquals(inferTask(7, 20), "unknown");
});
