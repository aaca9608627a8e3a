import assert from "node:assert/strict";
import { coalescingRunner } from "../../src/util/batching.js";

describe("coalescingRunner", () => {
  it("never overlaps runs, and runs once more for calls made during a run", async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const run = coalescingRunner(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs++;
      await new Promise((r) => setImmediate(r));
      active--;
    });
    const first = run();
    const calls = [run(), run(), run()];
    await Promise.all([first, ...calls]);
    assert.equal(maxActive, 1);
    assert.equal(runs, 2, "three calls during the first run coalesce into one more");
    await run();
    assert.equal(runs, 3);
  });

  it("stops going round when told to, and recovers after a failing job", async () => {
    let runs = 0;
    let fail = true;
    const run = coalescingRunner(
      async () => {
        runs++;
        if (fail) throw new Error("boom");
      },
      () => false,
    );
    const p = run();
    const second = run();
    await assert.rejects(second, /boom/, "a call made during the run shares its outcome");
    await assert.rejects(p, /boom/);
    assert.equal(runs, 1);
    fail = false;
    await run();
    assert.equal(runs, 2);
  });
});
