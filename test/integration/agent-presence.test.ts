// The agent's presence and disco, seen by a stand-in for AlertBot (a component under the bot's name)
// on a real Prosody.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { runAgent, type RunningAgent } from "../../src/agent/run-agent.js";
import { connectComponent } from "../../src/xmpp/connect.js";
import { createDisco } from "../../src/xmpp/disco.js";
import { NS_MAUVE_AGENT } from "../../src/xmpp/namespaces.js";
import { createPresence, type PresenceUpdate } from "../../src/xmpp/presence.js";
import { createProvisioning } from "../../src/xmpp/provisioning.js";
import type { XmppSession } from "../../src/xmpp/session.js";
import { systemClock } from "../../src/clock/clock.js";
import { loadAgentConfig } from "../../src/config/agent-config.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

describe("agent: presence and disco on a real Prosody", function () {
  this.timeout(60_000);
  let dir: string;
  let botStandIn: XmppSession | undefined;
  let agent: RunningAgent | undefined;
  const seen: PresenceUpdate[] = [];

  after(async () => {
    await agent?.stop();
    await botStandIn?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const server = withProsody();

  before(async () => {
    dir = tempDir("mauve-agent-presence-");
    const t = server();
    const p = t.prosody;
    botStandIn = await connectComponent({
      service: `xmpp://127.0.0.1:${p.componentPort}`,
      domain: p.botJid,
      password: t.botSecret,
    });
    createPresence(botStandIn).onPresence((u) => void seen.push(u));
    createProvisioning(botStandIn).onProvisionRequest(async () => ({ ok: false, condition: "service-unavailable" }));
    await p.register("web5", "pw-web5");
    const config = loadAgentConfig(
      `
xmpp:
  jid: web5@${p.domain}
  password: pw-web5
  service: xmpp://127.0.0.1:${p.c2sPort}
  pubsub: ${p.pubsubJid}
  bot: ${p.botJid}
state_dir: ${join(dir, "state")}
alerts:
  - { id: disk-full, state: raised, summary: full }
  - { id: load, state: raised }
  - { id: mail, state: cleared }
heartbeat: false
`,
      { file: "agent.yaml" },
    );
    agent = await runAgent(config, systemClock, new LogLines().logger);
  });

  it("tells AlertBot it is available, with a status summarising the host's alerts and its outbox", async () => {
    const presence = await waitFor("the agent's presence", () =>
      seen.find((u) => u.from.startsWith("web5@") && u.type === "available"),
    );
    // This stand-in never shows itself, so the agent's first full state waits in its outbox.
    assert.equal(presence.status, "2 raised: disk-full, load; outbox 1");
    assert.match(presence.from, /^web5@[^/]+\/mauve-agent$/);
  });

  it("answers disco#info with its identity and the mauve agent feature", async () => {
    const full = seen.find((u) => u.from.startsWith("web5@"))!.from;
    const info = await createDisco(botStandIn!).discoInfo(full);
    assert.ok(info.ok, JSON.stringify(info));
    assert.deepEqual(info.identities, [{ category: "client", type: "bot", name: "mauve-agent web5" }]);
    assert.ok(info.features.includes(NS_MAUVE_AGENT));
  });

  it("says it is unavailable when stopped cleanly", async () => {
    await agent!.stop();
    agent = undefined;
    const gone = await waitFor("unavailable presence", () =>
      seen.find((u) => u.from.startsWith("web5@") && u.type === "unavailable"),
    );
    assert.equal(gone.status, "agent stopped");
  });
});
