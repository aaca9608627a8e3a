// Central check config: ops publish check definitions to the host's config node; a real agent
// validates and hot-reloads them, and a real AlertBot sees the results (and the rejections).
import assert from "node:assert/strict";
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NS_MAUVE_CONFIG } from "../../src/agent/remote-checks.js";
import { runAgent, type RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { connectClient } from "../../src/xmpp/connect.js";
import { createPubsub } from "../../src/xmpp/pubsub.js";
import type { XmppSession } from "../../src/xmpp/session.js";
import { systemClock } from "../../src/clock/clock.js";
import { loadAgentConfig } from "../../src/config/agent-config.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

describe("agent: check config pushed over pubsub, on a real Prosody", function () {
  this.timeout(60_000);
  let dir: string;
  let bot: RunningBot | undefined;
  let agent: RunningAgent | undefined;
  let ops: XmppSession | undefined;
  const NODE = "mauve/config/web7";

  after(async () => {
    await agent?.stop();
    await ops?.stop();
    await bot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const server = withProsody();
  const push = async (yaml: string) => {
    const p = server().prosody;
    const r = await createPubsub(ops!).publishForeign(p.pubsubJid, NODE, {
      name: "checks",
      ns: NS_MAUVE_CONFIG,
      children: [yaml],
    });
    assert.ok(r.ok, JSON.stringify(r));
  };
  const alert = (id: string) => bot!.store.alerts.find("web7", id);

  before(async () => {
    dir = tempDir("mauve-remote-checks-");
    const t = server();
    const p = t.prosody;
    bot = await startBot(t, dir, ["alice"], new LogLines().logger);
    for (const user of ["web7", "ops"]) await p.register(user, `pw-${user}`);
    // What an admin does once per host: create the node, let ops publish and the agent read.
    const admin = createPubsub(bot.session);
    const created = await admin.createNode(p.pubsubJid, NODE, {
      accessModel: "whitelist",
      publishModel: "publishers",
      persistItems: true,
      maxItems: 1,
      payloadType: NS_MAUVE_CONFIG,
    });
    assert.ok(created.ok, JSON.stringify(created));
    assert.ok((await admin.setAffiliation(p.pubsubJid, NODE, `ops@${p.domain}`, "publisher")).ok);
    assert.ok((await admin.setAffiliation(p.pubsubJid, NODE, `web7@${p.domain}`, "member")).ok);
    ops = await connectClient({
      service: `xmpp://127.0.0.1:${p.c2sPort}`,
      domain: p.domain,
      username: "ops",
      password: "pw-ops",
    });

    const failing = join(dir, "check_fail");
    writeFileSync(failing, '#!/bin/sh\necho "$1 CRITICAL - broken"\nexit 2\n');
    chmodSync(failing, 0o755);
    // Pushed before the agent starts: it reads the newest item when it logs in.
    await push(`checks:\n  - { id: disk, command: [${failing}, DISK], interval: 1s }\n`);
    const config = loadAgentConfig(
      `
xmpp:
  jid: web7@${p.domain}
  password: pw-web7
  service: xmpp://127.0.0.1:${p.c2sPort}
  pubsub: ${p.pubsubJid}
  bot: ${p.botJid}
state_dir: ${join(dir, "state")}
heartbeat: false
remote_checks:
  publishers: [ops@${p.domain}]
`,
      { file: join(dir, "agent.yaml") },
    );
    agent = await runAgent(config, systemClock, new LogLines().logger);
  });

  it("runs the checks already on its node when it starts", async () => {
    await waitFor("disk raised", () => alert("disk")?.status === "raised");
    assert.equal(alert("disk")?.summary, "DISK CRITICAL - broken");
  });

  it("changes the checks live: a push adds one and removes another (whose alert is cleared)", async () => {
    const failing = join(dir, "check_fail");
    await push(`checks:\n  - { id: load, command: [${failing}, LOAD], interval: 1s, importance: { critical: 70 } }\n`);
    await waitFor("load raised", () => alert("load")?.status === "raised");
    await waitFor("disk cleared", () => alert("disk")?.status === "cleared");
    assert.deepEqual([alert("load")?.summary, alert("load")?.importance], ["LOAD CRITICAL - broken", 70]);
    assert.deepEqual(agent!.checks.ids(), ["load"]);
  });

  it("rejects a bad push, keeps the checks it had, and reports the rejection as an alert", async () => {
    await push("checks:\n  - { id: load, command: check_load, interval: sometimes }\n");
    await waitFor("the rejection alert", () => alert("remote-checks")?.status === "raised");
    assert.match(
      alert("remote-checks")!.summary,
      /^check config from mauve\/config\/web7 rejected: .*checks\[0\]\.interval: expected a duration/,
    );
    assert.deepEqual(agent!.checks.ids(), ["load"], "the previous checks still run");
    assert.equal(alert("load")?.status, "raised");
    await push("checks: []\n");
    await waitFor("the rejection cleared", () => alert("remote-checks")?.status === "cleared");
    await waitFor("load cleared: its check is gone", () => alert("load")?.status === "cleared");
  });
});
