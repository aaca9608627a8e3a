import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadBotConfig } from "../../src/config/bot-config.js";
import { planChannels, type Presence, type Delivery } from "../../src/policy/delivery.js";
import { escalate } from "../../src/policy/escalation.js";
import { findPerson } from "../../src/policy/on-call.js";
import { classify } from "../../src/policy/matcher.js";
import { budgetExhaustedUntil, DIGEST_HINT, planOutbox, type OutboxPlan } from "../../src/policy/storm.js";
import type { Level, Person, StormConfig } from "../../src/policy/types.js";
import { summarise, type SentRecord } from "../helpers/sent-log.js";

const team = loadBotConfig(readFileSync(new URL("../fixtures/config/policy-team.yaml", import.meta.url), "utf8"), {
  file: "policy-team.yaml",
});
const person = (name: string): Person => findPerson(team.people, name) ?? assert.fail(name);
const M = 60_000;
const H = 60 * M;
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

/** What the planner decides for a person sent `history` (in any order). */
const planFor = (pending: readonly Delivery[], history: SentRecord[], now: number, storm = team.storm): OutboxPlan =>
  planOutbox(pending, summarise(history, now, storm), now, storm);
/** When the limit frees for a person sent `history`; null while it has room. */
const freesFor = (history: SentRecord[], now: number, storm = team.storm): number | null =>
  budgetExhaustedUntil(summarise(history, now, storm), now, storm);

/** Every pending delivery ends up in exactly one place: nothing is silently dropped. */
function assertAccounted(pending: readonly Delivery[], plan: OutboxPlan): void {
  const out = [...plan.send, ...(plan.digest?.items ?? []), ...plan.keep];
  assert.equal(out.length, pending.length);
  for (const d of pending) assert.ok(out.includes(d));
}

