// AlertBot's own alert when cut off from its XMPP server: raised once past the grace, cleared when
// the link is back, written to the store with AlertBot's history lines.
import assert from "node:assert/strict";
import { clearLinkDown, LINK_DOWN_ALERT_ID, LinkWatch, raiseLinkDown } from "../../src/bot/link-down.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { Store } from "../../src/store/store.js";
import { LogLines } from "../helpers/spine.js";

describe("AlertBot's link alert", () => {
  it("is raised once past the grace, not for a short outage, and cleared when the link is back", async () => {
    const clock = new FakeClock(1_000);
    const calls: string[] = [];
    let graceMs = 60_000;
    const watch = new LinkWatch({
      clock,
      log: new LogLines().logger,
      graceMs: () => graceMs,
      raise: async (since, reason) => void calls.push(`raise since ${since} (${reason})`),
      clear: async () => void calls.push("clear"),
    });
    watch.offline("connection lost");
    clock.advance(59_999);
    watch.online(); // back within the grace: nothing raised
    clock.advance(120_000);
    assert.deepEqual(calls, ["clear"]);

    graceMs = 5_000; // read when the link goes down
    const since = clock.now();
    watch.offline("connection closed");
    watch.offline("connect ECONNREFUSED"); // retries failing: the same outage
    clock.advance(5_000);
    clock.advance(60_000);
    watch.online();
    assert.deepEqual(calls, ["clear", `raise since ${since} (connection closed)`, "clear"]);
    watch.offline("connection lost");
    watch.stop();
    clock.advance(60_000);
    assert.equal(calls.length, 3, "nothing after stop");
  });

  it("writes the alert in AlertBot's name and clears it, each once", () => {
    const store = Store.open(":memory:");
    try {
      const source = "alertbot.example.org";
      const down = { source, since: 1_000, reason: "connection lost", importance: 100 };
      assert.equal(
        store.transaction(() => raiseLinkDown(store, down, 61_000)),
        true,
      );
      assert.equal(
        store.transaction(() => raiseLinkDown(store, down, 62_000)),
        false,
        "raised already",
      );
      const alert = store.alerts.find(source, LINK_DOWN_ALERT_ID)!;
      assert.equal(alert.status, "raised");
      assert.equal(alert.importance, 100);
      assert.match(alert.summary, /cut off from its XMPP server since 1970-01-01T00:00:01\.000Z/);
      assert.match(alert.detail, /connection lost/);
      assert.equal(clearLinkDown(store, source, 70_000), true);
      assert.equal(clearLinkDown(store, source, 71_000), false, "cleared already");
      assert.deepEqual(
        store.alerts.history(alert.shortId).map((h) => [h.kind, h.actor]),
        [
          ["raised", "AlertBot"],
          ["cleared", "AlertBot"],
        ],
      );
    } finally {
      store.close();
    }
  });
});
