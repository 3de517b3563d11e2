/**
 * Local stand-in for `@std/testing/bdd` over `node:test`, which `deno test` runs. Exports the
 * std names hrm uses; switching to JSR is one line in deno.json.
 *
 * @module
 */
import { after, afterEach, before, beforeEach, describe, it } from "node:test";

export { after as afterAll, afterEach, before as beforeAll, beforeEach, describe, it };
