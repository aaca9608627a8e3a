// The agent serves no metrics; its presence status names its outbox while updates wait, and says
// so again once they have gone. Seen by a stand-in for AlertBot on a real Prosody, which creates
// the agent's node when asked (as AlertBot does) but never shows itself, so the agent publishes
// after its short wait for AlertBot.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { runAgent, type RunningAgent } from "../../src/agent/run-agent.js";
import { systemClock } from "../../src/clock/clock.js";
import { loadAgentConfig } from "../../src/config/agent-config.js";
import { agentNodeConfig } from "../../src/xmpp/provisioning.js";
import { connectComponent } from "../../src/xmpp/connect.js";
import { createPresence, type PresenceUpdate } from "../../src/xmpp/presence.js";
import { createProvisioning } from "../../src/xmpp/provisioning.js";
import { createPubsub } from "../../src/xmpp/pubsub.js";
import type { XmppSession } from "../../src/xmpp/session.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

describe("agent: the outbox in its presence status", function () {
  this.timeout(60_000);
  const server = withProsody();
  let dir: string;
  let standIn: XmppSession | undefined;
  let agent: RunningAgent | undefined;

  after(async () => {
    await agent?.stop();
    await standIn?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("names the waiting full state, then says nothing waits once it is published", async () => {
    dir = tempDir("mauve-agent-outbox-");
    const t = server();
    const p = t.prosody;
    const seen: PresenceUpdate[] = [];
    standIn = await connectComponent({
      service: `xmpp://127.0.0.1:${p.componentPort}`,
      domain: p.botJid,
      password: t.botSecret,
    });
    const pubsub = createPubsub(standIn);
    createPresence(standIn).onPresence((u) => void seen.push(u));
    createProvisioning(standIn).onProvisionRequest(async (req) => {
      const created = await pubsub.createNode(p.pubsubJid, req.node, agentNodeConfig("web6"));
      if (!created.ok) return { ok: false, condition: "internal-server-error" };
      const owner = await pubsub.setAffiliation(p.pubsubJid, req.node, req.from.split("/")[0]!, "owner");
      return owner.ok ? { ok: true } : { ok: false, condition: "internal-server-error" };
    });
    await p.register("web6", "pw-web6");
    const config = loadAgentConfig(
      `
xmpp:
  jid: web6@${p.domain}
  password: pw-web6
  service: xmpp://127.0.0.1:${p.c2sPort}
  pubsub: ${p.pubsubJid}
  bot: ${p.botJid}
state_dir: ${join(dir, "state")}
alerts:
  - { id: disk-full, state: raised, summary: full }
heartbeat: false
`,
      { file: "agent.yaml" },
    );
    agent = await runAgent(config, systemClock, new LogLines().logger, { botWaitMs: 100 });
    const statuses = (): string[] =>
      seen.filter((u) => u.from.startsWith("web6@") && u.type === "available").map((u) => u.status ?? "");
    await waitFor("a status with the outbox", () => statuses().includes("1 raised: disk-full; outbox 1"));
    await waitFor("the status once the outbox drained", () => statuses().at(-1) === "1 raised: disk-full", 30_000);
    const items = await pubsub.getItems(p.pubsubJid, "mauve/alerts/web6");
    assert.ok(items.ok && items.items.length === 1, "the full state was published");
  });
});
