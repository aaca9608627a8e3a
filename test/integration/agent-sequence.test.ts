// An agent whose outbox is behind its node (its state directory restored from an older copy):
// AlertBot refuses updates whose sequence is not past the last it took, so every change this agent
// made would be refused, unheard. With the installed agent and AlertBot as processes: its
// sequences follow the clock past its old count, none is refused, and its next change reaches the
// person on call. (With the clock set back as well, the node's items take it past: see
// agent-sequence-mauvesend.test.ts.)
import assert from "node:assert/strict";
import { cpSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withProcesses } from "../helpers/process-fixture.js";
import { withProsody } from "../helpers/prosody.js";
import { writeFlagAgentConfig } from "../helpers/spine.js";

describe("an agent whose outbox is behind its node", function () {
  this.timeout(180_000);
  const server = withProsody();
  const fx = withProcesses(server);

  it("goes past the sequence AlertBot holds, and its next change is told", async () => {
    const { t, dir, alice, bot } = await fx.botWithAlice("mauve-agent-sequence-");
    const state = join(dir, "state");
    const { config, flag } = await writeFlagAgentConfig(t, dir, state);
    let agent = await fx.startAgent(config);
    await bot.waitForLog("web1's node", (l) => l["msg"] === "agent node provisioned", 30_000);
    assert.equal((await agent.stop()).code, 0);
    const older = join(dir, "state-copy");
    cpSync(state, older, { recursive: true });

    // The agent goes on: a raise and a clear, told; its sequence moves on.
    agent = await fx.startAgent(config);
    writeFileSync(flag, "");
    await alice.expect(/^RAISED #\d+ web1 nginx: nginx is not answering/, 30_000);
    rmSync(flag);
    await alice.expect(/^CLEARED #\d+ web1 nginx\b/, 30_000);
    assert.equal((await agent.stop()).code, 0);

    // The older state directory is put back, and the check fails again.
    rmSync(state, { recursive: true, force: true });
    cpSync(older, state, { recursive: true });
    agent = await fx.startAgent(config);
    writeFileSync(flag, "");
    await alice.expect(/^RAISED #\d+ web1 nginx: nginx is not answering/, 30_000);
    assert.deepEqual(
      bot.logs.filter((l) => l["msg"] === "stale update ignored"),
      [],
      "no update of the agent is refused",
    );
    assert.equal((await agent.stop()).code, 0);
  });
});
