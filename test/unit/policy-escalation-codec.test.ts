// The stored form of an escalation state: compact, exact, and readable from what older code stored.
import assert from "node:assert/strict";
import type { EscalationState } from "../../src/policy/escalation.js";
import { decodeEscalation, encodeEscalation, EscalationCodecError } from "../../src/policy/escalation-codec.js";

const T0 = Date.parse("2026-01-05T10:00:00Z");

const told: EscalationState = {
  version: 1,
  raisedAt: T0,
  level: "normal",
  workgroup: "ops",
  round: 0,
  startKind: "raised",
  startedAt: T0,
  nextStep: 1,
  notified: [{ person: "alice", round: 0, lastAt: T0, reminders: 0, tiers: null }],
  ack: null,
  held: null,
};

const busy: EscalationState = {
  version: 1,
  raisedAt: T0,
  level: "urgent",
  workgroup: "dba",
  round: 2,
  startKind: "ack-expired",
  expiredAckBy: "bob",
  startedAt: null,
  nextStep: 3,
  notified: [
    { person: "alice", round: 1, lastAt: T0 + 60_000, reminders: 2, tiers: [["xmpp"], ["email", "sms"]] },
    { person: "bob", round: 2, lastAt: T0 + 7_200_000, reminders: 0, onCallStep: 0 },
  ],
  ack: { by: "bob", at: T0 + 600_000, until: T0 + 4_200_000 },
  held: { reason: "silenced", since: T0 + 9_000_000 },
};

/** Through the store: encoded, written as JSON text, read back. */
const stored = (s: EscalationState): unknown => JSON.parse(JSON.stringify(encodeEscalation(s)));

describe("policy: the stored form of an escalation state", () => {
  it("comes back exactly, absent fields absent and nulls null", () => {
    for (const state of [told, busy, { ...told, expiredAckBy: null }]) {
      assert.deepEqual(decodeEscalation(stored(state)), state);
    }
    assert.equal("tiers" in decodeEscalation(stored(busy))!.notified[1]!, false, "a missing tiers stays missing");
    assert.equal("expiredAckBy" in decodeEscalation(stored(told))!, false);
    assert.equal("onCallStep" in decodeEscalation(stored(told))!.notified[0]!, false, "named: no step kept");
    assert.deepEqual(decodeEscalation(stored(busy))!.notified[1]!.onCallStep, 0, "step 0 is kept, not read as absent");
  });

  it("reads a state stored as an object by earlier versions, and no state as null", () => {
    assert.deepEqual(decodeEscalation(JSON.parse(JSON.stringify(busy))), busy);
    assert.equal(decodeEscalation(null), null);
  });

  it("is well under half the size of the object form", () => {
    const compact = JSON.stringify(encodeEscalation(told)).length;
    const object = JSON.stringify(told).length;
    assert.ok(compact * 2 < object, `${compact} bytes against ${object}`);
  });

  it("refuses a form it does not know, saying what it found", () => {
    assert.throws(() => decodeEscalation([3, T0]), EscalationCodecError);
    assert.throws(() => decodeEscalation([2, T0, "normal"]), /unknown escalation state form: \[2,/);
  });
});
