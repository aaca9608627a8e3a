import assert from "node:assert/strict";
import type { AgentAlert } from "../../src/codec/build-update.js";
import { NS_MAUVE_CONFIG, RemoteChecks, configNodes, type ConfigItem } from "../../src/agent/remote-checks.js";
import type { CheckSpec } from "../../src/checks/check-config.js";
import { createLogger } from "../../src/log.js";

const OPS = "ops@example.org";
const HOST = "mauve/config/web1";
const GROUP = "mauve/config/group/web";
const local: CheckSpec = {
  id: "disk",
  command: "check_disk",
  intervalMs: 60_000,
  timeoutMs: 30_000,
  env: {},
  subject: null,
  importance: { warning: 40, critical: 80, unknown: 50 },
  damping: { raise: 1, of: 1, clear: 1 },
};
let n = 0;
const push = (node: string, yaml: string, publisher: string | undefined = OPS): ConfigItem => ({
  node,
  itemId: `item-${++n}`,
  publisher,
  unknownPayload: `{${NS_MAUVE_CONFIG}}checks`,
  text: yaml,
});

describe("agent: check config pushed over pubsub", () => {
  let applied: CheckSpec[][];
  let reports: AgentAlert[];
  let saved: Array<[string, string, string]>;
  const make = () =>
    new RemoteChecks({
      log: createLogger({ level: "error" }),
      local: [local],
      reserved: new Set(["heartbeat", "static-one"]),
      publishers: [OPS],
      nodes: configNodes("web1", ["web"]),
      save: (node, itemId, text) => void saved.push([node, itemId, text]),
      apply: (checks) => void applied.push(checks),
      report: (alert) => void reports.push(alert),
    });

  beforeEach(() => {
    applied = [];
    reports = [];
    saved = [];
  });

  it("a push that cannot be saved (the disk full) is applied all the same, and says so", () => {
    const logged: string[] = [];
    const remote = new RemoteChecks({
      log: createLogger({ level: "warn", sink: (line) => void logged.push(line) }),
      local: [local],
      reserved: new Set(["heartbeat"]),
      publishers: [OPS],
      nodes: configNodes("web1", ["web"]),
      save: () => {
        throw new Error("database or disk is full");
      },
      apply: (checks) => void applied.push(checks),
      report: (alert) => void reports.push(alert),
    });
    const item = push(HOST, "checks:\n  - { id: nginx, command: check_http -H localhost }\n");
    assert.equal(remote.receive(item), "accepted");
    assert.deepEqual(
      applied.at(-1)?.map((c) => c.id),
      ["disk", "nginx"],
      "its checks run now",
    );
    assert.ok(logged.some((l) => l.includes("check config accepted but not saved")));
    assert.deepEqual(reports, []);
  });

  it("a push whose checks could not be applied is judged again when read again, not ignored", () => {
    let failing = true;
    const remote = new RemoteChecks({
      log: createLogger({ level: "error" }),
      local: [local],
      reserved: new Set(["heartbeat"]),
      publishers: [OPS],
      nodes: configNodes("web1", ["web"]),
      save: (node, itemId, text) => void saved.push([node, itemId, text]),
      apply: (checks) => {
        if (failing) throw new Error("spawn EAGAIN");
        applied.push(checks);
      },
      report: (alert) => void reports.push(alert),
    });
    const item = push(HOST, "checks:\n  - { id: nginx, command: check_http -H localhost }\n");
    assert.throws(() => remote.receive(item), /EAGAIN/);
    failing = false;
    // Read again (its node's newest item, at the next login).
    assert.equal(remote.receive(item), "accepted");
    assert.deepEqual(
      applied.at(-1)?.map((c) => c.id),
      ["disk", "nginx"],
    );
  });

  it("reads the host's node and its groups' nodes", () => {
    assert.deepEqual(configNodes("web1", ["web", "eu"]), [HOST, GROUP, "mauve/config/group/eu"]);
  });

  it("hot-reloads a valid push: the local checks, then the host's, then the groups'", () => {
    const remote = make();
    assert.equal(
      remote.receive(push(GROUP, "checks:\n  - { id: nginx, command: check_http -H localhost }\n")),
      "accepted",
    );
    assert.equal(
      remote.receive(
        push(HOST, "checks:\n  - { id: ntp, command: [check_ntp_time, -H, pool.ntp.org], interval: 5m }\n"),
      ),
      "accepted",
    );
    assert.deepEqual(
      applied.at(-1)?.map((c) => [c.id, c.intervalMs]),
      [
        ["disk", 60_000],
        ["ntp", 300_000],
        ["nginx", 60_000],
      ],
    );
    assert.deepEqual(
      saved.map(([node]) => node),
      [GROUP, HOST],
    );
    assert.deepEqual(reports, []);
  });

  it("rejects an invalid push whole, keeps the previous checks, and raises an alert until a good push", () => {
    const remote = make();
    remote.receive(push(HOST, "checks:\n  - { id: ntp, command: check_ntp }\n"));
    const before = applied.length;
    const bad = push(HOST, "checks:\n  - { id: ntp, command: check_ntp, interval: often }\n  - { id: load }\n");
    assert.equal(remote.receive(bad), "rejected");
    assert.equal(applied.length, before, "nothing reloaded");
    assert.deepEqual(
      remote.effective().map((c) => c.id),
      ["disk", "ntp"],
    );
    assert.equal(reports.at(-1)?.state, "raised");
    assert.equal(reports.at(-1)?.id, "remote-checks");
    assert.equal(
      reports.at(-1)?.summary,
      `check config from ${HOST} rejected: ${HOST} item ${bad.itemId}: checks[0].interval: expected a duration like "90s", "5m" or "1h30m", got "often"`,
    );
    assert.match(reports.at(-1)?.detail ?? "", /checks\[1\]\.command/);
    assert.equal(remote.receive(push(HOST, "checks: []\n")), "accepted");
    assert.deepEqual(reports.at(-1), { id: "remote-checks", state: "cleared", summary: "check config accepted" });
    assert.deepEqual(
      remote.effective().map((c) => c.id),
      ["disk"],
      "an empty list removes the node's checks",
    );
  });

  it("hears only the configured publishers, and only check payloads", () => {
    const remote = make();
    assert.equal(remote.receive(push(HOST, "checks: []\n", "mallory@example.org")), "rejected");
    assert.match(reports.at(-1)?.summary ?? "", /mallory@example.org may not push checks/);
    const { publisher: _, ...anonymous } = push(HOST, "checks: []\n");
    assert.equal(remote.receive(anonymous), "rejected");
    assert.match(reports.at(-1)?.summary ?? "", /does not say who published it/);
    assert.equal(remote.receive({ ...push(HOST, "x"), unknownPayload: "{urn:other}thing" }), "rejected");
    assert.equal(remote.receive(push("mauve/config/web2", "checks: []\n")), "ignored", "another host's node");
    assert.equal(applied.length, 0);
  });

  it("refuses ids taken by the agent's own config or by another node", () => {
    const remote = make();
    remote.receive(push(GROUP, "checks:\n  - { id: nginx, command: check_http }\n"));
    const bad = push(
      HOST,
      "checks:\n  - { id: disk, command: x }\n  - { id: ok, command: x }\n  - { id: nginx, command: x }\n  - { id: static-one, command: x }\n",
    );
    assert.equal(remote.receive(bad), "rejected");
    assert.match(
      reports.at(-1)?.detail ?? "",
      /checks\[0\]\.id: &quot;disk&quot; is already used by the agent's own config/,
    );
    assert.match(
      reports.at(-1)?.detail ?? "",
      /checks\[2\]\.id: &quot;nginx&quot; is already used by mauve\/config\/group\/web/,
    );
    assert.match(reports.at(-1)?.detail ?? "", /checks\[3\]\.id: &quot;static-one&quot;/);
  });

  it("restores the pushes accepted before a restart, and ignores an item it has judged already", () => {
    const first = make();
    const item = push(HOST, "checks:\n  - { id: ntp, command: check_ntp }\n");
    first.receive(item);
    const again = make();
    again.restore(saved.map(([node, itemId, text]) => ({ node, itemId, text })));
    assert.deepEqual(
      again.effective().map((c) => c.id),
      ["disk", "ntp"],
    );
    assert.equal(again.receive(item), "ignored", "the newest item, read again after a login");
  });
});
