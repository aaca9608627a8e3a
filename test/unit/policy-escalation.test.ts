import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { FakeClock } from "../../src/clock/fake-clock.js";
import type { TimerHandle } from "../../src/clock/clock.js";
import { loadBotConfig } from "../../src/config/bot-config.js";
import type { Presence, Delivery } from "../../src/policy/delivery.js";
import {
  escalate,
  type EscalationAlert,
  type EscalationResult,
  type EscalationState,
} from "../../src/policy/escalation.js";
import { decodeEscalation, encodeEscalation } from "../../src/policy/escalation-codec.js";
import { classify, type Silence } from "../../src/policy/matcher.js";
import type { Policy } from "../../src/policy/types.js";

const team = loadBotConfig(readFileSync(new URL("../fixtures/config/policy-team.yaml", import.meta.url), "utf8"), {
  file: "policy-team.yaml",
});
const M = 60_000;
const T0 = Date.parse("2026-01-05T10:00:00Z"); // Monday, day time in London: ops on call is alice, then bob

/**
 * Plays the bot's part with a fake clock: evaluates at every `nextAt`, persists the state as JSON
 * (so it must survive that), and writes each delivery as a timeline line "t=15m bob escalated xmpp".
 */
class Harness {
  readonly clock = new FakeClock(T0);
  readonly lines: string[] = [];
  readonly warnings: string[] = [];
  state: EscalationState | null = null;
  last: EscalationResult | null = null;
  alert: EscalationAlert;
  presence: Record<string, Presence> = { alice: "online", bob: "online", carol: "online" };
  silences: Silence[] = [];
  down = new Map<string, number>();
  private timer: TimerHandle | null = null;

  constructor(
    fields: Partial<EscalationAlert> = {},
    readonly policy: Policy = team,
  ) {
    this.alert = {
      shortId: 42,
      source: "web1",
      alertId: "http",
      subject: "web1",
      importance: 250,
      status: "raised",
      raisedAt: T0,
      suppressUntil: null,
      ack: null,
      ...fields,
    };
  }

  evaluate(): EscalationResult {
    const now = this.clock.now();
    const result = escalate({
      alert: this.alert,
      classification: classify(this.policy.rules, this.alert),
      state: this.state,
      now,
      policy: this.policy,
      presence: (name) => this.presence[name] ?? "unknown",
      silences: this.silences,
      down: this.down,
    });
    // Kept as the bot keeps it: in its stored form, as JSON; it must come back exactly.
    const stored: unknown = JSON.parse(JSON.stringify(result.state === null ? null : encodeEscalation(result.state)));
    this.state = decodeEscalation(stored);
    assert.deepEqual(this.state, JSON.parse(JSON.stringify(result.state)), "the state survives its stored form");
    this.last = result;
    this.warnings.push(...result.warnings);
    for (const d of result.deliveries) this.lines.push(`${at(now)} ${d.person} ${d.kind} ${d.channels.join("+")}`);
    this.timer?.cancel();
    this.timer = result.nextAt === null ? null : this.clock.setTimer(result.nextAt - now, () => this.evaluate());
    return result;
  }

  /** At `minutes` after T0, change something and evaluate, as the bot does on any input. */
  on(minutes: number, change: () => void): void {
    this.clock.setTimer(T0 + minutes * M - this.clock.now(), () => {
      change();
      this.evaluate();
    });
  }

  runTo(minutes: number): string[] {
    this.clock.advance(T0 + minutes * M - this.clock.now());
    return this.lines;
  }
}

function at(ms: number): string {
  const minutes = Math.round((ms - T0) / M);
  return minutes % 60 === 0 && minutes !== 0 ? `t=${minutes / 60}h` : `t=${minutes}m`;
}

const ack = (by: string, minutes: number, forMinutes: number): NonNullable<EscalationAlert["ack"]> => ({
  by,
  at: T0 + minutes * M,
  until: T0 + (minutes + forMinutes) * M,
  note: "",
});

