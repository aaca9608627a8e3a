import assert from "node:assert/strict";
import { PublishGate } from "../../src/agent/publish-gate.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { createLogger } from "../../src/log.js";

describe("agent: when the outbox may drain", () => {
  let clock: FakeClock;
  let state: string[];
  const make = () =>
    new PublishGate({
      clock,
      log: createLogger({ level: "error" }),
      botWaitMs: 60_000,
      open: () => state.push("open"),
      close: () => state.push("closed"),
    });
  const last = () => state.at(-1);

  beforeEach(() => {
    clock = new FakeClock();
    state = [];
  });

  it("opens only when online, with the node ready and AlertBot present", () => {
    const gate = make();
    gate.sessionUp(true);
    gate.nodeIsReady();
    assert.equal(last(), "closed");
    gate.botPresence(true);
    assert.equal(last(), "open");
    gate.sessionDown();
    assert.equal(last(), "closed");
  });

  it("after a fresh login waits for AlertBot again; a resumed session carries on", () => {
    const gate = make();
    gate.sessionUp(true);
    gate.nodeIsReady();
    gate.botPresence(true);
    gate.sessionDown();
    gate.sessionUp(false);
    assert.equal(last(), "open", "XEP-0198 resumption: presence and node survived");
    gate.sessionDown();
    gate.sessionUp(true);
    gate.nodeIsReady();
    assert.equal(last(), "closed");
    gate.botPresence(true);
    assert.equal(last(), "open");
  });

  it("publishes anyway when AlertBot stays silent for the wait, and after it leaves for as long", () => {
    const gate = make();
    gate.sessionUp(true);
    gate.nodeIsReady();
    clock.advance(59_999);
    assert.equal(last(), "closed");
    clock.advance(1);
    assert.equal(last(), "open");
    gate.botPresence(false);
    assert.equal(last(), "closed");
    clock.advance(60_000);
    assert.equal(last(), "open");
    gate.stop();
  });
});
