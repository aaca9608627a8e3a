import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock/fake-clock.js";

describe("FakeClock", () => {
  it("fires timers in due order while advancing", () => {
    const clock = new FakeClock(1_000);
    const fired: string[] = [];
    clock.setTimer(300, () => fired.push("b"));
    clock.setTimer(100, () => fired.push("a"));
    const c = clock.setTimer(200, () => fired.push("cancelled"));
    c.cancel();
    clock.advance(250);
    assert.deepEqual(fired, ["a"]);
    assert.equal(clock.now(), 1_250);
    clock.advance(100);
    assert.deepEqual(fired, ["a", "b"]);
  });

  it("runs timers scheduled by timers within the same advance", () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimer(10, () => {
      fired.push(clock.now());
      clock.setTimer(10, () => fired.push(clock.now()));
    });
    clock.advance(25);
    assert.deepEqual(fired, [10, 20]);
  });
});