describe("policy: escalation timeline", () => {
  it("raise → on call; unacked → next; reminders; ack stops it; ack expiry restarts; clear tells everyone told", () => {
    const h = new Harness();
    h.evaluate();
    h.on(40, () => (h.alert = { ...h.alert, ack: ack("bob", 40, 60) }));
    h.on(100, () => (h.alert = { ...h.alert, ack: null })); // the alert machine expires the ack
    h.on(120, () => (h.alert = { ...h.alert, status: "cleared", raisedAt: null }));
    assert.deepEqual(h.runTo(180), [
      "t=0m alice raised xmpp",
      "t=15m bob escalated xmpp",
      "t=30m alice reminder xmpp",
      "t=40m alice acked xmpp", // bob acked; the step to erin at 45m never fires
      "t=100m alice ack-expired xmpp", // the chain starts again from step 1
      "t=100m bob ack-expired xmpp", // and whoever held the ack hears it ran out, so "next" at 115m has nobody new
      "t=2h alice cleared xmpp",
      "t=2h bob cleared xmpp",
    ]);
    assert.equal(h.state, null);
    assert.equal(h.clock.pendingTimers(), 0);
  });

  it("keeps climbing while nobody answers: the manager by SMS, reminders to each at their own pace", () => {
    const h = new Harness();
    h.evaluate();
    assert.deepEqual(h.runTo(75), [
      "t=0m alice raised xmpp",
      "t=15m bob escalated xmpp",
      "t=30m alice reminder xmpp",
      "t=45m erin escalated sms", // the step's own channels
      "t=45m bob reminder xmpp",
      "t=1h alice reminder xmpp",
      "t=75m bob reminder xmpp",
      "t=75m erin reminder sms", // on the channels of the step that paged her
    ]);
  });

  it("reminds on the paging step's channels, once, without fallbacks; a state stored without them uses the person's own", () => {
    const h = new Harness();
    h.presence.erin = "online";
    h.evaluate();
    const reminders: Delivery[] = [];
    for (let t = 0; t < 75; t += 1) {
      const last = h.last;
      h.clock.advance(M);
      if (h.last !== last) reminders.push(...(h.last?.deliveries ?? []).filter((d) => d.kind === "reminder"));
    }
    const erin = reminders.filter((d) => d.person === "erin");
    assert.ok(erin.length > 0);
    assert.ok(
      erin.every((d) => d.channels.join("+") === "sms" && d.fallbacks.length === 0),
      JSON.stringify(erin),
    );
    assert.ok(
      reminders.every((d) => d.fallbacks.length === 0),
      "no reminder chases on other channels",
    );
    const old = { ...h.state!, notified: h.state!.notified.map(({ tiers: _tiers, ...n }) => n) };
    h.state = old;
    const before = h.lines.length;
    h.clock.advance(30 * M);
    const again = h.lines.slice(before).filter((l) => / erin reminder /.test(l));
    assert.match(again[0] ?? "", / erin reminder xmpp$/, "erin online: her own urgent preference");
  });

  it("attaches fallbacks for unanswered messages, and skips XMPP for the offline", () => {
    const h = new Harness();
    h.presence.alice = "offline";
    const first = h.evaluate().deliveries[0];
    assert.deepEqual(first, {
      person: "alice",
      kind: "raised",
      level: "urgent",
      shortId: 42,
      channels: ["sms"],
      fallbacks: [{ after: 5 * M, channels: ["email"] }],
      why: "step 1 of ops/urgent: on call",
    } satisfies Delivery);
    h.state = null;
    h.presence.alice = "online";
    assert.deepEqual(h.evaluate().deliveries[0]?.fallbacks, [
      { after: 5 * M, channels: ["sms"] },
      { after: 10 * M, channels: ["email"] },
    ]);
  });

  it("delivers nothing twice: evaluating again with the returned state is a no-op", () => {
    const h = new Harness();
    const first = h.evaluate();
    const again = h.evaluate();
    assert.equal(first.deliveries.length, 1);
    assert.deepEqual(again.deliveries, []);
    assert.equal(again.nextAt, T0 + 15 * M);
  });

  it("catches up at once after the bot was away, without repeating reminders", () => {
    const h = new Harness();
    h.evaluate();
    h.clock.set(T0 + 50 * M);
    h.evaluate();
    assert.deepEqual(h.lines, [
      "t=0m alice raised xmpp",
      "t=50m bob escalated xmpp",
      "t=50m erin escalated sms",
      "t=50m alice reminder xmpp",
    ]);
  });

  it("restarts at the new level when the importance changes the classification", () => {
    const h = new Harness({ importance: 50 }); // normal for ops: no second step for an hour
    h.evaluate();
    h.on(10, () => (h.alert = { ...h.alert, importance: 250 }));
    assert.deepEqual(h.runTo(26), ["t=0m alice raised xmpp", "t=10m alice raised xmpp", "t=25m bob escalated xmpp"]);
    assert.equal(h.state?.level, "urgent");
  });

  it("a raise after an unseen clear starts afresh", () => {
    const h = new Harness();
    h.evaluate();
    h.on(20, () => (h.alert = { ...h.alert, raisedAt: T0 + 18 * M }));
    assert.deepEqual(h.runTo(20), ["t=0m alice raised xmpp", "t=15m bob escalated xmpp", "t=20m alice raised xmpp"]);
  });
});

