import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadBotConfig } from "../../src/config/bot-config.js";
import { checkHostsDown, HOST_DOWN_ALERT_ID, inhibitedBy } from "../../src/policy/inhibit.js";
import {
  compilePattern,
  matches,
  type AlertFacts,
  classify,
  activeSilences,
  isSilenced,
  silencedUntil,
  type Silence,
} from "../../src/policy/matcher.js";

const team = loadBotConfig(readFileSync(new URL("../fixtures/config/policy-team.yaml", import.meta.url), "utf8"), {
  file: "policy-team.yaml",
});
const alert = (fields: Partial<AlertFacts>): AlertFacts => ({
  source: "web1",
  alertId: "http",
  subject: "web1",
  importance: 50,
  ...fields,
});
const M = 60_000;

describe("policy: rules", () => {
  const table: Array<[Partial<AlertFacts>, string]> = [
    [{ alertId: HOST_DOWN_ALERT_ID, importance: 100 }, "0 urgent ops"],
    [{ source: "DB3", importance: 150 }, "1 urgent dba"], // globs ignore case
    [{ source: "db3", importance: 100 }, "1 urgent dba"], // ranges are inclusive
    [{ source: "db3", importance: 99 }, "2 normal dba"],
    [{ source: "pg-12", importance: 10 }, "2 normal dba"], // regex; and first match wins over the low rule
    [{ source: "pg-x", importance: 10 }, "5 low ops office"],
    [{ subject: "Disk Nearly Full on /var" }, "3 normal ops"], // /…/i
    [{ subject: "disk fine", importance: 20 }, "5 low ops office"],
    [{ importance: 200 }, "4 urgent ops"],
    [{ importance: 21 }, "6 normal ops"], // the default
  ];
  for (const [fields, expected] of table) {
    it(`${JSON.stringify(fields)} → ${expected}`, () => {
      const c = classify(team.rules, alert(fields));
      assert.equal(
        [c.ruleIndex, c.level, c.workgroup, ...(c.window === undefined ? [] : [c.window])].join(" "),
        expected,
      );
    });
  }

  it("throws on rules without a default, which only a bug could build", () => {
    assert.throws(
      () => classify([{ match: { source: ["x"] }, level: "low", workgroup: "ops", window: null }], alert({})),
      /no default/,
    );
  });
});

describe("policy: patterns", () => {
  const table: Array<[string, string, boolean]> = [
    ["web*", "web12", true],
    ["web?", "web1", true],
    ["web?", "web12", false],
    ["*.example.org", "db.example.org", true],
    ["a.b*", "aXb", false], // "." is literal in a glob
    ["(x)+", "(x)+", true],
    ["/^db\\d+$/", "db12", true],
    ["/^db\\d+$/", "DB12", false],
    ["/^db\\d+$/i", "DB12", true],
    ["/disk/", "root disk full", true], // regexes are not anchored
  ];
  for (const [pattern, text, expected] of table) {
    it(`${pattern} ${expected ? "matches" : "does not match"} ${text}`, () =>
      assert.equal(matches({ source: [pattern] }, alert({ source: text })), expected));
  }

  it("explains broken patterns", () => {
    assert.deepEqual(compilePattern("/x/g"), { ok: false, reason: 'regex flags may only be i, m, s or u, got "g"' });
    const broken = compilePattern("/(/");
    assert.ok(!broken.ok && broken.reason.startsWith("not a valid regex (Invalid regular expression"));
  });

  it("matches only when every given field does", () => {
    const m = { source: ["web*"], importance: { min: 60 } };
    assert.equal(matches(m, alert({ importance: 60 })), true);
    assert.equal(matches(m, alert({ importance: 59 })), false);
    assert.equal(matches(m, alert({ source: "db1", importance: 90 })), false);
    assert.equal(matches({}, alert({})), true);
  });
});

describe("policy: silences", () => {
  const now = Date.parse("2026-01-05T10:00:00Z");
  const silences: Silence[] = [
    { id: "s1", matcher: { source: ["web*"] }, until: now + 60 * M, by: "alice", why: "deploying" },
    { id: "s2", matcher: { source: ["web1"], alertId: ["http"] }, until: now + 120 * M, by: "bob", why: "known issue" },
    { id: "s3", matcher: { subject: ["*"] }, until: now, by: "bob", why: "already over" },
    { id: "s4", matcher: { source: ["/(/"] }, until: now + 60 * M, by: "carol", why: "a typo matches nothing" },
  ];

  it("mutes matching alerts until the last matching silence lapses", () => {
    assert.deepEqual(
      activeSilences(alert({}), silences, now).map((s) => s.id),
      ["s1", "s2"],
    );
    assert.equal(silencedUntil(alert({}), silences, now), now + 120 * M);
    assert.equal(silencedUntil(alert({ alertId: "disk" }), silences, now), now + 60 * M);
    assert.equal(isSilenced(alert({ alertId: "disk" }), silences, now + 60 * M), false);
    assert.equal(isSilenced(alert({ source: "db1" }), silences, now), false);
    assert.equal(silencedUntil(alert({ source: "db1" }), silences, now), null);
  });
});

describe("policy: host down and inhibition", () => {
  const t0 = Date.parse("2026-01-05T10:00:00Z");
  const down = new Map([
    ["web1", t0],
    ["db1", t0 + 3 * M],
  ]);

  it("raises one host-down alert per source once the grace has run out, and says when to look again", () => {
    const check = checkHostsDown(down, team.hostDown, t0 + 6 * M);
    assert.deepEqual(check.raise, [
      {
        source: "web1",
        alertId: HOST_DOWN_ALERT_ID,
        subject: "web1",
        summary: "web1's agent has been unreachable since 2026-01-05T10:00:00.000Z",
        importance: 100,
        raiseAt: t0 + 5 * M,
      },
    ]);
    assert.equal(check.nextAt, t0 + 8 * M);
    assert.deepEqual(checkHostsDown(new Map(), team.hostDown, t0), { raise: [], nextAt: null });
  });

  it("holds the down host's other alerts, but not its host-down alert nor other hosts", () => {
    const at = t0 + 6 * M;
    assert.equal(inhibitedBy(alert({}), down, team.hostDown, at), "web1");
    assert.equal(inhibitedBy(alert({ alertId: HOST_DOWN_ALERT_ID }), down, team.hostDown, at), null);
    assert.equal(inhibitedBy(alert({ source: "db1" }), down, team.hostDown, at), null); // still within its grace
    assert.equal(inhibitedBy(alert({ source: "db1" }), down, team.hostDown, t0 + 8 * M), "db1");
    assert.equal(inhibitedBy(alert({ source: "mail1" }), down, team.hostDown, at), null);
    assert.equal(inhibitedBy(alert({}), down, team.hostDown, t0 + 4 * M), null);
  });
});
