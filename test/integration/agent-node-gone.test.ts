// An agent's node deleted while its session stays up (an admin deleted it, the server lost it):
// the agent sets it up again and its next change reaches AlertBot, in order, instead of retrying
// the same refused publish for ever.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { createPubsub } from "../../src/xmpp/pubsub.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, startAgent, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

describe("an agent whose node is deleted under its session", function () {
  this.timeout(120_000);
  const server = withProsody();
  let dir: string | undefined;
  let bot: RunningBot | undefined;
  let agent: RunningAgent | undefined;
  const botLog = new LogLines();
  const agentLog = new LogLines();

  after(async () => {
    await agent?.stop();
    await bot?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("sets its node up again and publishes the changes made since, in order", async () => {
    dir = tempDir("mauve-agent-node-gone-");
    bot = await startBot(server(), dir, ["alice"], botLog.logger);
    agent = await startAgent(
      server(),
      dir,
      "web1",
      "  - { id: disk, state: raised, summary: disk full }",
      agentLog.logger,
    );
    const running = agent;
    const store = bot.store;
    await waitFor("disk raised at the bot", () => store.alerts.find("web1", "disk")?.status === "raised", 30_000);
    const deleted = await createPubsub(running.session).deleteNode(server().prosody.pubsubJid, "mauve/alerts/web1");
    assert.ok(deleted.ok, JSON.stringify(deleted));
    running.change([{ id: "load", state: "raised", summary: "load high" }]);
    running.change([{ id: "disk", state: "cleared", summary: "disk ok" }]);
    await waitFor("the clear at the bot", () => store.alerts.find("web1", "disk")?.status === "cleared", 60_000);
    assert.equal(store.alerts.find("web1", "load")?.status, "raised", "the change before it went out too");
    assert.ok(agentLog.withMsg("this agent's node is gone; setting it up again").length > 0);
  });
});