describe("policy: escalation holds", () => {
  it("waits for the sender's suppress_until", () => {
    const h = new Harness({ suppressUntil: T0 + 10 * M });
    assert.equal(h.evaluate().held?.reason, "suppressed");
    assert.deepEqual(h.runTo(30), ["t=10m alice raised xmpp", "t=25m bob escalated xmpp"]);
  });

  it("honours silences, and the time silenced does not count towards the next step", () => {
    const h = new Harness();
    h.evaluate();
    h.on(5, () =>
      h.silences.push({ id: "s1", matcher: { source: ["web*"] }, until: T0 + 65 * M, by: "alice", why: "deploying" }),
    );
    const lines = h.runTo(90);
    assert.equal(h.last?.held, null);
    // Held from 5m to 65m, so everything moves 60m on: step 2 from 15m to 75m, alice's reminder from 30m to 90m.
    assert.deepEqual(lines, ["t=0m alice raised xmpp", "t=75m bob escalated xmpp", "t=90m alice reminder xmpp"]);
  });

  it("tells people about a clear even while silenced, since they heard of the raise", () => {
    const h = new Harness();
    h.evaluate();
    h.silences.push({ id: "s1", matcher: {}, until: T0 + 600 * M, by: "alice", why: "noise" });
    h.on(10, () => (h.alert = { ...h.alert, status: "cleared" }));
    assert.deepEqual(h.runTo(20), ["t=0m alice raised xmpp", "t=10m alice cleared xmpp"]);
  });

  it("holds a down host's alerts until it returns, with no timer meanwhile", () => {
    const h = new Harness();
    h.down.set("web1", T0 - 10 * M);
    const held = h.evaluate();
    assert.deepEqual([held.held?.reason, held.held?.detail, held.nextAt], ["inhibited", "web1 is down", null]);
    h.on(30, () => h.down.delete("web1"));
    assert.deepEqual(h.runTo(30), ["t=30m alice raised xmpp"]);
  });

  it("holds a low alert for its rule's window and sends it when the office opens", () => {
    const friday = Date.parse("2026-01-09T17:45:00Z");
    const h = new Harness({ importance: 10, raisedAt: friday });
    h.clock.set(friday);
    const held = h.evaluate();
    assert.deepEqual(
      [held.held?.reason, new Date(held.nextAt ?? 0).toISOString()],
      ["window", "2026-01-12T09:00:00.000Z"],
    );
    h.clock.advance(Date.parse("2026-01-12T09:00:00Z") - friday);
    assert.deepEqual(h.lines, ["t=167h alice raised email_digest"]); // Monday 09:00
  });

  it("holds an alert raised in New York's repeated hour on 1 November for its evening window, shut since the first 01:30", () => {
    const evening = loadBotConfig(
      `xmpp: { component: alertbot.x.org, secret: s, pubsub: pubsub.x.org }
database: ":memory:"
people:
  - { name: frank, jid: frank@x.org }
workgroups:
  - name: dba
    timezone: America/New_York
    members: [frank]
    escalation:
      normal: { steps: [{ after: 0m, notify: oncall }], reminder: false }
rules:
  - { level: normal, workgroup: dba, window: evening }
windows:
  evening: { timezone: America/New_York, hours: 20:00-01:30 }
`,
      { file: "evening.yaml" },
    );
    const repeated = Date.parse("2026-11-01T06:10:00Z"); // 01:10 EST, the second time 01:10 is read that night
    const h = new Harness({ raisedAt: repeated }, evening);
    h.presence.frank = "online";
    h.clock.set(repeated);
    const held = h.evaluate();
    assert.deepEqual(
      [held.held?.reason, new Date(held.nextAt ?? 0).toISOString()],
      ["window", "2026-11-02T01:00:00.000Z"], // Sunday 20:00 EST
    );
    h.clock.advance(Date.parse("2026-11-02T01:00:00Z") - repeated);
    assert.deepEqual(h.lines, [`${at(Date.parse("2026-11-02T01:00:00Z"))} frank raised xmpp`]);
  });

  it("holds a step for its own window while reminders carry on", () => {
    const ops = team.workgroups[0]!;
    const steps = ops.escalation.urgent.steps.map((s, i) => (i === 2 ? { ...s, window: "office" } : s));
    const policy: Policy = {
      ...team,
      workgroups: [
        { ...ops, escalation: { ...ops.escalation, urgent: { ...ops.escalation.urgent, steps } } },
        team.workgroups[1]!,
      ],
    };
    const h = new Harness({}, policy);
    h.clock.set(T0 + 7 * 60 * M); // 17:00: the office shuts at 17:30, before step 3 at 17:45
    h.alert = { ...h.alert, raisedAt: h.clock.now() };
    h.evaluate();
    h.clock.advance(80 * M);
    // 17:45 falls after the office shuts at 17:30: erin waits for Tuesday 09:00, the reminders do not.
    assert.deepEqual(h.lines, [
      "t=7h alice raised xmpp",
      "t=435m bob escalated xmpp",
      "t=450m alice reminder xmpp",
      "t=465m bob reminder xmpp",
      "t=8h alice reminder xmpp",
      "t=495m bob reminder xmpp",
    ]);
    assert.equal(new Date(h.last?.nextAt ?? 0).toISOString(), "2026-01-05T18:30:00.000Z");
    h.clock.advance(Date.parse("2026-01-06T09:00:00Z") - h.clock.now());
    assert.deepEqual(
      h.lines.filter((l) => l.includes("erin")),
      ["t=23h erin escalated sms"],
    );
  });
});

