// One retry timer per key, with its own back-off (AlertBot's adoption retries and presence re-asks).
import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { BackoffTimers } from "../../src/util/backoff.js";

describe("BackoffTimers", () => {
  const options = { initialDelayMs: 1000, maxDelayMs: 8000 };
  // random() = 0.5 puts each delay at three quarters of its step: 750, 1500, 3000, 6000, 6000 ms.
  function setup() {
    const clock = new FakeClock(0);
    const runs: string[] = [];
    const timers = new BackoffTimers<string>(clock, options, () => 0.5);
    const schedule = (key: string) => timers.schedule(key, () => runs.push(key));
    return { clock, runs, timers, schedule };
  }

  it("runs a key after a delay that doubles with each attempt, up to the ceiling", () => {
    const { clock, runs, schedule } = setup();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const next = schedule("alice")!;
      assert.equal(next.attempt, i + 1);
      delays.push(next.delayMs);
      clock.advance(next.delayMs - 1);
      assert.equal(runs.length, i, "not before its delay");
      clock.advance(1);
      assert.equal(runs.length, i + 1);
    }
    assert.deepEqual(delays, [750, 1500, 3000, 6000, 6000]);
  });

  it("one waiting run per key however often it is asked for; keys are independent", () => {
    const { clock, runs, schedule } = setup();
    assert.ok(schedule("alice"));
    assert.equal(schedule("alice"), undefined, "already waiting");
    assert.equal(schedule("bob")!.attempt, 1, "bob's back-off is his own");
    clock.advance(10_000);
    assert.deepEqual(runs.sort(), ["alice", "bob"]);
  });

  it("a key that succeeded starts again from the first delay; its waiting run still runs", () => {
    const { clock, runs, timers, schedule } = setup();
    schedule("alice");
    clock.advance(750);
    schedule("alice");
    timers.succeeded("alice");
    clock.advance(1500);
    assert.equal(runs.length, 2);
    assert.deepEqual(schedule("alice"), { delayMs: 750, attempt: 1 });
  });

  it("cancel forgets a key: nothing runs, and its back-off starts afresh; stop cancels all", () => {
    const { clock, runs, timers, schedule } = setup();
    schedule("alice");
    clock.advance(750);
    schedule("alice");
    timers.cancel("alice");
    clock.advance(60_000);
    assert.deepEqual(runs, ["alice"]);
    assert.equal(schedule("alice")!.attempt, 1);
    schedule("bob");
    timers.stop();
    clock.advance(60_000);
    assert.deepEqual(runs, ["alice"]);
  });
});
