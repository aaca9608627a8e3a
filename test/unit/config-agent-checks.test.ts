import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadAgentConfig } from "../../src/config/agent-config.js";
import { ConfigError } from "../../src/errors.js";

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/config/${name}`, import.meta.url), "utf8");

describe("config: mauve-agent checks, outbox and full state", () => {
  it("reads checks with their defaults filled in", () => {
    const config = loadAgentConfig(fixture("agent-checks.yaml"), { file: "agent.yaml", env: { AGENT_PASSWORD: "pw" } });
    assert.deepEqual(JSON.parse(JSON.stringify(config.checks)), [
      {
        id: "disk-root",
        command: "/usr/lib/nagios/plugins/check_disk -w 10% -c 5% -p /",
        intervalMs: 60_000,
        timeoutMs: 30_000,
        env: {},
        subject: null,
        importance: { warning: 40, critical: 80, unknown: 50 },
        damping: { raise: 1, of: 1, clear: 1 },
      },
      {
        id: "ntp",
        command: ["/usr/lib/nagios/plugins/check_ntp_time", "-H", "pool.ntp.org"],
        intervalMs: 300_000,
        timeoutMs: 10_000,
        env: { LC_ALL: "C", RETRIES: "3" },
        subject: "web1 clock",
        importance: { warning: 10, critical: 90, unknown: 50 },
        damping: { raise: 3, of: 5, clear: 2 },
      },
    ]);
    assert.deepEqual(config.checkRunner, { maxConcurrent: 2 });
    assert.deepEqual(config.outbox, { maxEntries: 500 });
    assert.equal(config.fullStateEveryMs, 1_800_000);
  });

  it("reads remote_checks, whose publishers are required", () => {
    const base = "xmpp: { jid: a@b.example, password: x }\n";
    const config = loadAgentConfig(`${base}remote_checks: { publishers: [Ops@Example.org], groups: [web, eu] }\n`, {
      file: "agent.yaml",
    });
    assert.deepEqual(config.remoteChecks, { publishers: ["ops@example.org"], groups: ["web", "eu"] });
    assert.throws(
      () => loadAgentConfig(`${base}remote_checks: { groups: [web, "a/b", web] }\n`, { file: "agent.yaml" }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(
          err.message,
          [
            "agent.yaml: remote_checks.publishers: expected a list of at least one item, got nothing",
            'agent.yaml: remote_checks.groups[1]: expected a group name without spaces or "/" like web, got "a/b"',
            'agent.yaml: remote_checks.groups[2]: "web" is already used by remote_checks.groups[0]',
          ].join("\n"),
        );
        return true;
      },
    );
  });

  it("turns the periodic full state off with false", () => {
    const config = loadAgentConfig("xmpp: { jid: a@b.example, password: x }\nfull_state_every: false\n", {
      file: "agent.yaml",
    });
    assert.equal(config.fullStateEveryMs, false);
  });

  it("reports every problem of bad checks exactly", () => {
    assert.throws(
      () => loadAgentConfig(fixture("agent-checks-bad.yaml"), { file: "agent.yaml" }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(
          err.message,
          [
            'agent.yaml: checks[1].command: expected a command line like "check_disk -w 10% -p /" or a list of arguments, got a list',
            'agent.yaml: checks[1].interval: expected a duration between 1s and 1d, got "0s"',
            "agent.yaml: checks[1].env.RETRIES: expected a string (quote numbers), got 3",
            'agent.yaml: checks[1].env."bad key": expected a short name without spaces like LC_ALL, got "bad key"',
            "agent.yaml: checks[1].damping.raise: expected at most of (3), got 4",
            "agent.yaml: checks[2].colour: unknown key (expected one of: id, command, interval, timeout, env, subject, importance, damping)",
            'agent.yaml: checks[2].id: expected an alert id without spaces like disk-root, got "two words"',
            'agent.yaml: checks[2].command: expected a command line like "check_disk -w 10% -p /" or a list of arguments, got true',
            "agent.yaml: checks[2].importance.critical: expected a whole number between 0 and 4294967295, got -1",
            "agent.yaml: check_runner.max_concurrent: expected a whole number between 1 and 256, got 0",
            "agent.yaml: outbox.max_entries: expected a whole number between 10 and 10000000, got 1",
            'agent.yaml: full_state_every: expected a duration between 1m and 7d, got "10s"',
          ].join("\n"),
        );
        return true;
      },
    );
  });

  it("refuses a check id taken by a static alert or by the heartbeat", () => {
    const text = `
xmpp: { jid: a@b.example, password: x }
alerts: [{ id: disk, state: raised }, { id: heartbeat, state: cleared }]
checks: [{ id: disk, command: "true" }, { id: heartbeat, command: "true" }]
`;
    assert.throws(
      () => loadAgentConfig(text, { file: "agent.yaml" }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(
          err.message,
          'agent.yaml: checks[1].id: "heartbeat" is the agent\'s own heartbeat alert; choose another id',
        );
        return true;
      },
    );
    assert.throws(
      () => loadAgentConfig(text.replace(', { id: heartbeat, command: "true" }', ""), { file: "agent.yaml" }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(
          err.message,
          [
            'agent.yaml: checks[0].id: "disk" is already used by alerts[0]',
            'agent.yaml: alerts[1].id: "heartbeat" is the agent\'s own heartbeat alert; choose another id (or set heartbeat: false)',
          ].join("\n"),
        );
        return true;
      },
    );
  });
});
