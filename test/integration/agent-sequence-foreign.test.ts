// An agent's state directory restored from a backup while the last items its node retains are all
// someone else's: mauvesend, with the agent's account, put more on it than the node keeps. The
// node then says nothing of the sequence AlertBot holds, and an agent going on from its outbox's
// counter had every update refused as stale. With the installed agent and AlertBot as processes:
// the restored agent's very first update is taken, no update of it is refused, its change is told.
import assert from "node:assert/strict";
import { cpSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runMauvesend } from "../../src/cli/mauvesend.js";
import { systemClock } from "../../src/clock/clock.js";
import { AGENT_NODE_MAX_ITEMS } from "../../src/codec/source-name.js";
import { withProcesses } from "../helpers/process-fixture.js";
import { withProsody } from "../helpers/prosody.js";
import { writeFlagAgentConfig } from "../helpers/spine.js";

describe("an agent restored from a backup, its node's retained items all mauvesend's", function () {
  this.timeout(240_000);
  const server = withProsody();
  const fx = withProcesses(server);

  it("publishes past the sequence AlertBot holds from its first update on, and its change is told", async () => {
    const { t, dir, alice, bot } = await fx.botWithAlice("mauve-agent-seq-foreign-");
    const p = t.prosody;
    const state = join(dir, "state");
    const { config, flag } = await writeFlagAgentConfig(t, dir, state);
    let agent = await fx.startAgent(config);
    await bot.waitForLog("web1's node", (l) => l["msg"] === "agent node provisioned", 30_000);
    const mark = agent.logs.length;
    assert.equal((await agent.stop()).code, 0);
    assert.deepEqual(agent.loudSince(mark), [], "a stop is no outage: no warning");
    assert.equal(agent.withMsg("disconnected: stopping").length, 1);
    const backup = join(dir, "state-backup");
    cpSync(state, backup, { recursive: true });

    // The agent goes on after the backup: a raise and a clear, told; its sequence moves on.
    agent = await fx.startAgent(config);
    writeFileSync(flag, "");
    await alice.expect(/^RAISED #\d+ web1 nginx: nginx is not answering/, 30_000);
    rmSync(flag);
    await alice.expect(/^CLEARED #\d+ web1 nginx\b/, 30_000);
    assert.equal((await agent.stop()).code, 0);

    // A nightly script sends with the agent's account, more than the node retains.
    for (let i = 0; i < AGENT_NODE_MAX_ITEMS + 5; i++) {
      const code = await runMauvesend(["-o", "web1", "-i", `job-${i}`, "-s", "nightly job ok", "-c", "now"], {
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
    }

    // The backup is put back, and the check fails again.
    rmSync(state, { recursive: true, force: true });
    cpSync(backup, state, { recursive: true });
    agent = await fx.startAgent(config);
    writeFileSync(flag, "");
    await alice.expect(/^RAISED #\d+ web1 nginx: nginx is not answering/, 30_000);
    const refused = bot.logs.filter((l) => l["msg"] === "stale update ignored");
    assert.deepEqual(refused, [], "no update of the restored agent is refused");
    assert.equal((await agent.stop()).code, 0);
  });
});
