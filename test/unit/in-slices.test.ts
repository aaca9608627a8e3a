// Work over every open alert walks them a slice at a time with a turn of the event loop between
// slices (src/util/batching.ts): what arrives meanwhile runs first, and a stop ends the walk.
import assert from "node:assert/strict";
import { eachSlice, inSlices } from "../../src/util/batching.js";

/** Rows keyed 1..n, read by key as the store reads them (`short_id > after ORDER BY short_id LIMIT`). */
const readOf =
  (n: number) =>
  (after: number, limit: number): number[] =>
    Array.from({ length: Math.max(0, Math.min(limit, n - after)) }, (_, i) => after + i + 1);

describe("inSlices and eachSlice", () => {
  it("hands every row over once, in order, a slice at a time, and a short slice is the last", async () => {
    for (const n of [0, 1, 999, 1_000, 1_001, 2_500]) {
      const slices: number[][] = [];
      const done = await eachSlice(
        readOf(n),
        1_000,
        (k) => k,
        (slice) => slices.push([...slice]),
      );
      assert.equal(done, true);
      assert.deepEqual(slices.flat(), readOf(n)(0, n), `n = ${n}`);
      assert.ok(
        slices.slice(0, -1).every((s) => s.length === 1_000),
        `n = ${n}: only the last slice is short`,
      );
    }
  });

  it("lets what arrived meanwhile run between two slices, not within one", async () => {
    const seen: string[] = [];
    const walk = eachSlice(
      readOf(3),
      1,
      (k) => k,
      (slice) => {
        seen.push(`slice ${slice.join()}`);
        if (slice[0] === 1) setImmediate(() => seen.push("a person's command"));
      },
    );
    await walk;
    assert.deepEqual(seen, ["slice 1", "a person's command", "slice 2", "slice 3", "slice "]);
  });

  it("ends between two slices once stopped, saying it did not finish", async () => {
    let stopped = false;
    const steps: number[] = [];
    const done = await inSlices(
      (after) => {
        steps.push(after);
        if (after === 2) stopped = true;
        return after < 10 ? after + 1 : null;
      },
      () => stopped,
    );
    assert.equal(done, false);
    assert.deepEqual(steps, [0, 1, 2]);
  });

  it("takes no turn when the first slice is the last", async () => {
    let other = false;
    setImmediate(() => (other = true));
    assert.equal(await inSlices(() => null), true);
    assert.equal(other, false, "nothing else ran: the walk was one slice");
  });
});
