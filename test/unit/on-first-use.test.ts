// A package named with onFirstUse is loaded when first asked for, once, not when its module loads.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onFirstUse } from "../../src/util/on-first-use.js";

describe("onFirstUse", () => {
  it("loads the module at the first call, once, and gives the same one after", () => {
    const dir = mkdtempSync(join(tmpdir(), "mauve-first-use-"));
    const counter = globalThis as { mauveFirstUseLoads?: number };
    try {
      const file = join(dir, "counted.cjs");
      writeFileSync(
        file,
        "globalThis.mauveFirstUseLoads = (globalThis.mauveFirstUseLoads ?? 0) + 1; module.exports = { made: {} };\n",
      );
      counter.mauveFirstUseLoads = 0;
      const counted = onFirstUse<{ made: object }>(file);
      assert.equal(counter.mauveFirstUseLoads, 0, "not loaded until asked for");
      const first = counted();
      assert.equal(counter.mauveFirstUseLoads, 1);
      assert.equal(counted(), first);
      assert.equal(counter.mauveFirstUseLoads, 1, "loaded once");
    } finally {
      delete counter.mauveFirstUseLoads;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