describe("policy: escalation targets", () => {
  it("reaches another workgroup's on-call person", () => {
    const h = new Harness({ source: "db1", importance: 150 });
    h.evaluate();
    assert.deepEqual(h.runTo(10), ["t=0m frank raised xmpp", "t=10m alice escalated xmpp"]);
  });

  it("warns when next finds nobody left, rather than failing quietly", () => {
    const h = new Harness({ source: "db1", importance: 50 }); // dba/normal: next after 1h, but frank is all there is
    h.presence.frank = "online";
    h.evaluate();
    h.runTo(61);
    assert.deepEqual(h.lines, ["t=0m frank raised xmpp", "t=1h frank reminder xmpp"]);
    assert.deepEqual(h.warnings, ["step 2 of dba/normal (next on call) found nobody to notify"]);
  });

  it("tells everyone on the rota, saying why, when nobody is on call (a night rotation at noon), then reminds them", () => {
    const nightOnly = loadBotConfig(
      `xmpp: { component: alertbot.x.org, secret: s, pubsub: pubsub.x.org }
database: ":memory:"
people:
  - { name: carol, jid: carol@x.org }
  - { name: dave, jid: dave@x.org }
  - { name: erin, jid: erin@x.org }
workgroups:
  - name: night
    timezone: Europe/London
    rotation: { start: 2026-01-05, shifts: [{ name: night, hours: 20:00-08:00, people: [carol, dave], cycle: week }] }
    escalation:
      urgent: { steps: [{ after: 0m, notify: oncall }, { after: 15m, notify: next }], reminder: 30m }
rules:
  - { level: urgent, workgroup: night }
`,
      { file: "night.yaml" },
    );
    const h = new Harness({}, nightOnly); // 10:00 in London: no shift covers it
    const first = h.evaluate();
    assert.equal(first.deliveries[0]?.why, "step 1 of night/urgent: on call found nobody, so everyone on night's rota");
    h.runTo(30);
    assert.deepEqual(h.lines, [
      "t=0m carol raised xmpp",
      "t=0m dave raised xmpp",
      "t=30m carol reminder xmpp",
      "t=30m dave reminder xmpp",
    ]);
    assert.deepEqual(h.warnings, [
      "step 1 of night/urgent (on call) found nobody: told everyone on night's rota",
      "step 2 of night/urgent (next on call) found nobody to notify",
    ]);
  });

  it("hands an unacked page over to whoever comes on call at the end of the shift that was told", () => {
    const rota = loadBotConfig(
      `xmpp: { component: alertbot.x.org, secret: s, pubsub: pubsub.x.org }
database: ":memory:"
people:
  - { name: alice, jid: alice@x.org }
  - { name: carol, jid: carol@x.org }
workgroups:
  - name: ops
    timezone: Europe/London
    members: [alice]
    rotation: { start: 2026-01-05, shifts: [{ name: night, hours: 20:00-08:00, people: [carol], cycle: week }] }
    escalation:
      urgent: { steps: [{ after: 0m, notify: oncall }], reminder: false }
rules:
  - { level: urgent, workgroup: ops }
`,
      { file: "rota.yaml" },
    );
    const h = new Harness({ raisedAt: T0 + 12 * 60 * M }, rota); // 22:00 in London: carol's night
    h.clock.set(T0 + 12 * 60 * M);
    h.evaluate();
    h.runTo(24 * 60);
    assert.deepEqual(h.lines, ["t=12h carol raised xmpp", "t=22h alice escalated xmpp"], "at 08:00, alice's day");
    assert.equal(h.last?.deliveries[0]?.why, "now on call for ops: handed over unacked");
  });

  /**
   * alice takes the day (08:00-20:00 London), bob the night; nobody else is on call. The chain
   * pages whoever is on call, then `secondStep`, unless `urgent` gives another.
   */
  const shifts = (
    secondStep: string,
    night = true,
    urgent = `{ steps: [{ after: 0m, notify: oncall }, { after: 30m, notify: ${secondStep} }], reminder: 30m }`,
  ): Policy =>
    loadBotConfig(
      `xmpp: { component: alertbot.x.org, secret: s, pubsub: pubsub.x.org }
database: ":memory:"
people:
  - { name: alice, jid: alice@x.org }
  - { name: bob, jid: bob@x.org }
  - { name: carol, jid: carol@x.org }
workgroups:
  - name: ops
    timezone: Europe/London
    rotation:
      start: 2026-01-05
      shifts:
        - { name: day, hours: 08:00-20:00, people: [alice], cycle: week }
${night ? "        - { name: night, hours: 20:00-08:00, people: [bob], cycle: week }" : ""}
    escalation:
      urgent: ${urgent}
rules:
  - { level: urgent, workgroup: ops }
`,
      { file: "shifts.yaml" },
    );
  /** An alert raised at 19:00 London on Monday 5 January, an hour before alice's day ends. */
  const atSeven = (policy: Policy): Harness => {
    const h = new Harness({ raisedAt: T0 + 9 * 60 * M }, policy);
    h.clock.set(T0 + 9 * 60 * M);
    h.evaluate();
    return h;
  };

  it("stops reminding whoever was told as on call once their shift is over and the one now on call has it", () => {
    const h = atSeven(shifts("carol"));
    h.runTo(12 * 60);
    assert.deepEqual(h.lines, [
      "t=9h alice raised xmpp",
      "t=570m carol escalated xmpp",
      "t=570m alice reminder xmpp",
      "t=10h bob escalated xmpp", // 20:00: the handover
      "t=10h carol reminder xmpp", // named by step 2: reminded whoever is on call
      "t=630m carol reminder xmpp",
      "t=630m bob reminder xmpp",
      "t=11h carol reminder xmpp",
      "t=11h bob reminder xmpp",
      "t=690m carol reminder xmpp",
      "t=690m bob reminder xmpp",
      "t=12h carol reminder xmpp",
      "t=12h bob reminder xmpp",
    ]);
    // Off call, alice still hears how it ends, and her ack still counts.
    h.alert = { ...h.alert, ack: ack("alice", 12 * 60 + 5, 60) };
    assert.deepEqual(
      h.evaluate().deliveries.map((d) => `${d.person} ${d.kind}`),
      ["carol acked", "bob acked"],
    );
    h.alert = { ...h.alert, ack: null, status: "cleared" };
    assert.deepEqual(
      h.evaluate().deliveries.map((d) => `${d.person} ${d.kind}`),
      ["alice cleared", "carol cleared", "bob cleared"],
    );
  });

  it("reminds whoever was told as on call again when their shift comes back, and the night's person no more", () => {
    const h = atSeven(shifts("carol"));
    h.runTo(22 * 60 + 30); // to 08:30 on Tuesday
    const after = (minutes: number): string[] =>
      h.lines.filter((l) => Number(/^t=(\d+)m/.exec(l)?.[1] ?? Number(/^t=(\d+)h/.exec(l)?.[1]) * 60) >= minutes);
    assert.deepEqual(after(21 * 60 + 30), [
      "t=1290m carol reminder xmpp",
      "t=1290m bob reminder xmpp",
      "t=22h alice reminder xmpp", // 08:00: alice has it again (she knows it: no handover)
      "t=22h carol reminder xmpp",
      "t=1350m alice reminder xmpp",
      "t=1350m carol reminder xmpp",
    ]);
  });

  it("tells whoever's ack ran out once, off call, and reminds the one on call; her again when her shift is back", () => {
    const h = atSeven(shifts("carol"));
    h.on(9 * 60 + 10, () => (h.alert = { ...h.alert, ack: ack("alice", 9 * 60 + 10, 60) }));
    h.on(10 * 60 + 10, () => (h.alert = { ...h.alert, ack: null })); // 20:10: the ack ran out, after her day
    h.runTo(22 * 60 + 30); // to 08:30 on Tuesday
    const after = (minutes: number): string[] =>
      h.lines.filter((l) => Number(/^t=(\d+)m/.exec(l)?.[1] ?? Number(/^t=(\d+)h/.exec(l)?.[1]) * 60) >= minutes);
    assert.deepEqual(after(10 * 60 + 10).slice(0, 7), [
      "t=610m bob ack-expired xmpp", // the chain starts again with the night's person
      "t=610m alice ack-expired xmpp", // she said she was on it: told once
      "t=640m carol escalated xmpp",
      "t=640m bob reminder xmpp", // not alice: off call, and bob on call has it
      "t=670m bob reminder xmpp",
      "t=670m carol reminder xmpp",
      "t=700m bob reminder xmpp",
    ]);
    assert.deepEqual(after(21 * 60 + 30), [
      "t=1300m bob reminder xmpp",
      "t=1300m carol reminder xmpp",
      "t=22h alice reminder xmpp", // 08:00: her day again, and bob's night over
      "t=1330m carol reminder xmpp",
      "t=1350m alice reminder xmpp",
    ]);
  });

  it("goes on reminding whoever's ack ran out while nobody on call has been told", () => {
    const h = atSeven(shifts("carol", false)); // no night shift: nobody is on call after 20:00
    h.on(9 * 60 + 10, () => (h.alert = { ...h.alert, ack: ack("alice", 9 * 60 + 10, 60) }));
    h.on(10 * 60 + 10, () => (h.alert = { ...h.alert, ack: null }));
    h.runTo(11 * 60 + 10);
    assert.deepEqual(
      h.lines.filter((l) => l.includes(" alice ")),
      [
        "t=9h alice raised xmpp",
        "t=610m alice ack-expired xmpp",
        "t=640m alice reminder xmpp", // nobody on call for the first step: she is not left out
        "t=670m alice reminder xmpp",
      ],
    );
  });

  it("reminds whoever's ack ran out while they are in the line, though the first step pages only its first", () => {
    // By day ops's line is alice then bob: step 1 pages alice, step 2 (next) paged bob.
    const h = new Harness();
    h.evaluate();
    h.on(40, () => (h.alert = { ...h.alert, ack: ack("bob", 40, 60) }));
    h.on(100, () => (h.alert = { ...h.alert, ack: null }));
    h.runTo(200);
    assert.deepEqual(
      h.lines.filter((l) => l.includes(" bob ")),
      [
        "t=15m bob escalated xmpp",
        "t=100m bob ack-expired xmpp",
        "t=130m bob reminder xmpp", // he said he was on it, and is on call: `next` has nobody new to page
        "t=160m bob reminder xmpp",
        "t=190m bob reminder xmpp",
      ],
    );
  });

  it("reminds whoever's ack ran out through their shift when the first step names someone, and not after", () => {
    const named = shifts("", true, "{ steps: [{ after: 0m, notify: carol }], reminder: 2h }");
    const h = new Harness({}, named);
    h.evaluate();
    h.on(10, () => (h.alert = { ...h.alert, ack: ack("alice", 10, 60) }));
    h.on(70, () => (h.alert = { ...h.alert, ack: null })); // 11:10, in her day
    h.runTo(14 * 60);
    assert.deepEqual(h.lines, [
      "t=0m carol raised xmpp",
      "t=10m carol acked xmpp",
      "t=70m carol ack-expired xmpp",
      "t=70m alice ack-expired xmpp",
      "t=190m carol reminder xmpp",
      "t=190m alice reminder xmpp", // on call for ops all day
      "t=310m carol reminder xmpp",
      "t=310m alice reminder xmpp",
      "t=430m carol reminder xmpp",
      "t=430m alice reminder xmpp",
      "t=550m carol reminder xmpp",
      "t=550m alice reminder xmpp",
      "t=670m carol reminder xmpp", // 21:10: her day is over, and carol, named, has it
      "t=790m carol reminder xmpp",
    ]);
  });

  it("keeps reminding a person a step names, though a line told them too", () => {
    const h = atSeven(shifts("alice"));
    h.runTo(11 * 60);
    assert.deepEqual(h.lines, [
      "t=9h alice raised xmpp",
      "t=570m alice escalated xmpp",
      "t=10h bob escalated xmpp",
      "t=10h alice reminder xmpp",
      "t=630m alice reminder xmpp",
      "t=630m bob reminder xmpp",
      "t=11h alice reminder xmpp",
      "t=11h bob reminder xmpp",
    ]);
  });

  /** Step 1 names carol; step 2, half an hour on, tells whoever is on call (the line, for `all`). */
  const namedFirst = (secondStep = "oncall", channels = ""): Policy =>
    loadBotConfig(
      `xmpp: { component: alertbot.x.org, secret: s, pubsub: pubsub.x.org }
database: ":memory:"
people:
  - { name: alice, jid: alice@x.org, email: alice@x.org }
  - { name: bob, jid: bob@x.org, email: bob@x.org }
  - { name: carol, jid: carol@x.org }
workgroups:
  - name: ops
    timezone: Europe/London
    rotation:
      start: 2026-01-05
      shifts:
        - { name: day, hours: 08:00-20:00, people: [alice], cycle: week }
        - { name: night, hours: 20:00-08:00, people: [bob], cycle: week }
    escalation:
      urgent:
        steps: [{ after: 0m, notify: carol }, { after: 30m, notify: ${secondStep}${channels} }]
        reminder: 30m
rules:
  - { level: urgent, workgroup: ops }
email: { smtp: { host: 127.0.0.1, port: 2525, secure: false }, from: Mauve <alerts@x.org> }
`,
      { file: "named-first.yaml" },
    );

  it("hands over the line of a later step already run, on its channels, and its reminders follow", () => {
    const h = atSeven(namedFirst("oncall", ", channels: [email]"));
    h.runTo(11 * 60);
    assert.deepEqual(h.lines, [
      "t=9h carol raised xmpp",
      "t=570m alice escalated email", // step 2: alice's day
      "t=570m carol reminder xmpp",
      "t=10h bob escalated email", // 20:00: step 2's line is bob's now
      "t=10h carol reminder xmpp", // named by step 1: reminded whoever is on call
      "t=630m carol reminder xmpp",
      "t=630m bob reminder email",
      "t=11h carol reminder xmpp",
      "t=11h bob reminder email",
    ]);
    const handover = h.last?.state?.notified.find((n) => n.person === "bob");
    assert.equal(handover?.onCallStep, 1, "told for step 2's line");
  });

  it("hands over everyone on call for a later step, once, and nobody for a step not reached yet", () => {
    const h = new Harness({ raisedAt: T0 + 9 * 60 * M + 50 * M }, namedFirst("all")); // 19:50
    h.clock.set(T0 + 9 * 60 * M + 50 * M);
    h.evaluate();
    h.runTo(10 * 60 + 30);
    assert.deepEqual(h.lines, [
      "t=590m carol raised xmpp",
      "t=620m bob escalated xmpp", // step 2 runs at 20:20 and finds bob: no handover at 20:00
      "t=620m carol reminder xmpp",
    ]);
    h.runTo(22 * 60 + 10); // to 08:10 on Tuesday
    assert.deepEqual(
      h.lines.filter((l) => l.includes("escalated")),
      ["t=620m bob escalated xmpp", "t=22h alice escalated xmpp"], // 08:00: the day's, once
    );
    assert.ok(!h.lines.some((l) => l.startsWith("t=22h bob")), "bob, off call and handed over, is not reminded");
  });

  it("hands over a later step's `next` to the first in line once nobody in it has been told", () => {
    const h = atSeven(namedFirst("next"));
    h.runTo(10 * 60 + 30);
    assert.deepEqual(h.lines, [
      "t=9h carol raised xmpp",
      "t=570m alice escalated xmpp", // step 2: next in alice's day
      "t=570m carol reminder xmpp",
      "t=10h bob escalated xmpp", // 20:00: bob's night, and nobody in it has heard
      "t=10h carol reminder xmpp",
      "t=630m carol reminder xmpp",
      "t=630m bob reminder xmpp",
    ]);
  });

  it("hands over another workgroup's line that a later step paged, looking when that line changes", () => {
    const twoTeams = loadBotConfig(
      `xmpp: { component: alertbot.x.org, secret: s, pubsub: pubsub.x.org }
database: ":memory:"
people:
  - { name: alice, jid: alice@x.org }
  - { name: bob, jid: bob@x.org }
  - { name: carol, jid: carol@x.org }
workgroups:
  - name: ops
    timezone: Europe/London
    members: [carol]
    escalation:
      urgent: { steps: [{ after: 0m, notify: carol }, { after: 30m, notify: "workgroup:dba" }], reminder: 30m }
  - name: dba
    timezone: Europe/London
    rotation:
      start: 2026-01-05
      shifts:
        - { name: day, hours: 08:00-20:00, people: [alice], cycle: week }
        - { name: night, hours: 20:00-08:00, people: [bob], cycle: week }
    escalation:
      urgent: { steps: [{ after: 0m, notify: oncall }], reminder: 30m }
rules:
  - { level: urgent, workgroup: ops }
`,
      { file: "two-teams.yaml" },
    );
    const h = new Harness({ raisedAt: T0 + 9 * 60 * M + 20 * M }, twoTeams); // 19:20
    h.clock.set(T0 + 9 * 60 * M + 20 * M);
    h.evaluate();
    h.runTo(10 * 60 + 30);
    assert.deepEqual(h.lines, [
      "t=560m carol raised xmpp",
      "t=590m alice escalated xmpp", // step 2: dba's day
      "t=590m carol reminder xmpp",
      "t=10h bob escalated xmpp", // 20:00: dba's night
      "t=620m carol reminder xmpp",
      "t=630m bob reminder xmpp", // and alice, off call, no more
    ]);
  });

  it("hands over once to someone coming on call for two steps already run", () => {
    const h = atSeven(shifts("all")); // steps 1 and 2 both read ops's line
    h.runTo(10 * 60 + 5);
    assert.deepEqual(
      h.lines.filter((l) => l.startsWith("t=10h")),
      ["t=10h bob escalated xmpp"], // 20:00: one handover, and alice is off call for both steps
    );
  });

  it("keeps reminding the last one told when nobody is on call after their shift, rather than nobody", () => {
    const h = atSeven(shifts("next", false)); // no night shift: the rota is empty from 20:00
    h.runTo(11 * 60);
    assert.deepEqual(h.lines, [
      "t=9h alice raised xmpp",
      "t=570m alice reminder xmpp",
      "t=10h alice reminder xmpp",
      "t=630m alice reminder xmpp",
      "t=11h alice reminder xmpp",
    ]);
    assert.ok(h.last?.nextAt !== null, "a look is still booked");
  });

  it("reminds only the one on call, once they are, of a page told to the whole rota for want of anyone", () => {
    const nights = loadBotConfig(
      `xmpp: { component: alertbot.x.org, secret: s, pubsub: pubsub.x.org }
database: ":memory:"
people:
  - { name: carol, jid: carol@x.org }
  - { name: dave, jid: dave@x.org }
workgroups:
  - name: night
    timezone: Europe/London
    rotation: { start: 2026-01-05, shifts: [{ name: night, hours: 20:00-08:00, people: [carol, dave], cycle: week }] }
    escalation:
      urgent: { steps: [{ after: 0m, notify: oncall }], reminder: 2h }
rules:
  - { level: urgent, workgroup: night }
`,
      { file: "nights.yaml" },
    );
    const h = new Harness({}, nights); // 10:00 in London: no shift covers it, so both hear it
    h.evaluate();
    h.runTo(12 * 60);
    assert.deepEqual(h.lines, [
      "t=0m carol raised xmpp",
      "t=0m dave raised xmpp",
      ...[2, 4, 6, 8].flatMap((n) => [`t=${n}h carol reminder xmpp`, `t=${n}h dave reminder xmpp`]),
      "t=10h carol reminder xmpp", // 20:00: carol's night, and she knows it already
      "t=12h carol reminder xmpp",
    ]);
  });

  it("notifies the night rotation's person first, then the day members", () => {
    const h = new Harness({ raisedAt: T0 + 11 * 60 * M }); // 21:00 London: carol's night
    h.clock.set(T0 + 11 * 60 * M);
    h.evaluate();
    h.clock.advance(15 * M);
    assert.deepEqual(h.lines, ["t=11h carol raised xmpp+sms", "t=675m alice escalated xmpp"]);
  });

  it("tells an ack to everyone told except whoever acked, once", () => {
    const h = new Harness();
    h.evaluate();
    h.runTo(16);
    h.alert = { ...h.alert, ack: ack("alice", 16, 60) };
    const first = h.evaluate();
    assert.deepEqual(
      first.deliveries.map((d) => `${d.person} ${d.kind} ${d.why}`),
      ["bob acked acked by alice"],
    );
    assert.deepEqual(first.deliveries[0]?.fallbacks, []);
    assert.equal(first.nextAt, T0 + 76 * M);
    assert.deepEqual(h.evaluate().deliveries, []);
  });

  it("does not tell alice of her own ack made through the web board (alice (web))", () => {
    const h = new Harness();
    h.evaluate();
    h.runTo(16);
    h.alert = { ...h.alert, ack: ack("alice (web)", 16, 60) };
    assert.deepEqual(
      h.evaluate().deliveries.map((d) => `${d.person} ${d.kind} ${d.why}`),
      ["bob acked acked by alice (web)"],
    );
  });
});
