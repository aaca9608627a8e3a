// A server that refuses an agent's update for good, for real: ejabberd with the node's
// pubsub#max_payload_size set below what a check prints (not-acceptable, payload-too-big). The
// installed agent and AlertBot run as processes. Before, the agent logged an error and dropped the
// update, and AlertBot did not hear of the alert it carried until the next full state (an hour by
// default), nor anyone of why. Now the people on call hear both: the alert is raised (without its
// text), and so is the agent's own alert naming the refusal, which clears at the first full state
// the server takes.
import assert from "node:assert/strict";
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connectClient } from "../../src/xmpp/connect.js";
import { createPubsub } from "../../src/xmpp/pubsub.js";
import { withProcesses } from "../helpers/process-fixture.js";
import { withEjabberd } from "../helpers/prosody.js";
import { agentYaml, type PersonClient } from "../helpers/spine.js";

describe("an agent whose update the server refuses for good (ejabberd, a node's max_payload_size)", function () {
  this.timeout(240_000);
  const server = withEjabberd();
  const fx = withProcesses(server);
  let alice: PersonClient | undefined;

  afterEach(function () {
    if (this.currentTest?.state === "failed")
      process.stderr.write(`\n--- chat ---\n${alice?.received.map((m) => m.body).join("\n") ?? ""}\n`);
  });

  it("tells the people on call the alert's state and the refusal, and clears the refusal at the next full state", async () => {
    const started = await fx.botWithAlice(
      "mauve-agent-refused-",
      'storm: { per_person_limit: "1000 per 1m", digest_after: 1000 }\n',
    );
    const { t, dir } = started;
    const d = t.prosody.domain;
    alice = started.alice;
    await t.prosody.register("web1", "pw-web1");
    // CRITICAL while its flag exists: "report" prints ~8 KB, "disk" one line.
    const plugin = join(dir, "check_flag");
    writeFileSync(
      plugin,
      `#!/bin/sh\n[ -e ${dir}/down-$1 ] || { echo "OK"; exit 0; }\necho "CRITICAL - $1 is down"\n` +
        `[ "$1" = report ] && { i=0; while [ $i -lt 200 ]; do echo "line $i of a long report, nothing to escape"; i=$((i+1)); done; }\nexit 2\n`,
    );
    chmodSync(plugin, 0o755);
    const config = join(dir, "agent.yaml");
    writeFileSync(
      config,
      agentYaml(
        t,
        dir,
        "web1",
        `full_state_every: 1m\nchecks:\n${["disk", "report"].map((id) => `  - { id: ${id}, command: [${plugin}, ${id}], interval: 1s }`).join("\n")}\n`,
      ),
    );
    const agent = await fx.startAgent(config);
    writeFileSync(join(dir, "down-disk"), "");
    await alice.expect(/^RAISED #\d+ web1 disk: CRITICAL - disk is down/, 60_000);

    // The node's owner (the agent's account, from another client) caps its items' size.
    const ops = await connectClient({
      service: `xmpp://127.0.0.1:${t.prosody.c2sPort}`,
      domain: d,
      username: "web1",
      password: "pw-web1",
      resource: "ops",
    });
    try {
      const set = await createPubsub(ops).configureNode(t.prosody.pubsubJid, "mauve/alerts/web1", {
        maxPayloadBytes: 4_000,
      });
      assert.ok(set.ok, `the node took max_payload_size: ${JSON.stringify(set)}`);
    } finally {
      await ops.stop();
    }

    writeFileSync(join(dir, "down-report"), "");
    const refused = await alice.expect(/^RAISED #\d+ web1 mauve-agent-update-refused: /, 60_000);
    assert.match(refused, /refused an update for good \(not-acceptable/);
    await alice.expect(/^RAISED #\d+ web1 report: CRITICAL - report is down/, 60_000);
    const dropped = await agent.waitForLog(
      "the refusal logged",
      (l) => String(l["msg"]).startsWith("server refused an update for good; dropping it, sending the alerts' states"),
      10_000,
    );
    assert.equal(dropped["condition"], "not-acceptable");

    // The report back to OK: its clear is small enough. The agent's alert clears at the next
    // full state the server takes (every minute here).
    rmSync(join(dir, "down-report"));
    await alice.expect(/^CLEARED #\d+ web1 report\b/, 60_000);
    await alice.expect(/^CLEARED #\d+ web1 mauve-agent-update-refused\b/, 120_000);
    assert.ok(!alice.received.some((m) => /CLEARED #\d+ web1 disk\b/.test(m.body)), "disk stays raised throughout");
    assert.equal(agent.hasExited, false);
    assert.equal((await agent.stop()).code, 0);
  });
});
