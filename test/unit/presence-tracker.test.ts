import assert from "node:assert/strict";
import { PresenceTracker } from "../../src/bot/presence-tracker.js";

const at = (from: string, type: "available" | "unavailable", extra: object = {}) => ({
  from,
  to: "alertbot.example.org",
  type,
  ...extra,
});

describe("PresenceTracker", () => {
  it("is unknown before anything is heard, then follows resources", () => {
    let now = 1000;
    const t = new PresenceTracker(() => now);
    assert.equal(t.status("alice@example.org"), "unknown");
    t.update(at("alice@example.org/phone", "available", { show: "away" }));
    assert.equal(t.status("alice@example.org"), "away");
    now = 2000;
    t.update(at("alice@example.org/laptop", "available"));
    assert.equal(t.status("alice@example.org"), "online");
    assert.equal(t.since("alice@example.org"), 2000);
    t.update(at("alice@example.org/laptop", "unavailable"));
    assert.equal(t.status("alice@example.org"), "away");
    t.update(at("alice@example.org/phone", "unavailable"));
    assert.equal(t.status("alice@example.org"), "offline");
  });

  it("ignores resources with negative priority (they take no messages)", () => {
    const t = new PresenceTracker(() => 0);
    t.update(at("bob@example.org/bot", "available", { priority: -1 }));
    assert.equal(t.status("bob@example.org"), "offline");
  });

  it("forgets everyone when AlertBot's stream is gone, and learns them again as heard", () => {
    let now = 1000;
    const t = new PresenceTracker(() => now);
    t.update(at("alice@example.org/phone", "available"));
    t.update(at("bob@example.org/phone", "unavailable"));
    now = 5000;
    t.forgetAll();
    assert.equal(t.status("alice@example.org"), "unknown");
    assert.equal(t.status("bob@example.org"), "unknown");
    assert.equal(t.since("alice@example.org"), 5000);
    t.update(at("alice@example.org/phone", "available"));
    assert.equal(t.status("alice@example.org"), "online");
  });
});
