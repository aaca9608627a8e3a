import assert from "node:assert/strict";
import { applyUpdate, ackAlert, fireDue, nextDueAt } from "../../src/alerts/state-machine.js";
import type { AlertState } from "../../src/alerts/types.js";
import { alert, update } from "../helpers/updates.js";

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const sec = (ms: number): number => Math.floor(ms / 1000);
const none = new Map<string, AlertState>();

/** Applies updates in sequence, carrying state between them like the store would. */
function run(...steps: Array<{ at: number; u: ReturnType<typeof update> }>): Map<string, AlertState> {
  let state = new Map<string, AlertState>();
  for (const { at, u } of steps) {
    const next = new Map(state);
    for (const c of applyUpdate(u, state, at, "agent")) next.set(c.after.alertId, c.after);
    state = next;
  }
  return state;
}

describe("alert semantics (Mauve)", () => {
  it("raises now when both raise and clear times are unset", () => {
    const [c] = applyUpdate(update("web1", [alert("disk")]), none, T0, "agent");
    assert.equal(c?.after.status, "raised");
    assert.equal(c?.transition, "raised");
    assert.equal(c?.after.raisedAt, T0);
  });

  it("applies a past raise time now, recording when it really began", () => {
    const [c] = applyUpdate(update("web1", [alert("disk", { raiseTimeS: sec(T0) - 60 })]), none, T0, "agent");
    assert.equal(c?.after.status, "raised");
    assert.equal(c?.after.raisedAt, T0 - 60_000);
  });

  it("treats a time a few seconds ahead as now (sender clock drift)", () => {
    const [c] = applyUpdate(update("web1", [alert("disk", { raiseTimeS: sec(T0) + 3 })]), none, T0, "agent");
    assert.equal(c?.after.status, "raised");
    assert.equal(c?.after.scheduledRaiseAt, null);
  });

  it("schedules a future raise instead of applying it", () => {
    const [c] = applyUpdate(update("web1", [alert("disk", { raiseTimeS: sec(T0) + 600 })]), none, T0, "agent");
    assert.equal(c?.after.status, "cleared");
    assert.equal(c?.transition, null);
    assert.equal(c?.after.scheduledRaiseAt, T0 + 600_000);
    assert.equal(nextDueAt(c.after), T0 + 600_000);
  });

  it("clears a raised alert when the clear time is now", () => {
    const s = run(
      { at: T0, u: update("web1", [alert("disk")]) },
      { at: T0 + 1000, u: update("web1", [alert("disk", { clearTimeS: sec(T0) + 1 })]) },
    );
    assert.equal(s.get("disk")?.status, "cleared");
  });

  it("lets the later of two past times win, and a tie raise", () => {
    const later = applyUpdate(
      update("web1", [alert("a", { raiseTimeS: sec(T0) - 100, clearTimeS: sec(T0) - 50 })]),
      none,
      T0,
      "agent",
    );
    assert.equal(later[0]?.after.status, "cleared");
    const tie = applyUpdate(
      update("web1", [alert("a", { raiseTimeS: sec(T0) - 5, clearTimeS: sec(T0) - 5 })]),
      none,
      T0,
      "agent",
    );
    assert.equal(tie[0]?.after.status, "raised");
  });

  describe("heartbeats (clear now, raise later)", () => {
    const beat = (at: number) =>
      update("web1", [alert("heartbeat", { clearTimeS: sec(at), raiseTimeS: sec(at) + 600 })]);

    it("stays clear while refreshed before it fires", () => {
      const hb = run({ at: T0, u: beat(T0) }, { at: T0 + 300_000, u: beat(T0 + 300_000) }).get("heartbeat")!;
      assert.equal(hb.status, "cleared");
      assert.equal(hb.scheduledRaiseAt, T0 + 900_000, "the refresh replaces the earlier schedule");
      assert.equal(fireDue(hb, T0 + 600_000), null, "the superseded schedule does not fire");
    });

    it("raises when the heartbeat stops", () => {
      const hb = run({ at: T0, u: beat(T0) }).get("heartbeat")!;
      const fired = fireDue(hb, T0 + 600_000);
      assert.equal(fired?.transition, "raised");
      assert.equal(fired?.after.status, "raised");
      assert.equal(fired?.after.scheduledRaiseAt, null);
      assert.equal(fired?.after.raisedAt, T0 + 600_000);
    });

    it("writes a history line when the switch is armed, none for a heartbeat that only moves it on", () => {
      const [first] = applyUpdate(beat(T0), none, T0, "agent");
      assert.deepEqual(
        first?.events.map((e) => e.kind),
        ["scheduled"],
      );
      const [refresh] = applyUpdate(beat(T0 + 60_000), new Map([["heartbeat", first.after]]), T0 + 60_000, "agent");
      assert.equal(refresh?.after.scheduledRaiseAt, T0 + 660_000, "the refresh still moves the switch on");
      assert.deepEqual(refresh?.events, [], "a heartbeat that changes nothing a person sees is not history");
      const raised = fireDue(refresh.after, T0 + 660_000)!.after;
      const [back] = applyUpdate(beat(T0 + 700_000), new Map([["heartbeat", raised]]), T0 + 700_000, "agent");
      assert.deepEqual(
        back?.events.map((e) => e.kind),
        ["scheduled", "cleared"],
        "re-arming after the switch fired is a change",
      );
    });

    it("clears again when the heartbeat comes back", () => {
      const hb = run({ at: T0, u: beat(T0) }).get("heartbeat")!;
      const raised = fireDue(hb, T0 + 600_000)!.after;
      const [c] = applyUpdate(beat(T0 + 700_000), new Map([["heartbeat", raised]]), T0 + 700_000, "agent");
      assert.equal(c?.transition, "cleared");
    });
  });

  describe("replace", () => {
    it("clears every other alert of the source", () => {
      const s = run(
        { at: T0, u: update("web1", [alert("a"), alert("b"), alert("c")]) },
        { at: T0 + 1000, u: update("web1", [alert("b")], { replace: true }) },
      );
      assert.deepEqual(
        [...s.values()].map((a) => [a.alertId, a.status]),
        [
          ["a", "cleared"],
          ["b", "raised"],
          ["c", "cleared"],
        ],
      );
    });

    it("with no alerts clears the whole source, and a pending raise of a cleared alert survives it", () => {
      const before = run({
        at: T0,
        u: update("web1", [alert("a"), alert("hb", { clearTimeS: sec(T0), raiseTimeS: sec(T0) + 600 })]),
      });
      const changes = applyUpdate(update("web1", [], { replace: true }), before, T0 + 1000, "agent");
      const after = new Map(changes.map((c) => [c.after.alertId, c.after]));
      assert.equal(after.get("a")?.status, "cleared");
      assert.equal(changes.find((c) => c.after.alertId === "a")?.transition, "cleared");
      assert.equal(after.has("hb"), false, "Mauve: clear! unless cleared? leaves a cleared alert alone");
    });

    it("does not disarm a heartbeat: a `mauvesend -p` from the same source, then the heartbeat stops", () => {
      const beat = update("web1", [alert("heartbeat", { clearTimeS: sec(T0), raiseTimeS: sec(T0) + 600 })]);
      const s = run(
        { at: T0, u: beat },
        { at: T0 + 60_000, u: update("web1", [alert("backup")], { replace: true }) },
        { at: T0 + 120_000, u: update("web1", [], { replace: true }) },
      );
      const hb = s.get("heartbeat")!;
      assert.equal(hb.scheduledRaiseAt, T0 + 600_000, "the replace kept the dead-man switch armed");
      assert.equal(fireDue(hb, T0 + 600_000)?.transition, "raised");
    });

    it("spends a raised alert's pending clear but keeps its pending raise, as Mauve's clear!", () => {
      const raised: AlertState = {
        ...run({ at: T0, u: update("web1", [alert("a", { clearTimeS: sec(T0) + 900 })]) }).get("a")!,
        status: "raised",
        raisedAt: T0,
        scheduledRaiseAt: T0 + 1_200_000,
      };
      const [c] = applyUpdate(update("web1", [], { replace: true }), new Map([["a", raised]]), T0 + 1000, "agent");
      assert.equal(c?.transition, "cleared");
      assert.equal(c?.after.scheduledClearAt, null);
      assert.equal(c?.after.scheduledRaiseAt, T0 + 1_200_000);
    });

    it("leaves a cleared alert's pending raise and clear alone", () => {
      const s = run({
        at: T0,
        u: update("web1", [alert("w", { raiseTimeS: sec(T0) + 300, clearTimeS: sec(T0) + 900 })]),
      });
      const changes = applyUpdate(update("web1", [alert("other")], { replace: true }), s, T0 + 1000, "agent");
      assert.deepEqual(
        changes.map((c) => c.after.alertId),
        ["other"],
      );
    });
  });

  describe("fields", () => {
    it("does not overwrite with empty text, and keeps importance on 0", () => {
      const s = run(
        {
          at: T0,
          u: update("web1", [alert("a", { subject: "db1", summary: "slow", detail: "<p>x</p>", importance: 80 })]),
        },
        { at: T0 + 1000, u: update("web1", [alert("a")]) },
      );
      const a = s.get("a")!;
      assert.deepEqual([a.subject, a.summary, a.detail, a.importance], ["db1", "slow", "<p>x</p>", 80]);
    });

    it("falls back to the source for the subject, and to importance 50", () => {
      const [c] = applyUpdate(update("web1", [alert("a")]), none, T0, "agent");
      assert.equal(c?.after.subject, "web1");
      assert.equal(c?.after.importance, 50);
    });

    it("records an update event when the text changes on a raised alert", () => {
      const s = run({ at: T0, u: update("web1", [alert("a", { summary: "one" })]) });
      const [c] = applyUpdate(update("web1", [alert("a", { summary: "two" })]), s, T0 + 1, "agent");
      assert.equal(c?.transition, null);
      assert.deepEqual(
        c?.events.map((e) => e.kind),
        ["updated"],
      );
    });
  });

  describe("clock skew", () => {
    it("shifts the update's times by reception minus transmission time", () => {
      // The sender's clock is one hour behind: its "now + 10m" is our "now + 10m".
      const senderNow = sec(T0) - 3600;
      const u = update(
        "web1",
        [alert("hb", { clearTimeS: senderNow, raiseTimeS: senderNow + 600, suppressUntilS: senderNow + 120 })],
        {
          transmissionTimeS: senderNow,
        },
      );
      const [c] = applyUpdate(u, none, T0, "agent");
      assert.equal(c?.after.scheduledRaiseAt, T0 + 600_000);
      const raise = update("web1", [alert("r", { raiseTimeS: senderNow, suppressUntilS: senderNow + 120 })], {
        transmissionTimeS: senderNow,
      });
      assert.equal(applyUpdate(raise, none, T0, "agent")[0]?.after.suppressUntil, T0 + 120_000);
    });

    it("a time in the far past from a clock running ahead still applies now, as in Mauve", () => {
      // Shifted by the skew, `-r 1` (UNIX second 1) from a clock an hour ahead lands before 1970:
      // still a time in the past, not an unset one that left the update without effect.
      const ahead = { transmissionTimeS: sec(T0) + 3600 };
      const [raised] = applyUpdate(update("web1", [alert("r", { raiseTimeS: 1 })], ahead), none, T0, "agent");
      assert.equal(raised?.after.status, "raised");
      assert.equal(raised?.transition, "raised");
      const s = run(
        { at: T0, u: update("web1", [alert("c")]) },
        { at: T0 + 1000, u: update("web1", [alert("c", { clearTimeS: 1 })], ahead) },
      );
      assert.equal(s.get("c")?.status, "cleared");
    });

    it("without transmission_time, takes times as they are", () => {
      const u = update("web1", [alert("x", { raiseTimeS: sec(T0) + 3600 })]);
      assert.equal(applyUpdate(u, none, T0, "agent")[0]?.after.scheduledRaiseAt, T0 + 3_600_000);
    });
  });

  it("keeps suppress_until for the policy, which is asked to look at the raise at once", () => {
    const [c] = applyUpdate(update("web1", [alert("a", { suppressUntilS: sec(T0) + 900 })]), none, T0, "agent");
    assert.equal(c?.after.suppressUntil, T0 + 900_000);
    assert.equal(nextDueAt(c.after), T0);
  });

  describe("suppress_until (Mauve's test_recieve_update_with_suppression)", () => {
    const MIN = 60_000;
    const raiseAt = (at: number, suppressMs: number) =>
      update("test-host", [
        alert("a", { raiseTimeS: sec(at), suppressUntilS: suppressMs > 0 ? sec(at + suppressMs) : 0 }),
      ]);
    const clearAt = (at: number, suppressMs: number) =>
      update("test-host", [
        alert("a", { clearTimeS: sec(at), suppressUntilS: suppressMs > 0 ? sec(at + suppressMs) : 0 }),
      ]);

    it("is set once by the state change, not moved on by repeats, and set again only by the next change", () => {
      let state = new Map<string, AlertState>();
      let now = T0;
      const send = (u: ReturnType<typeof update>): AlertState => {
        for (const c of applyUpdate(u, state, now, "agent")) state = new Map(state).set(c.after.alertId, c.after);
        return state.get("a")!;
      };
      const suppressed = (a: AlertState): boolean => a.suppressUntil !== null && a.suppressUntil > now;

      // Raised every 2 minutes with "-e +10m": set by the first, kept by the others.
      let expected = T0 + 10 * MIN;
      for (let i = 0; i < 5; i++, now += 2 * MIN) {
        const a = send(raiseAt(now, 10 * MIN));
        assert.equal(a.status, "raised");
        assert.ok(suppressed(a), `repeat ${i} is suppressed`);
        assert.equal(a.suppressUntil, expected, `repeat ${i} did not move suppress_until`);
      }
      assert.equal(now, expected, "ten minutes have passed");
      // Still raised, suppression over: repeats do not set it again.
      for (let i = 0; i < 5; i++, now += 2 * MIN) {
        const a = send(raiseAt(now, 10 * MIN));
        assert.equal(a.suppressUntil, expected);
        assert.ok(!suppressed(a));
      }
      // The clear is a state change: set afresh.
      expected = now + 10 * MIN;
      assert.equal(send(clearAt(now, 10 * MIN)).suppressUntil, expected);
      now += 2 * MIN;
      // A raise while still suppressed does not move it.
      for (let i = 0; i < 4; i++, now += 2 * MIN) {
        const a = send(raiseAt(now, 10 * MIN));
        assert.equal(a.status, "raised");
        assert.ok(suppressed(a));
        assert.equal(a.suppressUntil, expected);
      }
      assert.equal(now, expected);
      assert.equal(send(raiseAt(now, 10 * MIN)).suppressUntil, expected, "raised and no change: not moved on");
      // A clear without suppress_until ends it.
      const cleared = send(clearAt(now, 0));
      assert.equal(cleared.status, "cleared");
      assert.equal(cleared.suppressUntil, null);
    });

    it("a raise resent every few seconds with -e +12s is heard once the first 12 s have passed", () => {
      let state = new Map<string, AlertState>();
      for (let at = T0; at <= T0 + 60_000; at += 5_000) {
        for (const c of applyUpdate(raiseAt(at, 12_000), state, at, "agent")) state = new Map(state).set("a", c.after);
      }
      assert.equal(state.get("a")?.suppressUntil, T0 + 12_000);
    });

    it("a heartbeat's suppress_until does not hold back the raise its silence causes later", () => {
      const beat = (at: number) =>
        update("web1", [
          alert("hb", { clearTimeS: sec(at), raiseTimeS: sec(at) + 600, suppressUntilS: sec(at) + 1200 }),
        ]);
      const hb = run({ at: T0, u: beat(T0) }, { at: T0 + 300_000, u: beat(T0 + 300_000) }).get("hb")!;
      assert.equal(hb.suppressUntil, null, "no state change, so nothing to hold back");
    });
  });

  describe("acks", () => {
    const raised = () => run({ at: T0, u: update("web1", [alert("a")]) }).get("a")!;

    it("acks a raised alert until a time and refuses a cleared one", () => {
      const r = ackAlert(raised(), { by: "alice", at: T0, until: T0 + 3_600_000, note: "rebooting" });
      assert.ok(r.ok);
      assert.match(r.event.detail, /because rebooting/);
      const cleared = { ...raised(), status: "cleared" as const };
      assert.deepEqual(ackAlert(cleared, { by: "a", at: T0, until: T0 + 1, note: "" }), {
        ok: false,
        reason: "not-raised",
      });
    });

    it("expires into a re-raise that tells people afresh", () => {
      const r = ackAlert({ ...raised(), policyDueAt: null }, { by: "alice", at: T0, until: T0 + 3_600_000, note: "" });
      assert.ok(r.ok);
      assert.equal(r.after.policyDueAt, T0, "the policy must hear of the ack");
      const settled = { ...r.after, policyDueAt: null };
      assert.equal(nextDueAt(settled), T0 + 3_600_000);
      assert.equal(fireDue(settled, T0 + 3_599_999), null);
      const expired = fireDue(settled, T0 + 3_600_000);
      assert.equal(expired?.transition, "raised");
      assert.equal(expired?.after.ack, null);
      assert.equal(expired?.after.policyDueAt, T0 + 3_600_000, "the policy must tell people afresh");
      assert.deepEqual(
        expired?.events.map((e) => e.kind),
        ["ack-expired"],
      );
    });

    it("is ended by a clear, and a new raise starts unacked", () => {
      const r = ackAlert(raised(), { by: "alice", at: T0, until: T0 + 3_600_000, note: "" });
      assert.ok(r.ok);
      const [cleared] = applyUpdate(
        update("web1", [alert("a", { clearTimeS: sec(T0) })]),
        new Map([["a", r.after]]),
        T0 + 1000,
        "agent",
      );
      assert.equal(cleared?.after.ack, null);
      const [again] = applyUpdate(update("web1", [alert("a")]), new Map([["a", cleared.after]]), T0 + 2000, "agent");
      assert.equal(again?.transition, "raised");
      assert.equal(again?.after.ack, null);
    });
  });

  it("folds several mentions of one alert in an update into one change", () => {
    const u = update("web1", [alert("a"), alert("a", { clearTimeS: sec(T0) })]);
    const changes = applyUpdate(u, none, T0, "agent");
    assert.equal(changes.length, 1);
    assert.equal(changes[0]?.after.status, "cleared");
    assert.equal(changes[0]?.transition, null, "raised and cleared within one moment: nothing to tell");
  });
});
