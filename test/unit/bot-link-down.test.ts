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

  /** A watch that settles after `settleMs` up, calls recorded in `calls`. */
  function flapWatch(graceMs: number, settleMs: number) {
    const clock = new FakeClock(1_000);
    const calls: string[] = [];
    const watch = new LinkWatch({
      clock,
      log: new LogLines().logger,
      graceMs: () => graceMs,
      settleMs: () => settleMs,
      raise: async (since, reason, drops) => void calls.push(`raise since ${since} (${reason}) drops ${drops}`),
      clear: async () => void calls.push("clear"),
    });
    return { clock, calls, watch };
  }

  it("a link that keeps coming back and dropping again is raised once its outage lasts the grace", () => {
    // Each connection lives a minute (until the keepalive notices it is dead), the reconnection
    // takes 2 s: no single outage comes near the grace, the link is useless all along.
    const { clock, calls, watch } = flapWatch(5 * 60_000, 120_000);
    const since = clock.now();
    for (let drop = 1; drop <= 5; drop++) {
      watch.offline(`keepalive ${drop}`);
      clock.advance(2_000);
      watch.online();
      clock.advance(60_000);
    }
    assert.deepEqual(calls, [], "down 2 s at a time, 5 min in all: not yet");
    watch.offline("keepalive 6");
    assert.deepEqual(calls, [`raise since ${since} (keepalive 6) drops 6`]);
    for (let drop = 7; drop <= 20; drop++) {
      clock.advance(2_000);
      watch.online();
      clock.advance(60_000);
      watch.offline(`keepalive ${drop}`);
    }
    clock.advance(2_000);
    watch.online();
    clock.advance(119_999);
    assert.equal(calls.length, 1, "raised once; not cleared before the link is steady");
    clock.advance(1);
    assert.deepEqual(calls.slice(1), ["clear"], "cleared once steady");

    // The next flapping (a server kicking the component every 30 s) is a new outage, raised again.
    for (let kick = 1; kick <= 10; kick++) {
      watch.offline(`kicked ${kick}`);
      clock.advance(1_000);
      watch.online();
      clock.advance(30_000);
    }
    watch.offline("kicked 11");
    assert.equal(calls.length, 3);
    assert.match(calls[2]!, /^raise since \d+ \(kicked 11\) drops 11$/);
    watch.stop();
  });

  it("one short reconnect (a server restart) still raises nothing, and an outage past the grace still does", () => {
    const { clock, calls, watch } = flapWatch(60_000, 120_000);
    watch.offline("stream closed");
    clock.advance(2_000);
    watch.online();
    clock.advance(60 * 60_000);
    assert.deepEqual(calls, ["clear"], "back within the grace and steady: no alert");

    const since = clock.now();
    watch.offline("connect ECONNREFUSED");
    clock.advance(60_000);
    assert.deepEqual(calls.slice(1), [`raise since ${since} (connect ECONNREFUSED) drops 1`]);
    watch.online();
    watch.online(); // the same reconnection told twice: still one settling
    clock.advance(120_000);
    assert.deepEqual(calls.slice(2), ["clear"]);

    // Connected at start with an alert left raised by the run before: cleared once steady.
    watch.online();
    clock.advance(120_000);
    assert.deepEqual(calls.slice(3), ["clear"]);
    watch.stop();
  });

  it("says a flapping link is unreliable, not cut off", () => {
    const store = Store.open(":memory:");
    try {
      const source = "alertbot.example.org";
      const down = { source, since: 1_000, reason: "keepalive unanswered", importance: 100, drops: 7 };
      assert.equal(
        store.transaction(() => raiseLinkDown(store, down, 61_000)),
        true,
      );
      const alert = store.alerts.find(source, LINK_DOWN_ALERT_ID)!;
      assert.match(
        alert.summary,
        /link to its XMPP server is unreliable since 1970-01-01T00:00:01\.000Z: it dropped 7 times/,
      );
      assert.match(alert.detail, /keepalive unanswered/);
    } finally {
      store.close();
    }
  });

  it("a raise or a clear that could not be written (the disk full) is tried again while it still holds", async () => {
    const clock = new FakeClock(1_000);
    const calls: string[] = [];
    let failing = 2;
    const attempt = async (what: string): Promise<void> => {
      calls.push(what);
      if (failing-- > 0) throw new Error("disk I/O error");
    };
    const watch = new LinkWatch({
      clock,
      log: new LogLines().logger,
      graceMs: () => 60_000,
      raise: () => attempt("raise"),
      clear: () => attempt("clear"),
    });
    const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    watch.offline("connection lost");
    clock.advance(60_000);
    await settle();
    assert.deepEqual(calls, ["raise"]);
    clock.advance(60_000);
    await settle();
    assert.deepEqual(calls, ["raise", "raise"], "tried again while the link is still down");
    clock.advance(60_000);
    await settle();
    assert.deepEqual(calls, ["raise", "raise", "raise"], "and again, until written");
    clock.advance(10 * 60_000);
    await settle();
    assert.equal(calls.length, 3, "written: not again");
    failing = 1;
    watch.online();
    await settle();
    clock.advance(60_000);
    await settle();
    assert.deepEqual(calls.slice(3), ["clear", "clear"], "the clear is tried again too");
    clock.advance(10 * 60_000);
    await settle();
    assert.equal(calls.length, 5);
    watch.stop();
  });

  it("a raise that failed is not tried again once the link is back", async () => {
    const clock = new FakeClock(1_000);
    const calls: string[] = [];
    const watch = new LinkWatch({
      clock,
      log: new LogLines().logger,
      graceMs: () => 60_000,
      raise: async () => {
        calls.push("raise");
        throw new Error("disk I/O error");
      },
      clear: async () => void calls.push("clear"),
    });
    const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    watch.offline("connection lost");
    clock.advance(60_000);
    await settle();
    watch.online();
    await settle();
    clock.advance(10 * 60_000);
    await settle();
    assert.deepEqual(calls, ["raise", "clear"]);
    watch.stop();
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
