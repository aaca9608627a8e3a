import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadBotConfig } from "../../src/config/bot-config.js";
import { planChannels, type Presence, type Delivery } from "../../src/policy/delivery.js";
import { escalate } from "../../src/policy/escalation.js";
import { findPerson } from "../../src/policy/on-call.js";
import { classify } from "../../src/policy/matcher.js";
import { DIGEST_HINT, planOutbox, type OutboxPlan, type SentRecord } from "../../src/policy/storm.js";
import type { Level, Person } from "../../src/policy/types.js";

const team = loadBotConfig(readFileSync(new URL("../fixtures/config/policy-team.yaml", import.meta.url), "utf8"), {
  file: "policy-team.yaml",
});
const person = (name: string): Person => findPerson(team.people, name) ?? assert.fail(name);
const M = 60_000;
const NOW = Date.parse("2026-01-05T10:00:00Z");

describe("policy: channels by presence", () => {
  const table: Array<[string, Level, Presence, string]> = [
    ["alice", "urgent", "online", "xmpp | 5m sms | 10m email"],
    ["alice", "urgent", "away", "xmpp | 5m sms | 10m email"],
    ["alice", "urgent", "offline", "sms | 5m email"],
    ["alice", "urgent", "unknown", "sms | 5m email"],
    ["alice", "low", "online", "email_digest"],
    ["carol", "urgent", "online", "xmpp+sms"],
    ["carol", "urgent", "offline", "sms"],
    ["erin", "urgent", "online", "xmpp | 10m sms"], // her own fallback_after
    ["frank", "urgent", "offline", "xmpp"], // nothing else to try: the server keeps it for when they return
  ];
  for (const [name, level, presence, expected] of table) {
    it(`${name}, ${level}, ${presence}: ${expected}`, () => {
      const plan = planChannels(person(name), level, presence);
      const shown = [
        plan.channels.join("+"),
        ...plan.fallbacks.map((f) => `${f.after / M}m ${f.channels.join("+")}`),
      ].join(" | ");
      assert.equal(shown, expected);
    });
  }

  it("takes a step's channels instead, unless the person has none of them", () => {
    assert.deepEqual(planChannels(person("erin"), "urgent", "online", { tiers: [["sms"]] }), {
      channels: ["sms"],
      fallbacks: [],
    });
    // bob has no phone: his own urgent preference applies instead.
    assert.deepEqual(planChannels(person("bob"), "urgent", "online", { tiers: [["sms"]] }), {
      channels: ["xmpp"],
      fallbacks: [{ after: 5 * M, channels: ["email"] }],
    });
    assert.deepEqual(planChannels(person("alice"), "urgent", "online", { fallbacks: false }), {
      channels: ["xmpp"],
      fallbacks: [],
    });
  });
});

function delivery(
  shortId: number,
  level: Level = "normal",
  kind: Delivery["kind"] = "raised",
  channels: Delivery["channels"] = ["xmpp"],
): Delivery {
  return { person: "alice", kind, level, shortId, channels, fallbacks: [], why: "test" };
}

/** Every pending delivery ends up in exactly one place: nothing is silently dropped. */
function assertAccounted(pending: readonly Delivery[], plan: OutboxPlan): void {
  const out = [...plan.send, ...(plan.digest?.items ?? []), ...plan.keep];
  assert.equal(out.length, pending.length);
  for (const d of pending) assert.ok(out.includes(d));
}