describe("policy: storms and rate limits", () => {
  it("sends a few notifications one by one, most important first", () => {
    const pending = [delivery(1, "low"), delivery(2, "urgent")];
    const plan = planFor(pending, [], NOW, team.storm);
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
    const plan = planFor(deliveries, [], NOW, team.storm);
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
    const plan = planFor(pending, history, NOW, team.storm);
    assert.deepEqual([plan.send, plan.digest, plan.holdUntil], [[], null, NOW + 5 * M]);
    assert.deepEqual(plan.keep, pending);
    assert.equal(planFor(pending, history, NOW + 5 * M, team.storm).send.length, 1);
  });

  it("never digests digest_after notices or fewer: the loudest go in the room left, the rest wait for it", () => {
    const history: SentRecord[] = [1, 2, 3].map((m) => ({ at: NOW - m * M, kind: "single" }));
    const pending = [delivery(3, "normal", "cleared"), delivery(2), delivery(1, "urgent")];
    const plan = planFor(pending, history, NOW, team.storm);
    assert.deepEqual(
      [plan.send.map((d) => d.shortId), plan.digest, plan.keep.map((d) => d.shortId)],
      [[1, 2], null, [3]],
    );
    assert.equal(plan.holdUntil, NOW + 7 * M, "when the oldest of the five sends leaves the window");
    assertAccounted(pending, plan);
    const later = planFor(
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
    const all = planFor(pending, [], NOW, team.storm);
    assert.deepEqual(
      all.send.map((d) => `${d.shortId} ${d.kind}`),
      ["3 cleared", "3 raised", "1 raised"],
    );
    const history: SentRecord[] = [1, 2, 3, 4].map((m) => ({ at: NOW - m * M, kind: "single" }));
    const one = planFor(pending, history, NOW, team.storm);
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
    const plan = planFor([ops(1), ops(2), dba(3), dba(4)], [], NOW, team.storm);
    assert.deepEqual(plan.digest?.channels, ["xmpp", "email"]);
    assert.deepEqual(plan.digest?.fallbacks, [{ after: 5 * M, channels: ["email", "sms"] }]);
    const urgent = planFor(
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
    const plan = planFor(pending, history, NOW, team.storm);
    assert.deepEqual(
      [plan.send.map((d) => d.shortId), plan.digest, plan.keep.map((d) => d.shortId), plan.holdUntil],
      [[1], null, [2], NOW + 6 * M],
    );
  });

  it("collects email_digest notices into one email at most every quiet_digest_every", () => {
    const quiet = [delivery(1, "low", "raised", ["email_digest"]), delivery(2, "low", "raised", ["email_digest"])];
    const first = planFor(quiet, [], NOW, team.storm);
    assert.deepEqual([first.digest?.kind, first.digest?.channels, first.digest?.count], ["quiet-digest", ["email"], 2]);
    assertAccounted(quiet, first);

    const history: SentRecord[] = [{ at: NOW - 20 * M, kind: "quiet-digest" }];
    const loud = delivery(3, "urgent");
    const later = planFor([...quiet, loud], history, NOW, team.storm);
    assert.deepEqual([later.send, later.digest, later.keep, later.holdUntil], [[loud], null, quiet, NOW + 40 * M]);

    const due = planFor([...quiet, loud], history, NOW + 40 * M, team.storm);
    assert.deepEqual([due.send, due.digest?.kind, due.digest?.count, due.keep], [[loud], "quiet-digest", 2, []]);
  });
});

// What the planner decides for a person sent far more than the limit allows inside its window
// (a limit lowered by a reload, or a high one in a storm), beside sends outside it either way and
// quiet digests of every age. Pinned on the planner that was given every send of the window.
describe("policy: storm limits past the limit", () => {
  const S = 1_000;
  const quietOne = (shortId: number): Delivery => delivery(shortId, "low", "raised", ["email_digest"]);
  const kindOf = (i: number): SentRecord["kind"] => (i % 11 === 3 ? "quiet-digest" : i % 5 === 2 ? "digest" : "single");
  // Thirty sends in the window, every 15s back from now, of mixed kinds, given out of order; one
  // at the window's far edge (out) and one a second ahead of now (a clock stepped back: out).
  const storm: SentRecord[] = [
    { at: NOW + S, kind: "single" },
    ...Array.from({ length: 30 }, (_, i) => ({ at: NOW - i * 15 * S, kind: kindOf(i) })).reverse(),
    { at: NOW - 10 * M, kind: "single" },
    { at: NOW - 30 * M, kind: "digest" },
    { at: NOW - 2 * H, kind: "quiet-digest" },
  ];

  it("holds everything until the limit-th newest send of the window leaves it, however many are in it", () => {
    // The fifth newest is a minute old; when it leaves, the one logged ahead of now counts.
    const frees = NOW + 9 * M + 15 * S;
    assert.equal(freesFor(storm, NOW), NOW + 9 * M);
    const pending = [delivery(1, "urgent"), delivery(2), quietOne(3)];
    const plan = planFor(pending, storm, NOW);
    assert.deepEqual([plan.send, plan.digest, plan.keep, plan.holdUntil], [[], null, pending, NOW + 9 * M]);
    assert.equal(freesFor(storm, NOW + 9 * M), frees);
    assert.equal(freesFor(storm, frees - 1), frees);
    assert.equal(freesFor(storm, frees), null);
    const freed = planFor(pending, storm, frees);
    assert.deepEqual(
      [freed.send.map((d) => d.shortId), freed.digest, freed.keep.map((d) => d.shortId), freed.holdUntil],
      [[1], null, [2, 3], frees + 15 * S],
    );
  });

  it("a storm past the limit still digests more than digest_after once there is room", () => {
    const frees = NOW + 9 * M + 15 * S;
    const pending = [1, 2, 3, 4, 5].map((i) => delivery(i));
    const plan = planFor(pending, storm, frees);
    assert.deepEqual(
      [plan.send, plan.digest?.kind, plan.digest?.count, plan.keep, plan.holdUntil],
      [[], "digest", 5, [], null],
    );
    const withQuiet = planFor([...pending, quietOne(6)], storm, frees);
    assert.deepEqual(
      [withQuiet.digest?.kind, withQuiet.digest?.count, withQuiet.keep.map((d) => d.shortId), withQuiet.holdUntil],
      ["digest", 5, [6], NOW + H - 3 * 15 * S],
      "the last quiet digest, inside the window, paces the next",
    );
  });

  it("paces quiet digests by the last one, far older than the window or inside it", () => {
    const full: SentRecord[] = Array.from({ length: 10 }, (_, i) => ({ at: NOW - i * M, kind: "single" }));
    const quiet = [quietOne(1), quietOne(2)];
    const old50 = planFor(quiet, [{ at: NOW - 50 * M, kind: "quiet-digest" }, ...full], NOW);
    assert.deepEqual([old50.send, old50.digest, old50.keep, old50.holdUntil], [[], null, quiet, NOW + 10 * M]);
    const old70 = planFor(quiet, [...full, { at: NOW - 70 * M, kind: "quiet-digest" }], NOW);
    assert.deepEqual(
      [old70.send, old70.digest, old70.keep, old70.holdUntil],
      [[], null, quiet, NOW - 4 * M + 10 * M],
      "due, but the limit has no room",
    );
    const several: SentRecord[] = [
      { at: NOW - 3 * H, kind: "quiet-digest" },
      { at: NOW - 70 * M, kind: "quiet-digest" },
      { at: NOW - 2 * M, kind: "quiet-digest" },
      { at: NOW - M, kind: "single" },
    ];
    const recent = planFor([...quiet, delivery(3)], several, NOW);
    assert.deepEqual(
      [recent.send.map((d) => d.shortId), recent.digest, recent.keep, recent.holdUntil],
      [[3], null, quiet, NOW + 58 * M],
    );
    const ahead = planFor(
      quiet,
      [
        { at: NOW + M, kind: "quiet-digest" },
        { at: NOW - 2 * H, kind: "quiet-digest" },
      ],
      NOW,
    );
    assert.deepEqual([ahead.digest, ahead.holdUntil], [null, NOW + M + H], "one logged ahead of now paces too");
    const due = planFor(quiet, [{ at: NOW - 2 * H, kind: "quiet-digest" }, ...full.slice(0, 3)], NOW);
    assert.deepEqual([due.digest?.kind, due.digest?.count, due.keep, due.holdUntil], ["quiet-digest", 2, [], null]);
  });

  it("room for one beside many sends older than the window: the loudest goes, the rest wait for the oldest inside", () => {
    const history: SentRecord[] = [
      ...Array.from({ length: 50 }, (_, i) => ({ at: NOW - 10 * M - i * S, kind: kindOf(i) })),
      ...[9, 5, 3, 1].map((m) => ({ at: NOW - m * M, kind: "single" as const })),
      { at: NOW - 70 * M, kind: "quiet-digest" },
    ];
    const pending = [delivery(1), delivery(2, "urgent"), delivery(3, "low"), quietOne(4)];
    const plan = planFor(pending, history, NOW);
    assert.deepEqual(
      [plan.send.map((d) => d.shortId), plan.digest, plan.keep.map((d) => d.shortId), plan.holdUntil],
      [[2], null, [1, 3, 4], NOW + M],
    );
  });

  it("sends logged at one moment leave the window together", () => {
    const history: SentRecord[] = Array.from({ length: 8 }, (_, i) => ({ at: NOW - 4 * M, kind: kindOf(i) }));
    assert.equal(freesFor(history, NOW), NOW + 6 * M);
    assert.equal(freesFor(history, NOW + 6 * M), null);
    assert.equal(freesFor(history.slice(0, 4), NOW), null);
  });

  it("under a high limit (a hundred a second), with hundreds in the window", () => {
    const fast: StormConfig = { ...team.storm, limit: { count: 100, perMs: S } };
    const history: SentRecord[] = Array.from({ length: 250 }, (_, i) => ({ at: NOW - i * 4, kind: kindOf(i) }));
    assert.equal(freesFor(history, NOW, fast), NOW + 604);
    assert.equal(freesFor(history, NOW + 603, fast), NOW + 604);
    assert.equal(freesFor(history, NOW + 604, fast), null);
    const two = planFor([delivery(1), delivery(2, "urgent")], history, NOW + 604, fast);
    assert.deepEqual(
      [two.send.map((d) => d.shortId), two.keep.map((d) => d.shortId), two.holdUntil],
      [[2], [1], NOW + 608],
    );
    const many = planFor(
      [1, 2, 3, 4, 5].map((i) => delivery(i)),
      history,
      NOW + 604,
      fast,
    );
    assert.deepEqual([many.digest?.count, many.keep, many.holdUntil], [5, [], null]);
    const held = planFor([delivery(1), quietOne(2)], history, NOW + 100, fast);
    assert.deepEqual([held.send, held.keep.length, held.holdUntil], [[], 2, NOW + 604]);
  });
});
