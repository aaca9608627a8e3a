// The standby's judgement of whether the active is gone: at once when the server says nobody holds
// the JID (twice in a row), after T when nobody answers at all, never while the active answers.
import assert from "node:assert/strict";
import { ActiveWatch, FREE_CONFIRMATIONS } from "../../src/bot/active-watch.js";
import { FakeClock } from "../../src/clock/fake-clock.js";

const T_MS = 20_000;
const EVERY_MS = 1_000;

function watch(random = () => 0.5) {
  const clock = new FakeClock(1_000_000);
  return { clock, watch: new ActiveWatch({ clock, takeoverAfterMs: T_MS, everyMs: EVERY_MS, random }) };
}

describe("ActiveWatch", () => {
  it("never claims while the active answers, however long it runs", () => {
    const { clock, watch: w } = watch();
    for (let i = 0; i < 1_000; i++) {
      assert.equal(w.observe("answered").claim, false);
      clock.advance(EVERY_MS);
    }
    assert.equal(w.seenActive, true);
  });

  it("claims a free JID on the second 'unavailable' in a row, long before T", () => {
    const { clock, watch: w } = watch();
    w.observe("answered");
    clock.advance(EVERY_MS);
    const first = w.observe("unavailable");
    assert.equal(first.claim, false);
    assert.equal(FREE_CONFIRMATIONS, 2);
    clock.advance(first.claim ? 0 : first.nextPingInMs);
    const second = w.observe("unavailable");
    assert.deepEqual(second, { claim: true, reason: "jid-free", goneForMs: 2_000 });
  });

  it("spreads the confirming ping over half a period to one and a half", () => {
    const low = watch(() => 0).watch.observe("unavailable");
    const high = watch(() => 0.999).watch.observe("unavailable");
    assert.deepEqual(
      [low, high],
      [
        { claim: false, nextPingInMs: 500 },
        { claim: false, nextPingInMs: 1_499 },
      ],
    );
  });

  it("does not count 'unavailable' answers that a silence or an answer came between", () => {
    const { clock, watch: w } = watch();
    for (const outcome of ["unavailable", "no-answer", "unavailable", "answered", "unavailable"] as const) {
      assert.equal(w.observe(outcome).claim, false, outcome);
      clock.advance(EVERY_MS);
    }
  });

  it("claims a silent JID (frozen or cut-off holder) only after T without an answer", () => {
    const { clock, watch: w } = watch();
    w.observe("answered");
    for (let waited = EVERY_MS; waited < T_MS; waited += EVERY_MS) {
      clock.advance(EVERY_MS);
      assert.equal(w.observe("no-answer").claim, false, `after ${waited} ms`);
    }
    clock.advance(EVERY_MS);
    assert.deepEqual(w.observe("no-answer"), { claim: true, reason: "silent-for-takeover-after", goneForMs: T_MS });
  });

  it("counts T from its own start when no active was ever seen", () => {
    const { clock, watch: w } = watch();
    clock.advance(T_MS - 1);
    assert.equal(w.observe("no-answer").claim, false);
    clock.advance(1);
    assert.equal(w.observe("no-answer").claim, true);
    assert.equal(w.seenActive, false);
  });

  it("starts counting again after a refused claim", () => {
    const { clock, watch: w } = watch();
    clock.advance(T_MS);
    assert.equal(w.observe("no-answer").claim, true);
    w.reset();
    clock.advance(EVERY_MS);
    assert.equal(w.observe("no-answer").claim, false);
    assert.equal(w.observe("unavailable").claim, false);
    assert.equal(w.observe("unavailable").claim, true);
  });
});

// The standby's own link down (offline, or a cut nothing closed yet) made every ping fail, and that
// was counted as the active's silence: back after T, the standby kicked a healthy active.
describe("ActiveWatch: the standby's own link", () => {
  it("does not count pings failed by its own cut as the active's silence, and counts T again once back", () => {
    const { clock, watch: w } = watch();
    w.observe("answered");
    for (let waited = 0; waited < 3 * T_MS; waited += EVERY_MS) {
      clock.advance(EVERY_MS);
      assert.equal(w.observe("no-answer", "down").claim, false, `cut for ${waited} ms`);
      assert.equal(w.ownLinkDown, true);
    }
    // Back, and the active still silent (frozen meanwhile, say): T from here, not from the last answer.
    const backAt = clock.now();
    for (let waited = 0; waited < T_MS; waited += EVERY_MS) {
      assert.equal(w.observe("no-answer", "up").claim, false, `back for ${waited} ms`);
      assert.equal(w.ownLinkDown, false);
      clock.advance(EVERY_MS);
    }
    assert.equal(clock.now() - backAt, T_MS);
    assert.deepEqual(w.observe("no-answer", "up"), {
      claim: true,
      reason: "silent-for-takeover-after",
      goneForMs: T_MS,
    });
  });

  it("stays the standby when the active answers once its own link is back", () => {
    const { clock, watch: w } = watch();
    w.observe("answered");
    clock.advance(2 * T_MS);
    assert.equal(w.observe("no-answer", "down").claim, false);
    clock.advance(EVERY_MS);
    assert.deepEqual(w.observe("answered", "up"), { claim: false, nextPingInMs: EVERY_MS });
  });

  it("counts T again after a drop and reconnection between two pings", () => {
    const { clock, watch: w } = watch();
    w.observe("answered");
    clock.advance(T_MS - EVERY_MS);
    assert.equal(w.observe("no-answer", "up").claim, false);
    w.ownLinkLost();
    clock.advance(EVERY_MS);
    assert.equal(w.observe("no-answer", "up").claim, false, "the first round after the reconnection");
    clock.advance(T_MS - 1);
    assert.equal(w.observe("no-answer", "up").claim, false);
    clock.advance(1);
    assert.equal(w.observe("no-answer", "up").claim, true);
  });

  it("still claims at T when the active alone is silent while its own link answers", () => {
    const { clock, watch: w } = watch();
    w.observe("answered");
    for (let waited = EVERY_MS; waited < T_MS; waited += EVERY_MS) {
      clock.advance(EVERY_MS);
      assert.equal(w.observe("no-answer", "up").claim, false, `after ${waited} ms`);
    }
    clock.advance(EVERY_MS);
    assert.deepEqual(w.observe("no-answer", "up"), {
      claim: true,
      reason: "silent-for-takeover-after",
      goneForMs: T_MS,
    });
  });

  it("still claims a free JID at once: the server's 'unavailable' proves its own link", () => {
    const { clock, watch: w } = watch();
    w.observe("answered");
    w.ownLinkLost();
    clock.advance(EVERY_MS);
    assert.equal(w.observe("unavailable", "up").claim, false);
    clock.advance(EVERY_MS);
    assert.equal(w.observe("unavailable", "up").claim, true);
  });
});
