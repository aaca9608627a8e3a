import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { loadAgentConfig } from "../../src/config/agent-config.js";
import { ConfigError } from "../../src/errors.js";

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/config/${name}`, import.meta.url), "utf8");

describe("config: mauve-agent", () => {
  it("derives service, pubsub, bot and source from the JID when they are left out", () => {
    const config = loadAgentConfig(fixture("agent-minimal.yaml"), {
      file: "/etc/mauve/agent.yaml",
      env: { AGENT_PASSWORD: "pw" },
    });
    assert.equal(config.xmpp.password.reveal(), "pw");
    assert.deepEqual(JSON.parse(JSON.stringify(config)), {
      xmpp: {
        service: ["xmpp://mauve.localhost:5222"],
        jid: "web1@mauve.localhost",
        password: "[redacted]",
        pubsub: "pubsub.mauve.localhost",
        bot: "alertbot.mauve.localhost",
        keepaliveMs: 30_000,
      },
      source: "web1",
      stateDir: "/var/lib/mauve-agent",
      alerts: [],
      heartbeat: { intervalMs: 300_000 },
      checks: [],
      checkRunner: { maxConcurrent: 4 },
      outbox: { maxEntries: 10_000 },
      fullStateEveryMs: 3_600_000,
      remoteChecks: null,
      log: { level: "info" },
    });
    assert.ok(Object.isFrozen(config.xmpp) && Object.isFrozen(config.heartbeat));
    assert.ok(!inspect(config, { depth: null }).includes('"pw"') && !JSON.stringify(config).includes('"pw"'));
  });

  it("turns the heartbeat off with false and resolves a relative state_dir", () => {
    const text = "xmpp: { jid: a@b.example, password: x }\nheartbeat: false\nstate_dir: state\n";
    const config = loadAgentConfig(text, { file: "/opt/agent/agent.yaml" });
    assert.equal(config.heartbeat, false);
    assert.equal(config.stateDir, "/opt/agent/state");
  });

  it("reads xmpp.keepalive as a duration, and refuses one that would ping too often or notice too late", () => {
    const config = loadAgentConfig("xmpp: { jid: a@b.example, password: x, keepalive: 5s }\n", { file: "agent.yaml" });
    assert.equal(config.xmpp.keepaliveMs, 5_000);
    for (const bad of ["500ms", "11m"])
      assert.throws(
        () => loadAgentConfig(`xmpp: { jid: a@b.example, password: x, keepalive: ${bad} }\n`, { file: "agent.yaml" }),
        (err: unknown) => err instanceof ConfigError && /xmpp\.keepalive/.test(err.message),
      );
  });

  it("loads examples/agent.yaml, so the sample never rots", () => {
    const files: string[] = [];
    const config = loadAgentConfig(readFileSync(new URL("../../examples/agent.yaml", import.meta.url), "utf8"), {
      file: "examples/agent.yaml",
      readFile: (path) => (files.push(path), "agent-password\n"),
    });
    assert.deepEqual(files, ["/etc/mauve/agent.password"]);
    assert.equal(config.xmpp.password.reveal(), "agent-password");
    assert.deepEqual(
      config.alerts.map((a) => [a.id, a.state, a.importance]),
      [
        ["disk-full", "raised", 80],
        ["backup-stale", "cleared", null],
      ],
    );
    assert.deepEqual(
      config.checks.map((c) => [c.id, c.intervalMs, c.damping.raise]),
      [
        ["disk-root", 300_000, 1],
        ["ntp", 600_000, 2],
      ],
    );
    assert.deepEqual(config.remoteChecks, { publishers: ["ops@mauve.localhost"], groups: ["web"] });
  });

  it("reports every problem of a broken config exactly, without quoting the password", () => {
    assert.throws(
      () => loadAgentConfig(fixture("agent-bad.yaml"), { file: "agent.yaml" }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(
          err.message,
          [
            "agent.yaml: xmpp.password: expected a non-empty string, got a number",
            'agent.yaml: source: source "web 1" has a space at character 4: a source name is made of ASCII letters, digits, ".", "-" and "_" only',
            'agent.yaml: alerts[1].importance: expected a whole number between 0 and 4294967295, got "high"',
            'agent.yaml: alerts[1].state: expected one of raised, cleared, got "up"',
            'agent.yaml: alerts[2].id: "disk-full" is already used by alerts[0]',
            'agent.yaml: heartbeat.interval: expected a duration between 10s and 1d, got "1s"',
          ].join("\n"),
        );
        assert.ok(!err.message.includes("12345"));
        return true;
      },
    );
  });

  it("holds the source to the one source rule, naming the key, for a set source and for one taken from the JID", () => {
    const load = (yaml: string) => () => loadAgentConfig(yaml, { file: "agent.yaml", env: { PW: "pw" } });
    const base = "xmpp:\n  jid: web1@mauve.localhost\n  password_env: PW\n";
    const table: Array<[string, string]> = [
      ['source: "web1 "', 'agent.yaml: source: source "web1 " has a space at character 5'],
      ['source: "web1\\u200b"', 'agent.yaml: source: source "web1\\u200b" has U+200B at character 5'],
      ['source: "w\u0435b1"', 'agent.yaml: source: source "w\\u0435b1" has U+0435 at character 2'],
      ['source: "db/replica"', 'agent.yaml: source: source "db/replica" has U+002F at character 3'],
    ];
    for (const [line, message] of table) {
      assert.throws(
        load(`${base}${line}\n`),
        (err: unknown) => err instanceof ConfigError && err.message.startsWith(message),
        line,
      );
    }
    assert.throws(
      load("xmpp:\n  jid: web+1@mauve.localhost\n  password_env: PW\n"),
      /agent.yaml: xmpp.jid: the source defaults to the JID's localpart, and source "web\+1" has U\+002B at character 4: .*; set source: to a name that follows the rule/,
    );
    assert.equal(
      loadAgentConfig("xmpp:\n  jid: web+1@mauve.localhost\n  password_env: PW\nsource: WEB1.example.org\n", {
        file: "a",
        env: { PW: "pw" },
      }).source,
      "WEB1.example.org",
    );
  });
});
