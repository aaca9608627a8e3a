// An agent's state directory restored from a backup, when the newest item of its node is one that
// mauvesend published with the same account (unsequenced, sequence 0): the agent must still go past
// the sequence AlertBot holds, or every update it makes is refused as stale, unheard. Its clock is
// behind the one it ran with before (the host's clock set back), so the clock alone does not take
// it past: the sequence its node's items show does.
import assert from "node:assert/strict";
import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { runMauvesend } from "../../src/cli/mauvesend.js";
import { systemClock, type Clock } from "../../src/clock/clock.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, runRegisteredAgent, startAgent, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

describe("an agent restored from a backup, with a mauvesend item newest on its node", function () {
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

  it("goes past the sequence AlertBot holds, and its next change reaches it", async () => {
    dir = tempDir("mauve-agent-seq-mauvesend-");
    const t = server();
    bot = await startBot(t, dir, ["alice"], botLog.logger);
    const store = bot.store;
    const alerts = "  - { id: disk, state: raised, summary: disk full }";
    agent = await startAgent(t, dir, "web1", alerts, agentLog.logger);
    await waitFor("disk raised", () => store.alerts.find("web1", "disk")?.status === "raised", 30_000);
    await agent.stop();
    const state = join(dir, "agent-web1");
    cpSync(state, join(dir, "backup"), { recursive: true });

    // The agent goes on: its sequence moves past the backup's.
    const onward = await runRegisteredAgent(t, dir, "web1", alerts, agentLog.logger);
    agent = onward;
    for (let i = 0; i < 5; i++) onward.change([{ id: "load", state: i % 2 ? "cleared" : "raised" }]);
    await waitFor("drained", () => onward.core.backlog() === 0, 20_000);
    await onward.stop();
    agent = undefined;

    // A script sends with the agent's account: its item is the node's newest.
    const p = t.prosody;
    const code = await runMauvesend(["-o", "web1", "-i", "backup-job", "-s", "nightly backup ok", "-c", "now"], {
      clock: systemClock,
      env: {
        MAUVE_XMPP_JID: `web1@${p.domain}`,
        MAUVE_XMPP_PASSWORD: "pw-web1",
        MAUVE_XMPP_SERVICE: `xmpp://127.0.0.1:${p.c2sPort}`,
        MAUVE_XMPP_PUBSUB: p.pubsubJid,
        MAUVE_XMPP_BOT: p.botJid,
      },
      out: () => undefined,
      err: () => undefined,
    });
    assert.equal(code, 0);

    rmSync(state, { recursive: true, force: true });
    cpSync(join(dir, "backup"), state, { recursive: true });
    const behind: Clock = { ...systemClock, now: () => systemClock.now() - 3_600_000 };
    const restored = await runRegisteredAgent(t, dir, "web1", alerts, agentLog.logger, behind);
    agent = restored;
    restored.change([{ id: "disk", state: "cleared", summary: "disk ok" }]);
    await waitFor("the clear at the bot", () => store.alerts.find("web1", "disk")?.status === "cleared", 30_000);
    assert.equal(
      agentLog.withMsg(
        "this agent's node holds a newer update than its outbox: going on from its sequence, full state sent again",
      ).length,
      1,
    );
    assert.deepEqual(botLog.withMsg("stale update ignored"), [], "no update of the restored agent is refused");
  });
});
