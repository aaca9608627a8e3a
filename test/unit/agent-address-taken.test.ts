// The agent's own alert when another process keeps taking its address: raised on the second
// replacement in a row, once; cleared when a session has held for REPLACED_STREAK_RESET_MS.
import assert from "node:assert/strict";
import { AddressTaken } from "../../src/agent/address-taken.js";
import { ADDRESS_TAKEN_ALERT_ID } from "../../src/codec/agent-alert-ids.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import type { AgentAlert } from "../../src/codec/build-update.js";
import { REPLACED_STREAK_RESET_MS } from "../../src/xmpp/lifecycle.js";
import { LogLines } from "../helpers/spine.js";

function setUp() {
  const clock = new FakeClock(0);
  const log = new LogLines();
  const changes: AgentAlert[] = [];
  const watch = new AddressTaken({
    clock,
    log: log.logger,
    jid: "web1@example.org",
    source: "web1",
    change: (alerts) => changes.push(...alerts),
  });
  return { clock, log, changes, watch };
}

describe("agent: its address taken by another login", () => {
  it("raises its own alert on the second replacement in a row, once, and says what to do each time", () => {
    const { log, changes, watch } = setUp();
    watch.offline(0);
    watch.offline(1);
    assert.equal(changes.length, 0, "one replacement can be a person looking");
    watch.offline(2);
    watch.online();
    watch.offline(3);
    assert.deepEqual(
      changes.map((c) => [c.id, c.state]),
      [[ADDRESS_TAKEN_ALERT_ID, "raised"]],
    );
    assert.match(changes[0]!.summary!, /another process logs in as web1@example.org/);
    const lines = log.withMsg(
      "another process keeps logging in with this agent's address: two agents share one account?",
    );
    assert.deepEqual(
      lines.map((l) => l["replacedStreak"]),
      [2, 3],
    );
    assert.match(String(lines[0]!["fix"]), /its own XMPP account and source/);
  });

  it("clears it once a session has held, not before", () => {
    const { clock, changes, watch } = setUp();
    watch.offline(2);
    watch.online();
    clock.advance(REPLACED_STREAK_RESET_MS - 1);
    watch.offline(3); // taken again before it held: still raised
    watch.online();
    clock.advance(REPLACED_STREAK_RESET_MS - 1);
    assert.equal(changes.length, 1);
    clock.advance(1);
    assert.deepEqual(changes.at(-1), { id: ADDRESS_TAKEN_ALERT_ID, state: "cleared" });
    watch.offline(2); // a new tug of war: raised again
    assert.deepEqual(changes.at(-1)?.state, "raised");
    watch.stop();
    watch.online();
    watch.stop();
    assert.equal(clock.pendingTimers(), 0);
  });
});
