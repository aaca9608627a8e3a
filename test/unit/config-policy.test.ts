import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { object } from "../../src/schema/combinators.js";
import { loadBotConfig } from "../../src/config/bot-config.js";
import { loadYaml } from "../../src/config/load.js";
import { channelTiers, hours, importanceRange, patterns, rate, weekdays } from "../../src/config/policy-scalars.js";
import type { Reader } from "../../src/schema/reader.js";
import { ConfigError } from "../../src/errors.js";
import { onCall } from "../../src/policy/on-call.js";
import { classify } from "../../src/policy/matcher.js";

const FIXTURES = new URL("../fixtures/config/", import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, FIXTURES), "utf8");
const Z = (iso: string): number => Date.parse(iso);
const M = 60_000;

function errorOf(text: string, load: (text: string) => unknown): string {
  try {
    load(text);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail("loaded without error");
}

describe("config: policy sections", () => {
  const team = loadBotConfig(fixture("policy-team.yaml"), { file: "policy-team.yaml" });

  it("maps people's channel preferences, filling defaults from what each person has", () => {
    const [alice, bob, carol] = team.people;
    assert.deepEqual(alice?.notify, {
      urgent: [["xmpp"], ["sms"], ["email"]],
      normal: [["xmpp"], ["email"]],
      low: [["email_digest"]],
    });
    assert.deepEqual(bob?.notify.low, [["email_digest"]]);
    assert.deepEqual(carol?.notify, { urgent: [["xmpp", "sms"]], normal: [["xmpp"]], low: [["xmpp"]] });
    assert.equal(team.people[4]?.fallbackAfterMs, 10 * M);
  });

  it("maps workgroups: rotation hours in minutes, override instants, parsed step targets, per-level defaults", () => {
    const [ops, dba] = team.workgroups;
    assert.deepEqual(ops?.rotation, {
      start: "2026-01-05",
      shifts: [
        {
          name: "night",
          days: [1, 2, 3, 4, 5, 6, 7],
          from: 1200,
          until: 480,
          people: ["carol", "dave"],
          cycle: "week",
        },
      ],
    });
    assert.deepEqual(ops?.escalation.urgent, {
      steps: [
        { afterMs: 0, notify: { kind: "oncall" }, channels: null, window: null },
        { afterMs: 15 * M, notify: { kind: "next" }, channels: null, window: null },
        { afterMs: 45 * M, notify: { kind: "person", name: "erin" }, channels: [["sms"]], window: null },
      ],
      reminderMs: 30 * M,
    });
    assert.deepEqual(ops?.escalation.normal, {
      steps: [
        { afterMs: 0, notify: { kind: "oncall" }, channels: null, window: null },
        { afterMs: 60 * M, notify: { kind: "next" }, channels: null, window: null },
      ],
      reminderMs: 60 * M,
    });
    assert.deepEqual(ops?.escalation.low, {
      steps: [{ afterMs: 0, notify: { kind: "oncall" }, channels: null, window: "office" }],
      reminderMs: null,
    });
    assert.deepEqual(dba?.escalation.urgent.steps[1]?.notify, { kind: "workgroup", name: "ops" });
    assert.equal(dba?.room, "dba@conference.mauve.localhost");
    assert.equal(dba?.rotation, null);
  });

  it("maps rules, windows, storm and host_down", () => {
    assert.deepEqual(team.rules[2], {
      match: { source: ["db*", "/^pg-\\d+$/"] },
      level: "normal",
      workgroup: "dba",
      window: null,
    });
    assert.deepEqual(team.rules[1]?.match, { source: ["db*"], importance: { min: 100 } });
    assert.deepEqual(team.rules.at(-1), { match: {}, level: "normal", workgroup: "ops", window: null });
    assert.deepEqual(team.windows, {
      office: {
        timezone: "Europe/London",
        days: [1, 2, 3, 4, 5],
        from: 540,
        until: 1050,
        holidays: ["2026-12-25", "2026-12-28"],
      },
    });
    assert.deepEqual(team.storm, {
      limit: { count: 5, perMs: 10 * M },
      digestAfter: 3,
      digestTop: 3,
      quietDigestEveryMs: 60 * M,
    });
    assert.deepEqual(team.hostDown, { graceMs: 5 * M, importance: 100, probeEveryMs: M });
  });

  it("reads host_down.probe: a period of 10 s to an hour, or false for no pings", () => {
    const base = fixture("policy-team.yaml");
    const load = (probe: string) =>
      loadBotConfig(base.replace("host_down:\n", `host_down:\n  probe: ${probe}\n`), { file: "alertbot.yaml" });
    assert.equal(load("30s").hostDown.probeEveryMs, 30_000);
    assert.equal(load("false").hostDown.probeEveryMs, null);
    assert.match(
      errorOf("", () => load("5s")),
      /host_down\.probe/,
    );
    assert.match(
      errorOf("", () => load("2h")),
      /host_down\.probe/,
    );
  });

  it("the example's policy behaves like the team it describes", () => {
    const example = loadBotConfig(readFileSync(new URL("../../examples/alertbot.yaml", import.meta.url), "utf8"), {
      file: "examples/alertbot.yaml",
      env: { ALERTBOT_COMPONENT_SECRET: "x", MAUVE_SMTP_PASSWORD: "smtp", TWILIO_AUTH_TOKEN: "token" },
    });
    const ops = example.workgroups[0]!;
    const who = (iso: string): string =>
      onCall(ops, Z(iso), example.people)
        .map((p) => p.name)
        .join(" ");
    assert.equal(who("2026-01-06T10:00:00Z"), "alice bob"); // weekday daytime: members
    assert.equal(who("2026-01-06T22:00:00Z"), "carol alice bob"); // night rota, week 1
    assert.equal(who("2026-01-13T22:00:00Z"), "dave alice bob"); // week 2
    assert.equal(who("2026-01-10T10:00:00Z"), "alice bob"); // weekend day rota
    assert.equal(who("2026-01-17T10:00:00Z"), "bob alice");
    assert.equal(who("2026-07-08T22:00:00Z"), "bob carol alice"); // bob's override week, before the rota
    const cls = classify(example.rules, { source: "db2", alertId: "repl", subject: "Replication lag", importance: 50 });
    assert.deepEqual(cls, { level: "urgent", workgroup: "ops", ruleIndex: 2 });
    assert.equal(ops.escalation.urgent.steps.at(-1)?.notify.kind, "person");
  });

  const broken: Array<[string, string[]]> = [
    [
      "bot-policy-refs.yaml",
      [
        'alertbot.yaml: workgroups[0].members[1]: no person named "zed" (people: alice, bob)',
        'alertbot.yaml: workgroups[0].rotation.shifts[0].people[1]: no person named "yves" (people: alice, bob)',
        'alertbot.yaml: workgroups[0].overrides[0].person: no person named "xavier" (people: alice, bob)',
        'alertbot.yaml: workgroups[0].working_hours: no window named "office" (windows: weekend)',
        'alertbot.yaml: workgroups[0].escalation.urgent.steps[1].notify: no person named "manager" (people: alice, bob)',
        'alertbot.yaml: workgroups[0].escalation.urgent.steps[1].window: no window named "office" (windows: weekend)',
        'alertbot.yaml: workgroups[0].escalation.urgent.steps[2].notify: no workgroup named "dba" (workgroups: ops)',
        'alertbot.yaml: rules[0].workgroup: no workgroup named "dba" (workgroups: ops)',
        'alertbot.yaml: rules[1].window: no window named "after_hours" (windows: weekend)',
      ],
    ],
    [
      "bot-policy-bad-values.yaml",
      [
        'alertbot.yaml: people[0].notify.urgent[1]: expected one of xmpp, email, sms, email_digest (or several joined with +), got "pager"',
        'alertbot.yaml: people[0].fallback_after: expected a duration between 1m and 1d, got "10s"',
        'alertbot.yaml: workgroups[0].timezone: expected an IANA time zone like Europe/London, got "Europe/Londres"',
        `alertbot.yaml: workgroups[0].escalation.normal.steps[1].notify: expected oncall, next, all, a person's name, or workgroup:<name>, got "workgroup:"`,
        'alertbot.yaml: workgroups[0].escalation.normal.reminder: expected a duration between 1m and 7d, got "10s"',
        'alertbot.yaml: workgroups[1].rotation.start: expected a date like 2026-12-25, got "2026-02-30"',
        'alertbot.yaml: workgroups[1].rotation.shifts[0].days: expected days of the week like mon-fri or [mon, wed, fri], got "funday"',
        'alertbot.yaml: workgroups[1].rotation.shifts[0].hours: expected hours like "08:00-20:00" (24-hour clock), got "8-20"',
        'alertbot.yaml: workgroups[1].rotation.shifts[0].cycle: expected one of shift, week, got "fortnight"',
        'alertbot.yaml: workgroups[1].overrides[1].from: expected a date and time like "2026-03-28 20:00" or "2026-03-28T20:00:00Z", got "tomorrow"',
        "alertbot.yaml: rules[0].match.source: not a valid regex (Invalid regular expression: /web(/: Unterminated group)",
        'alertbot.yaml: rules[0].match.importance: expected an importance like 100, or a range like "50..99", "100.." or "..49", low end first, got "99..50"',
        'alertbot.yaml: rules[0].level: expected one of urgent, normal, low, got "critical"',
        "alertbot.yaml: rules[1].match: expected at least one of source, subject, alert_id, importance, got an empty mapping",
        'alertbot.yaml: windows."office hours": expected a short name without spaces like office, got "office hours"',
        'alertbot.yaml: windows.office.holidays[1]: expected a date like 2026-12-25, got "2026-13-01"',
        'alertbot.yaml: storm.per_person_limit: expected a rate like "5 per 10m", got "lots"',
        "alertbot.yaml: storm.digest_after: expected a whole number between 1 and 1000, got 0",
        'alertbot.yaml: host_down.grace: expected a duration between 0s and 1d, got "2d"',
      ],
    ],
    [
      "bot-policy-checks.yaml",
      [
        "alertbot.yaml: people[0].notify.urgent[0]: sms needs an sms number, and alice has none",
        "alertbot.yaml: people[0].notify.urgent[1]: email needs an email address, and alice has none",
        "alertbot.yaml: people[0].notify.low[0]: email_digest needs an email address, and alice has none",
        "alertbot.yaml: workgroups[0].members: expected members, a rotation or both, got neither",
        "alertbot.yaml: workgroups[0].overrides[0].until: expected a time after from (2026-03-29T01:30:00.000Z), got 2026-03-29T01:00:00.000Z",
        "alertbot.yaml: workgroups[1].escalation.urgent.steps[2].after: expected at least 30m, the step before's (after counts from the start of the chain), got 15m",
      ],
    ],
    [
      "bot-policy-default-rule.yaml",
      [
        "alertbot.yaml: rules[0].match: expected a match: only the last rule, the default, may leave it out",
        "alertbot.yaml: rules[1].match: the last rule is the default and matches everything: remove match, or add a default rule after it",
      ],
    ],
    [
      "bot-policy-no-rules.yaml",
      [
        "alertbot.yaml: rules: expected a list of rules ending with a default (without match), since workgroups are configured, got nothing",
      ],
    ],
  ];
  for (const [name, lines] of broken) {
    it(`reports ${name} exactly`, () => {
      assert.equal(
        errorOf(fixture(name), (text) => loadBotConfig(text, { file: "alertbot.yaml" })),
        lines.join("\n"),
      );
    });
  }
});

describe("config: policy readers", () => {
  const read = <T>(reader: Reader<T>, yaml: string): T =>
    loadYaml(`v: ${yaml}`, object({ v: reader }), { file: "t.yaml" }).v;

  it("reads hours, including overnight and whole-day spans", () => {
    assert.deepEqual(read(hours(), "08:00-20:00"), { from: 480, until: 1200 });
    assert.deepEqual(read(hours(), '"22:00 – 06:30"'), { from: 1320, until: 390 });
    assert.deepEqual(read(hours(), "00:00-24:00"), { from: 0, until: 1440 });
    for (const bad of ["24:00-01:00", "08:60-09:00", "8am-5pm", "08:00-00:00x"]) {
      assert.equal(
        errorOf(bad, (t) => read(hours(), t)),
        `t.yaml: v: expected hours like "08:00-20:00" (24-hour clock), got "${bad}"`,
      );
    }
  });

  it("reads days as names, ranges (wrapping at the weekend) and lists", () => {
    assert.deepEqual(read(weekdays(), "mon-fri"), [1, 2, 3, 4, 5]);
    assert.deepEqual(read(weekdays(), "fri-mon"), [1, 5, 6, 7]);
    assert.deepEqual(read(weekdays(), "[Monday, wed, sat-sun]"), [1, 3, 6, 7]);
    assert.deepEqual(read(weekdays(), '"sat, sun"'), [6, 7]);
    for (const bad of ["monkey", "mon-", "[]", "mon-tue-wed"]) {
      assert.match(
        errorOf(bad, (t) => read(weekdays(), t)),
        /^t\.yaml: v: expected days of the week like mon-fri or \[mon, wed, fri\], got /,
      );
    }
  });

  it("reads importance ranges, rates, channels and patterns", () => {
    assert.deepEqual(read(importanceRange(), "100"), { min: 100, max: 100 });
    assert.deepEqual(read(importanceRange(), '"..49"'), { max: 49 });
    assert.deepEqual(read(rate(), '"3 / 1h"'), { count: 3, per: 60 * M });
    assert.deepEqual(read(channelTiers(), "[xmpp+sms, email]"), [["xmpp", "sms"], ["email"]]);
    assert.deepEqual(read(channelTiers(), "email_digest"), [["email_digest"]]);
    assert.deepEqual(read(patterns(), "web*"), ["web*"]);
    assert.equal(
      errorOf('"/x/g"', (t) => read(patterns(), t)),
      't.yaml: v: regex flags may only be i, m, s or u, got "g"',
    );
    assert.equal(
      errorOf("[web1, '']", (t) => read(patterns(), t)),
      't.yaml: v[1]: expected a glob like "web*" or a regex like "/^db[0-9]+$/", got ""',
    );
    assert.deepEqual(read(patterns(), "['/(a|a)+$/', '/(a+)+$/']"), ["/(a|a)+$/", "/(a+)+$/"]);
    assert.equal(
      errorOf("[web1, '/(web)\\1/']", (t) => read(patterns(), t)),
      "t.yaml: v[1]: a regex the linear-time engine (RE2) cannot run: it has no backreferences or lookaround (invalid escape sequence: `\\1`)",
    );
  });
});
