// An agent's disk fills up, with the installed agent and AlertBot as processes and the agent's state
// directory on a small tmpfs of its own: the agent keeps running and publishing (a failing check is
// told), says so with an alert of its own, clears it once space is freed, and after a restart its
// updates still carry sequences the bot takes (none given twice, none refused as stale).
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OUTBOX_ALERT_ID } from "../../src/codec/agent-alert-ids.js";
import { writeBotConfig } from "../helpers/process-bot.js";
import { aliceOnly, withProcesses } from "../helpers/process-fixture.js";
import { withProsody } from "../helpers/prosody.js";
import { fillDisk, withSmallDisk } from "../helpers/small-disk.js";
import { writeFlagAgentConfig } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

describe("an agent's disk full", function () {
  this.timeout(240_000);
  const server = withProsody();
  const disk = withSmallDisk("mauve-agent-disk-full-", "2m");
  const fx = withProcesses(server);
  after(() => disk.release());

  it("keeps publishing from memory, raises its own alert, clears it once it can write, and keeps its sequence across a restart", async () => {
    const t = server();
    const alice = await fx.alice();
    const bot = await fx.startBot(writeBotConfig(t, disk.dir, aliceOnly(t)));
    const { config, flag } = await writeFlagAgentConfig(t, disk.dir, join(disk.data, "agent"));
    let agent = await fx.startAgent(config);
    await bot.waitForLog("web1's node", (l) => l["msg"] === "agent node provisioned", 30_000);

    const filler = fillDisk(disk.data);
    writeFileSync(flag, "");
    // Told all the same, and the agent's own alert says why a restart now would lose updates (in
    // either order: the alert may go out first).
    const heard = (pattern: RegExp): Promise<string> =>
      waitFor(
        `a chat message matching ${pattern}`,
        () => alice.received.find((m) => pattern.test(m.body))?.body,
        30_000,
      );
    await heard(/^RAISED #\d+ web1 nginx: nginx is not answering/);
    const own = await heard(
      new RegExp(`^RAISED #\\d+ web1 ${OUTBOX_ALERT_ID}: cannot write its outbox: database or disk is full`),
    );
    assert.match(own, /Free disk space/);
    assert.equal(agent.hasExited, false, "the agent exited with its disk full");
    rmSync(flag);
    await alice.expect(/^CLEARED #\d+ web1 nginx\b/, 30_000);

    // A probe while the disk is still full fails, and the alert stays.
    await agent.waitForLog("a probe that failed", (l) => l["msg"] === "the outbox still cannot be written", 60_000);
    assert.equal(agent.withMsg("the outbox can be written again: cleared the alert").length, 0);

    // Space freed: the outbox is written out at the next probe, and the alert clears.
    rmSync(filler);
    await alice.expect(new RegExp(`^CLEARED #\\d+ web1 ${OUTBOX_ALERT_ID}\\b`), 90_000);
    assert.equal((await agent.stop()).code, 0);

    // Restarted: its next updates carry sequences past every one it gave out while the disk was full.
    const mark = bot.logs.length;
    agent = await fx.startAgent(config);
    writeFileSync(flag, "");
    await alice.expect(/^RAISED #\d+ web1 nginx: nginx is not answering/, 30_000);
    const stale = bot.logs.slice(mark).filter((l) => l["msg"] === "stale update ignored");
    assert.deepEqual(stale, [], "updates refused as stale after the restart");
    assert.equal((await agent.stop()).code, 0);
  });
});