describe("policy: storms and rate limits", () => {
  it("sends a few notifications one by one, most important first", () => {
    const pending = [delivery(1, "low"), delivery(2, "urgent")];
    const plan = planOutbox(pending, [], NOW, team.storm);
    assert.deepEqual(
      plan.send.map((d) => d.shortId),
      [2, 1],
    );
    assert.equal(plan.digest, null);
    assertAccounted(pending, plan);
  });

  it("turns a storm of 50 alerts for one person into one digest with the most important few", () => {
    const deliveries = Array.from({ length: 50 }, (_, i) => {
      const alert = {
        shortId: 100 + i,
        source: `web${i}`,
        alertId: "http",
        subject: `web${i}`,
        importance: i % 10 === 7 ? 250 : 50,
        status: "raised" as const,
        raisedAt: NOW,
        suppressUntil: null,
        ack: null,
      };
      return escalate({
        alert,
        classification: classify(team.rules, alert),
        state: null,
        now: NOW,
        policy: team,
        presence: () => "online",
      }).deliveries;
    }).flat();
    assert.equal(deliveries.length, 50);
    const plan = planOutbox(deliveries, [], NOW, team.storm);
    assert.deepEqual(plan.send, []);
    assert.equal(plan.digest?.count, 50);
    assert.deepEqual(
      plan.digest?.top.map((d) => `${d.shortId} ${d.level}`),
      ["107 urgent", "117 urgent", "127 urgent"],
    );
    assert.equal(plan.digest?.hint, DIGEST_HINT);
    assert.equal(plan.digest?.hint, "say show to see the rest");
    // It goes the way its most urgent item would, fallbacks included.
    assert.deepEqual(
      [plan.digest?.level, plan.digest?.channels, plan.digest?.fallbacks.length],
      ["urgent", ["xmpp"], 2],
    );
    assertAccounted(deliveries, plan);
  });

  it("holds everything when the limit is used up, until the oldest send ages out", () => {
    const history: SentRecord[] = [1, 2, 3, 4, 5].map((m) => ({ at: NOW - m * M, kind: "single" }));
    const pending = [delivery(1, "urgent")];
    const plan = planOutbox(pending, history, NOW, team.storm);
    assert.deepEqual([plan.send, plan.digest, plan.holdUntil], [[], null, NOW + 5 * M]);
    assert.deepEqual(plan.keep, pending);
    assert.equal(planOutbox(pending, history, NOW + 5 * M, team.storm).send.length, 1);
  });

  it("never digests digest_after notices or fewer: the loudest go in the room left, the rest wait for it", () => {
    const history: SentRecord[] = [1, 2, 3].map((m) => ({ at: NOW - m * M, kind: "single" }));
    const pending = [delivery(3, "normal", "cleared"), delivery(2), delivery(1, "urgent")];
    const plan = planOutbox(pending, history, NOW, team.storm);
    assert.deepEqual(
      [plan.send.map((d) => d.shortId), plan.digest, plan.keep.map((d) => d.shortId)],
      [[1, 2], null, [3]],
    );
    assert.equal(plan.holdUntil, NOW + 7 * M, "when the oldest of the five sends leaves the window");
    assertAccounted(pending, plan);
    const later = planOutbox(
      plan.keep,
      [...history, { at: NOW, kind: "single" }, { at: NOW, kind: "single" }],
      NOW + 7 * M,
      team.storm,
    );
    assert.deepEqual([later.send.map((d) => d.shortId), later.digest], [[3], null]);
  });

  it("sends notices about one alert in the order they were made, however the room left cuts them", () => {
    // #3 cleared, then raised again: the held CLEARED must not follow the new RAISED.
    const pending = [delivery(3, "normal", "cleared"), delivery(1, "low"), delivery(3, "normal", "raised")];
    const all = planOutbox(pending, [], NOW, team.storm);
    assert.deepEqual(
      all.send.map((d) => `${d.shortId} ${d.kind}`),
      ["3 cleared", "3 raised", "1 raised"],
    );
    const history: SentRecord[] = [1, 2, 3, 4].map((m) => ({ at: NOW - m * M, kind: "single" }));
    const one = planOutbox(pending, history, NOW, team.storm);
    assert.deepEqual(
      [one.send.map((d) => `${d.shortId} ${d.kind}`), one.keep.map((d) => `${d.shortId} ${d.kind}`)],
      [["3 cleared"], ["3 raised", "1 raised"]],
    );
    assertAccounted(pending, one);
  });

  it("a digest of one level's notices going different ways goes all of them, and falls back on all of theirs", () => {
    const ops = (id: number): Delivery => ({
      ...delivery(id),
      channels: ["xmpp"],
      fallbacks: [{ after: 5 * M, channels: ["email"] }],
    });
    const dba = (id: number): Delivery => ({
      ...delivery(id),
      channels: ["email"],
      fallbacks: [{ after: 5 * M, channels: ["sms"] }],
    });
    const plan = planOutbox([ops(1), ops(2), dba(3), dba(4)], [], NOW, team.storm);
    assert.deepEqual(plan.digest?.channels, ["xmpp", "email"]);
    assert.deepEqual(plan.digest?.fallbacks, [{ after: 5 * M, channels: ["email", "sms"] }]);
    const urgent = planOutbox(
      [ops(1), ops(2), dba(3), { ...delivery(4, "urgent"), channels: ["sms"] }],
      [],
      NOW,
      team.storm,
    );
    assert.deepEqual(urgent.digest?.channels, ["sms"], "an urgent page still picks the way alone");
  });

  it("holds a due quiet digest, not the loud notices, when only they fit", () => {
    const history: SentRecord[] = [1, 2, 3, 4].map((m) => ({ at: NOW - m * M, kind: "single" }));
    const pending = [delivery(1), delivery(2, "low", "raised", ["email_digest"])];
    const plan = planOutbox(pending, history, NOW, team.storm);
    assert.deepEqual(
      [plan.send.map((d) => d.shortId), plan.digest, plan.keep.map((d) => d.shortId), plan.holdUntil],
      [[1], null, [2], NOW + 6 * M],
    );
  });

  it("collects email_digest notices into one email at most every quiet_digest_every", () => {
    const quiet = [delivery(1, "low", "raised", ["email_digest"]), delivery(2, "low", "raised", ["email_digest"])];
    const first = planOutbox(quiet, [], NOW, team.storm);
    assert.deepEqual([first.digest?.kind, first.digest?.channels, first.digest?.count], ["quiet-digest", ["email"], 2]);
    assertAccounted(quiet, first);

    const history: SentRecord[] = [{ at: NOW - 20 * M, kind: "quiet-digest" }];
    const loud = delivery(3, "urgent");
    const later = planOutbox([...quiet, loud], history, NOW, team.storm);
    assert.deepEqual([later.send, later.digest, later.keep, later.holdUntil], [[loud], null, quiet, NOW + 40 * M]);

    const due = planOutbox([...quiet, loud], history, NOW + 40 * M, team.storm);
    assert.deepEqual([due.send, due.digest?.kind, due.digest?.count, due.keep], [[loud], "quiet-digest", 2, []]);
  });
});
