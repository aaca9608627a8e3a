// An agent whose outbox is behind its node (its state directory restored from an older copy):
// AlertBot refuses updates whose sequence is not past the last it took, so every change this agent
// made would be refused, unheard. With the installed agent and AlertBot as processes: its
// sequences follow the clock past its old count, none is refused, and its next change reaches the
// person on call. (With the clock set back as well, the node's items take it past: see
// agent-sequence-mauvesend.test.ts.)
import assert from "node:assert/strict";
import { cpSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ChildRun } from "../helpers/process-child.js";
import { startAgentProcess, startBotProcess, writeBotConfig } from "../helpers/process-bot.js";
import { withProsody } from "../helpers/prosody.js";
import { PersonClient, tempDir, writeFlagAgentConfig } from "../helpers/spine.js";

describe("an agent whose outbox is behind its node", function () {
  this.timeout(180_000);
  const server = withProsody();
  let dir: string | undefined;
  let bot: ChildRun | undefined;
  let agent: ChildRun | undefined;
  let alice: PersonClient | undefined;

  after(async () => {
    await agent?.stop();
    await alice?.stop();
    await bot?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("goes past the sequence AlertBot holds, and its next change is told", async () => {
    dir = tempDir("mauve-agent-sequence-");
    const t = server();
    alice = await PersonClient.login(t, "alice");
    bot = await startBotProcess(
      t,
      writeBotConfig(t, dir, `people:\n  - { name: alice, jid: alice@${t.prosody.domain} }\n`),
    );
    const state = join(dir, "state");
    const { config, flag } = await writeFlagAgentConfig(t, dir, state);
    const start = (): Promise<ChildRun> => startAgentProcess(config);
    agent = await start();
    await bot.waitForLog("web1's node", (l) => l["msg"] === "agent node provisioned", 30_000);
    assert.equal((await agent.stop()).code, 0);
    const older = join(dir, "state-copy");
    cpSync(state, older, { recursive: true });

    // The agent goes on: a raise and a clear, told; its sequence moves on.
    agent = await start();
    writeFileSync(flag, "");
    await alice.expect(/^RAISED #\d+ web1 nginx: nginx is not answering/, 30_000);
    rmSync(flag);
    await alice.expect(/^CLEARED #\d+ web1 nginx\b/, 30_000);
    assert.equal((await agent.stop()).code, 0);

    // The older state directory is put back, and the check fails again.
    rmSync(state, { recursive: true, force: true });
    cpSync(older, state, { recursive: true });
    agent = await start();
    writeFileSync(flag, "");
    await alice.expect(/^RAISED #\d+ web1 nginx: nginx is not answering/, 30_000);
    assert.deepEqual(
      bot.logs.filter((l) => l["msg"] === "stale update ignored"),
      [],
      "no update of the agent is refused",
    );
    assert.equal((await agent.stop()).code, 0);
    agent = undefined;
  });
});
