// A retry loop's failures in the log (src/util/failure-run.ts): the first of a run, and one every
// FAILURE_REMINDER_MS while it lasts, are said out loud; the rest quietly.
import assert from "node:assert/strict";
import { FAILURE_REMINDER_MS, FailureRun } from "../../src/util/failure-run.js";

describe("a run of failures in the log", () => {
  it("is loud at its first failure and once every reminder period while it lasts, quiet between", () => {
    const run = new FailureRun();
    const loudAt: number[] = [];
    // A failure every second for 25 minutes.
    for (let t = 0; t <= 25 * 60_000; t += 1_000) if (run.failed(t).loud) loudAt.push(t);
    assert.deepEqual(loudAt, [0, FAILURE_REMINDER_MS, 2 * FAILURE_REMINDER_MS]);
    assert.deepEqual(run.failed(25 * 60_000 + 1_000), { loud: false, forMs: 25 * 60_000 + 1_000 });
  });

  it("ends at a success, saying how long it lasted; the next failure starts a run of its own", () => {
    const run = new FailureRun();
    assert.equal(run.worked(0), null, "no run to end");
    run.failed(1_000);
    run.failed(6_000);
    assert.deepEqual(run.worked(9_000), { endedAfterMs: 8_000 });
    assert.equal(run.worked(10_000), null, "said once");
    assert.deepEqual(run.failed(11_000), { loud: true, forMs: 0 });
  });
});
