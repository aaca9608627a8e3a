// A restart keeps the agent's rejection alert as it was until the pushed configs are judged again,
// so the start-up full state neither clears it at the bot nor has it raised (and told) once more.
import assert from "node:assert/strict";
import { startupState } from "../../src/agent/agent-checks.js";
import { RemoteChecks } from "../../src/agent/remote-checks.js";
import type { CheckSpec } from "../../src/checks/check-config.js";
import { REJECTED_ALERT_ID } from "../../src/codec/agent-alert-ids.js";
import type { AgentAlert } from "../../src/codec/build-update.js";
import { createLogger } from "../../src/log.js";

const disk: CheckSpec = {
  id: "disk",
  command: "true",
  intervalMs: 60_000,
  timeoutMs: 30_000,
  env: {},
  subject: null,
  importance: { warning: 40, critical: 80, unknown: 50 },
  damping: { raise: 1, of: 1, clear: 1 },
};

const NODE = "mauve/config/web1";
const item = (itemId: string, text: string) => ({
  node: NODE,
  itemId,
  publisher: "ops@example.org",
  unknownPayload: "{urn:mauve-xmpp:config:1}checks",
  text,
});

describe("agent: its own alerts across a restart", () => {
  const saved: AgentAlert[] = [
    { id: "disk", state: "raised", summary: "DISK CRITICAL" },
    { id: REJECTED_ALERT_ID, state: "raised", summary: "check config from mauve/config/web1 rejected: …" },
    { id: "old-check", state: "raised" },
  ];

  it("keeps the saved rejection alert in the start-up state while remote checks are on", () => {
    assert.deepEqual(
      startupState([], [disk], saved, new Set([REJECTED_ALERT_ID])).map((a) => a.id),
      ["disk", REJECTED_ALERT_ID],
    );
  });

  it("drops it when remote checks are off (nothing would judge it again)", () => {
    assert.deepEqual(
      startupState([], [disk], saved).map((a) => a.id),
      ["disk"],
    );
  });

  const remoteChecks = (reported: AgentAlert[], rejectionRaised: boolean): RemoteChecks =>
    new RemoteChecks({
      log: createLogger({ level: "error" }),
      local: [],
      reserved: new Set(),
      publishers: ["ops@example.org"],
      nodes: [NODE],
      save: () => undefined,
      apply: () => undefined,
      report: (a) => reported.push(a),
      rejectionRaised,
    });

  it("clears a rejection from before the restart once a good push is read", () => {
    const reported: AgentAlert[] = [];
    const remote = remoteChecks(reported, true);
    assert.equal(remote.receive(item("i2", "checks: [{ id: ok1, command: 'true' }]")), "accepted");
    assert.deepEqual(
      reported.map((a) => a.state),
      ["cleared"],
    );
  });

  it("clears it when every node has been read and none holds a rejected push", () => {
    const reported: AgentAlert[] = [];
    const remote = remoteChecks(reported, true);
    remote.judged();
    assert.deepEqual(
      reported.map((a) => [a.id, a.state]),
      [[REJECTED_ALERT_ID, "cleared"]],
    );
    remote.judged();
    assert.equal(reported.length, 1, "cleared once");
  });

  it("keeps it raised when the push read again is still rejected", () => {
    const reported: AgentAlert[] = [];
    const remote = remoteChecks(reported, true);
    assert.equal(remote.receive(item("i1", "checks: [{ id: ok1, command: 'true', intreval: 1m }]")), "rejected");
    remote.judged();
    assert.deepEqual(
      reported.map((a) => a.state),
      ["raised"],
    );
  });

  it("says nothing when there was no rejection and none comes", () => {
    const reported: AgentAlert[] = [];
    const remote = remoteChecks(reported, false);
    remote.receive(item("i3", "checks: [{ id: ok1, command: 'true' }]"));
    remote.judged();
    assert.deepEqual(reported, []);
  });
});
