// Live events during a resync: held while the retained items are read, then applied in arrival order.
import assert from "node:assert/strict";
import { LiveEventGate } from "../../src/bot/live-event-gate.js";

function recorder() {
  const applied: string[] = [];
  const errors: unknown[] = [];
  const gate = new LiveEventGate<string>(
    async (item) => {
      await Promise.resolve();
      if (item === "bad") throw new Error("bad item");
      applied.push(item);
    },
    (err) => errors.push(err),
    (item) => item.split(" ")[0]!,
  );
  return { gate, applied, errors };
}

describe("LiveEventGate", () => {
  it("applies at once when no catch-up is under way", async () => {
    const { gate, applied } = recorder();
    await gate.offer("a");
    assert.deepEqual(applied, ["a"]);
  });

  it("holds items during a catch-up and applies them after it, in arrival order", async () => {
    const { gate, applied } = recorder();
    gate.hold();
    await gate.offer("live 9");
    await gate.offer("live 10");
    applied.push("retained 7", "retained 8"); // what the catch-up applies meanwhile
    await gate.release();
    assert.deepEqual(applied, ["retained 7", "retained 8", "live 9", "live 10"]);
    assert.equal(gate.isHolding, false);
  });

  it("keeps holding until the last of overlapping catch-ups ends", async () => {
    const { gate, applied } = recorder();
    gate.hold();
    gate.hold();
    await gate.offer("x");
    await gate.release();
    assert.deepEqual(applied, []);
    await gate.release();
    assert.deepEqual(applied, ["x"]);
  });

  it("items offered while the held ones are applied wait their turn; a failing one is reported and skipped", async () => {
    const { gate, applied, errors } = recorder();
    gate.hold();
    await gate.offer("a");
    await gate.offer("bad");
    const draining = gate.release();
    const late = gate.offer("b");
    await Promise.all([draining, late]);
    assert.deepEqual(applied, ["a", "b"]);
    assert.equal(errors.length, 1);
  });

  it("a catch-up that begins while held items are applied holds the rest", async () => {
    const { gate, applied } = recorder();
    gate.hold();
    for (const item of ["a", "b", "c"]) await gate.offer(item);
    const draining = gate.release();
    gate.hold();
    await draining;
    assert.ok(applied.length < 3, `stopped draining: ${applied.join(",")}`);
    await gate.release();
    assert.deepEqual(applied, ["a", "b", "c"]);
  });

  it("hands a catch-up the held items it takes; the rest are applied at release, in arrival order", async () => {
    const { gate, applied } = recorder();
    gate.hold();
    for (const item of ["web1 9", "db1 4", "web1 10", "db1 5"]) await gate.offer(item);
    const taken = gate.take("web1");
    assert.deepEqual(taken, ["web1 9", "web1 10"]);
    assert.deepEqual(gate.take("web1"), [], "taken once");
    await gate.release();
    assert.deepEqual(applied, ["db1 4", "db1 5"]);
  });

  it("keeps a key's items past the release, in arrival order, until the key is taken or unkept", async () => {
    const { gate, applied } = recorder();
    gate.hold();
    for (const item of ["web1 9", "db1 4"]) await gate.offer(item);
    gate.keep("web1", 1000);
    await gate.release();
    assert.deepEqual(applied, ["db1 4"]);
    for (const item of ["web1 10", "db1 5", "web1 11"]) await gate.offer(item);
    assert.deepEqual(applied, ["db1 4", "db1 5"], "a kept key's items are held with no hold open");
    gate.keep("web1", 2000);
    assert.equal(gate.keptSince().get("web1"), 1000, "kept since the first time");
    await gate.unkeep("web1");
    assert.deepEqual(applied, ["db1 4", "db1 5", "web1 9", "web1 10", "web1 11"]);
    await gate.offer("web1 12");
    assert.equal(applied.at(-1), "web1 12");
  });

  it("a catch-up takes a kept key's items; unkept during a hold, the key's later items wait for the release", async () => {
    const { gate, applied } = recorder();
    gate.keep("web1", 0);
    await gate.offer("web1 9");
    gate.hold();
    assert.deepEqual(gate.take("web1"), ["web1 9"]);
    await gate.unkeep("web1");
    await gate.offer("web1 10");
    assert.deepEqual(applied, []);
    await gate.release();
    assert.deepEqual(applied, ["web1 10"]);
  });

  it("a key unkept while held items are being applied has its items applied in that same drain", async () => {
    const { gate, applied } = recorder();
    gate.keep("web1", 0);
    gate.hold();
    for (const item of ["web1 9", "db1 4", "db1 5"]) await gate.offer(item);
    const draining = gate.release(); // passes over "web1 9" (kept), is applying "db1 4" ...
    await gate.unkeep("web1"); // ... and is told meanwhile that web1 is kept no longer
    await draining;
    assert.deepEqual([...applied].sort(), ["db1 4", "db1 5", "web1 9"]);
    assert.equal(gate.isHolding, false);
  });

  it("a kept key's items stay in arrival order when more come in while others are applied", async () => {
    const applied: string[] = [];
    const gate: LiveEventGate<string> = new LiveEventGate<string>(
      async (item) => {
        await Promise.resolve();
        applied.push(item);
        // Live events that arrive while this one is applied.
        if (item === "db1 1") for (const late of ["web1 2", "db1 2"]) await gate.offer(late);
      },
      (err) => assert.fail(String(err)),
      (item) => item.split(" ")[0]!,
    );
    gate.keep("web1", 0);
    gate.hold();
    for (const item of ["web1 1", "db1 1"]) await gate.offer(item);
    await gate.release();
    assert.deepEqual(applied, ["db1 1", "db1 2"], "offered during the drain, applied in it");
    assert.deepEqual(gate.take("web1"), ["web1 1", "web1 2"]);
    await gate.unkeep("web1");
    assert.deepEqual(gate.take("web1"), [], "taken once");
  });

  it("counts the catch-ups reading a key: it is being read until the last is done", () => {
    const { gate } = recorder();
    gate.reading("web1");
    gate.reading("web1");
    gate.doneReading("web1");
    assert.equal(gate.isBeingRead("web1"), true, "a second pass still reads it");
    gate.doneReading("web1");
    assert.equal(gate.isBeingRead("web1"), false);
    gate.doneReading("web1");
    assert.equal(gate.isBeingRead("web1"), false, "one done too many changes nothing");
    assert.equal(gate.isBeingRead("db1"), false);
  });
});
