// The ids of the agent's own alerts are refused to every other owner of an id: checks and static
// alerts in the config file, and checks pushed over XMPP.
import assert from "node:assert/strict";
import { RemoteChecks } from "../../src/agent/remote-checks.js";
import { AGENT_ALERT_IDS } from "../../src/codec/agent-alert-ids.js";
import type { AgentAlert } from "../../src/codec/build-update.js";
import { loadAgentConfig } from "../../src/config/agent-config.js";
import { createLogger } from "../../src/log.js";

const OWN = [
  "heartbeat",
  "remote-checks",
  "mauve-agent-outbox",
  "mauve-agent-outbox-damaged",
  "mauve-agent-address-taken",
  "mauve-agent-update-refused",
];

const yaml = (body: string): string => `
xmpp: { jid: web1@example.org, password: secret }
state_dir: /nonexistent/state
remote_checks: { publishers: [ops@example.org] }
${body}
`;
const load = (body: string): unknown => loadAgentConfig(yaml(body), { file: "agent.yaml" });

describe("agent: its own alert ids are its own", () => {
  it("lists every alert the agent raises itself", () => {
    assert.deepEqual([...AGENT_ALERT_IDS.keys()].sort(), [...OWN].sort());
  });

  for (const id of OWN) {
    it(`refuses a check named ${id} in the config file`, () => {
      assert.throws(
        () => load(`checks: [{ id: ${id}, command: "true" }]`),
        new RegExp(`agent\\.yaml: checks\\[0\\]\\.id: "${id}" is the agent's own`),
      );
    });

    it(`refuses a static alert named ${id}`, () => {
      assert.throws(
        () => load(`alerts: [{ id: ${id}, state: raised }]`),
        new RegExp(`agent\\.yaml: alerts\\[0\\]\\.id: "${id}" is the agent's own`),
      );
    });

    it(`refuses a pushed check named ${id}, and says why`, () => {
      const reported: AgentAlert[] = [];
      const remote = new RemoteChecks({
        log: createLogger({ level: "error" }),
        local: [],
        reserved: new Set(),
        publishers: ["ops@example.org"],
        nodes: ["mauve/config/web1"],
        save: () => undefined,
        apply: () => assert.fail("a push taking an agent id was applied"),
        report: (a) => reported.push(a),
      });
      const outcome = remote.receive({
        node: "mauve/config/web1",
        itemId: "i1",
        publisher: "ops@example.org",
        unknownPayload: "{urn:mauve-xmpp:config:1}checks",
        text: `checks: [{ id: ${id}, command: "true" }]`,
      });
      assert.equal(outcome, "rejected");
      assert.match(reported[0]?.summary ?? "", new RegExp(`"${id}" is the agent's own`));
    });
  }

  it("leaves heartbeat to a static alert when the agent sends none", () => {
    assert.doesNotThrow(() => load(`heartbeat: false\nalerts: [{ id: heartbeat, state: cleared }]`));
  });

  it("refuses a static detail that could not fit in an update", () => {
    assert.throws(
      () => load(`alerts: [{ id: motd, state: raised, detail: "${"é".repeat(10_000)}" }]`),
      /alerts\[0\]\.detail: is 20000 bytes of UTF-8; at most 16384 fit in an update/,
    );
  });
});
