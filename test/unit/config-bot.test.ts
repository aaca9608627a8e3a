import assert from "node:assert/strict";
import { renderProsodyConfig } from "../../prosody/config.js";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { loadBotConfig, readBotConfigFile } from "../../src/config/bot-config.js";
import { ConfigError } from "../../src/errors.js";

const FIXTURES = new URL("../fixtures/config/", import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, FIXTURES), "utf8");

/** Loads a fixture as "alertbot.yaml" and returns its error message. */
function errorOf(name: string, env: Record<string, string> = {}): string {
  try {
    loadBotConfig(fixture(name), { file: "alertbot.yaml", env });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail(`${name} loaded without error`);
}

describe("config: AlertBot", () => {
  it("fills every default of a minimal config", () => {
    const config = loadBotConfig(fixture("bot-minimal.yaml"), { file: "/etc/mauve/alertbot.yaml" });
    assert.equal(config.xmpp.secret.reveal(), "component-secret-123");
    assert.deepEqual(JSON.parse(JSON.stringify(config)), {
      xmpp: {
        service: ["xmpp://127.0.0.1:5347"],
        component: "alertbot.mauve.localhost",
        secret: "[redacted]",
        pubsub: "pubsub.mauve.localhost",
        keepaliveMs: 30_000,
      },
      database: "/etc/mauve/state/alertbot.db",
      people: [
        {
          name: "alice",
          jid: "alice@mauve.localhost",
          email: null,
          sms: null,
          timezone: null,
          notify: { urgent: [["xmpp"]], normal: [["xmpp"]], low: [["xmpp"]] },
          fallbackAfterMs: 300_000,
        },
      ],
      alerts: { ackDefaultMs: 3_600_000, ackMaxMs: 7 * 86_400_000, toleranceMs: 5_000, maxClockSkewMs: 3_600_000 },
      // Without a policy, everyone is told everything at once, as before policies existed.
      workgroups: [
        {
          name: "everyone",
          members: ["alice"],
          timezone: "UTC",
          rotation: null,
          overrides: [],
          room: null,
          workingHours: null,
          escalation: Object.fromEntries(
            ["urgent", "normal", "low"].map((level) => [
              level,
              { steps: [{ afterMs: 0, notify: { kind: "all" }, channels: null, window: null }], reminderMs: null },
            ]),
          ),
        },
      ],
      rules: [{ match: {}, level: "normal", workgroup: "everyone", window: null }],
      windows: {},
      storm: { limit: { count: 5, perMs: 600_000 }, digestAfter: 3, digestTop: 3, quietDigestEveryMs: 3_600_000 },
      hostDown: { graceMs: 300_000, importance: 100, probeEveryMs: 60_000 },
      email: null,
      sms: null,
      udp: null,
      http: null,
      permissions: {},
      log: { level: "info" },
      failover: null,
      retention: { historyMs: 30 * 24 * 3_600_000, transmissionsMs: 3_600_000, everyMs: 60_000 },
    });
  });

  it("returns a deeply frozen object", () => {
    const config = loadBotConfig(fixture("bot-minimal.yaml"), { file: "alertbot.yaml" });
    for (const part of [
      config,
      config.xmpp,
      config.people,
      config.people[0],
      config.alerts,
      config.log,
      config.xmpp.secret,
      config.workgroups[0],
      config.rules[0],
    ]) {
      assert.ok(Object.isFrozen(part));
    }
    assert.throws(() => ((config.alerts as { ackMaxMs: number }).ackMaxMs = 1), TypeError);
  });

  it("never shows the secret when the whole config is printed", () => {
    const config = loadBotConfig(fixture("bot-minimal.yaml"), { file: "alertbot.yaml" });
    for (const text of [
      JSON.stringify(config),
      inspect(config, { depth: null }),
      inspect(config, { depth: null, showHidden: true }),
      String(config.xmpp.secret),
    ]) {
      assert.ok(!text.includes("component-secret-123"), text);
    }
  });

  it("loads examples/alertbot.yaml, so the sample never rots", () => {
    const config = loadBotConfig(readFileSync(new URL("../../examples/alertbot.yaml", import.meta.url), "utf8"), {
      file: "examples/alertbot.yaml",
      env: { ALERTBOT_COMPONENT_SECRET: "from-env", MAUVE_SMTP_PASSWORD: "smtp", TWILIO_AUTH_TOKEN: "token" },
    });
    assert.equal(config.xmpp.secret.reveal(), "from-env");
    assert.deepEqual(
      config.people.map((p) => p.name),
      ["alice", "bob", "carol", "dave", "erin"],
    );
    assert.equal(config.people[0]?.timezone, "Europe/London");
    assert.equal(config.workgroups[0]?.workingHours, "office");
    assert.equal(config.alerts.maxClockSkewMs, 3_600_000);
    // Its rooms live on the MUC service our launcher's Prosody runs for that domain.
    const room = config.workgroups.find((w) => w.room !== null)?.room ?? "";
    const prosody = renderProsodyConfig({
      domain: "mauve.localhost",
      c2sPort: 15222,
      componentPort: 15347,
      dataDir: "/d",
      certsDir: "/c",
      pidFile: "/p",
      logFile: "/l",
      logLevel: "info",
      storage: "internal",
      runAsRoot: false,
    });
    assert.match(prosody, new RegExp(`Component "${room.split("@")[1]?.replace(/\./g, "\\.")}" "muc"`), room);
  });

  const broken: Array<[string, string[]]> = [
    [
      "bot-unknown-key.yaml",
      [
        "alertbot.yaml: xmpp.pubsub_node: unknown key (expected one of: service, component, secret, secret_env, secret_file, pubsub, keepalive)",
        "alertbot.yaml: people[0].phone: unknown key (expected one of: name, jid, email, sms, timezone, notify, fallback_after)",
      ],
    ],
    [
      "bot-wrong-type.yaml",
      [
        "alertbot.yaml: people: expected a list of at least one item, got a mapping",
        'alertbot.yaml: log.level: expected one of debug, info, warn, error, got "verbose"',
      ],
    ],
    [
      "bot-bad-duration.yaml",
      [
        'alertbot.yaml: alerts.ack_default: expected a duration like "90s", "5m" or "1h30m", got 3600',
        'alertbot.yaml: alerts.ack_max: expected a duration like "90s", "5m" or "1h30m", got "1 fortnight"',
        'alertbot.yaml: alerts.tolerance: expected a duration between 0s and 5m, got "1h"',
        'alertbot.yaml: alerts.max_clock_skew: expected a duration between 1s and 366d, got "0s"',
      ],
    ],
    [
      "bot-bad-jid.yaml",
      [
        'alertbot.yaml: people[1].jid: expected a bare JID like alice@example.org, got "alice"',
        'alertbot.yaml: people[2].jid: expected a bare JID like alice@example.org, got "carol@mauve.localhost/laptop"',
      ],
    ],
    [
      "bot-duplicate-person.yaml",
      [
        'alertbot.yaml: people[1].name: "Alice" is already used by people[0]',
        'alertbot.yaml: people[2].jid: "alice@mauve.localhost" is already used by people[0]',
      ],
    ],
    [
      "bot-missing-secret-env.yaml",
      ["alertbot.yaml: xmpp.secret_env: environment variable ALERTBOT_COMPONENT_SECRET is not set"],
    ],
    [
      "bot-syntax-error.yaml",
      ["alertbot.yaml: line 9, column 4: YAML syntax error: All sequence items must start at the same column"],
    ],
    [
      "bot-syntax-tab.yaml",
      ["alertbot.yaml: line 2, column 1: YAML syntax error: Tabs are not allowed as indentation"],
    ],
    ["bot-syntax-dup.yaml", ["alertbot.yaml: line 2, column 1: YAML syntax error: Map keys must be unique"]],
    [
      "bot-many-errors.yaml",
      [
        'alertbot.yaml: xmpp.service: expected a URL like xmpp://127.0.0.1:5347, got "http://127.0.0.1:5347"',
        "alertbot.yaml: xmpp.secret_file: give only one of secret, secret_env or secret_file, got secret and secret_file",
        'alertbot.yaml: people[0].name: expected a short name without spaces like alice, got "alice smith"',
        'alertbot.yaml: people[0].email: expected an email address like alice@example.org, got "alice-at-example"',
        'alertbot.yaml: people[0].sms: expected a phone number in E.164 form like +447700900123, got "07700 900123"',
        'alertbot.yaml: people[0].timezone: expected an IANA time zone like Europe/London, got "Mars/Olympus_Mons"',
        "alertbot.yaml: alerts.ack_default: expected at most ack_max (2d), got 10d",
      ],
    ],
  ];
  for (const [name, lines] of broken) {
    it(`reports ${name} exactly`, () => assert.equal(errorOf(name), lines.join("\n")));
  }

  it("never leaks a secret into an error message", () => {
    const text = fixture("bot-many-errors.yaml");
    assert.ok(text.includes("component-secret-123"));
    assert.ok(!errorOf("bot-many-errors.yaml").includes("component-secret-123"));
  });

  it("reads a file from disk, and names it when it cannot", () => {
    const dir = mkdtempSync(join(tmpdir(), "mauve-config-"));
    try {
      const path = join(dir, "alertbot.yaml");
      writeFileSync(path, fixture("bot-minimal.yaml"));
      assert.equal(readBotConfigFile(path, {}).database, join(dir, "state/alertbot.db"));
      assert.throws(() => readBotConfigFile(join(dir, "missing.yaml"), {}), {
        name: "ConfigError",
        message: `${join(dir, "missing.yaml")}: (top level): cannot read the file (ENOENT)`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("config: AlertBot permissions", () => {
  const base = `xmpp: { component: alertbot.x.org, secret: s, pubsub: pubsub.x.org }
database: ":memory:"
people:
  - { name: alice, jid: alice@x.org }
  - { name: bob, jid: bob@x.org }
`;
  it("reads who may do what per workgroup", () => {
    const config = loadBotConfig(
      `${base}permissions:\n  everyone: { ack: [alice, bob], silence: [alice] }\n  "*": { escalate: ["*"] }\n`,
      { file: "alertbot.yaml" },
    );
    assert.deepEqual(config.permissions, {
      everyone: { ack: ["alice", "bob"], silence: ["alice"] },
      "*": { escalate: ["*"] },
    });
  });
  it("names unknown people and workgroups with their keys", () => {
    assert.throws(
      () => loadBotConfig(`${base}permissions:\n  dba: { ack: [carol] }\n`, { file: "alertbot.yaml" }),
      (err: Error) =>
        err.message.includes('alertbot.yaml: permissions.dba: no workgroup named "dba" (workgroups: everyone)') &&
        err.message.includes('alertbot.yaml: permissions.dba.ack: no person named "carol"'),
    );
  });
});

describe("config: AlertBot failover", () => {
  const base = fixture("bot-minimal.yaml");
  const load = (section: string) => loadBotConfig(`${base}\n${section}`, { file: "alertbot.yaml" });

  it("fills T = 20 s, L = 10 s, G = L + 1 s and a log of 1,000 items", () => {
    const config = load("failover:\n  standby_component: standby.alertbot.mauve.localhost\n");
    assert.deepEqual(config.failover, {
      standbyComponent: "standby.alertbot.mauve.localhost",
      takeoverAfterMs: 20_000,
      leaseMs: 10_000,
      graceMs: 11_000,
      logItems: 1000,
    });
  });

  it("refuses a grace shorter than lease + 1 s, and a takeover no longer than the lease", () => {
    assert.throws(
      () => load("failover:\n  standby_component: s.example.org\n  lease: 10s\n  grace: 10s\n  takeover_after: 5s\n"),
      (err: Error) =>
        /failover\.grace: expected at least lease \+ 1s/.test(err.message) &&
        /failover\.takeover_after: expected more than lease/.test(err.message),
    );
  });
});
