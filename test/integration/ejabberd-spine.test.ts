// The spine end to end on a real ejabberd 23.01 (Debian's, Mnesia, agents creating their own nodes):
// agent → pubsub → AlertBot → chat, and AlertBot restarted while the agent keeps raising.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { withEjabberd } from "../helpers/prosody.js";
import { LogLines, PersonClient, startAgent, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

describe("spine on ejabberd: agent → pubsub → AlertBot → chat, and a bot restart", function () {
  this.timeout(90_000);
  let dir: string;
  const botLog = new LogLines();
  const agentLog = new LogLines();
  let bot: RunningBot | undefined;
  let agent: RunningAgent | undefined;
  let alice: PersonClient | undefined;

  // Registered before the server's hooks so that it runs before ejabberd is stopped.
  after(async () => {
    await agent?.stop();
    await bot?.stop();
    await alice?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const server = withEjabberd();

  before(async () => {
    dir = tempDir("mauve-ejabberd-spine-");
    const t = server();
    alice = await PersonClient.login(t, "alice");
    bot = await startBot(t, dir, ["alice"], botLog.logger);
    agent = await startAgent(
      t,
      dir,
      "web1",
      `
  - id: disk-full
    summary: Disk / is 97% full
    state: raised`,
      agentLog.logger,
    );
  });

  it("tells alice of an alert raised by an agent that created its own node", async () => {
    const body = await alice!.expect(/^RAISED #\d+ web1 disk-full: Disk \/ is 97% full/);
    const id = Number(/#(\d+)/.exec(body)?.[1]);
    assert.equal(bot!.store.alerts.get(id)?.status, "raised");
    assert.equal(bot!.store.sources.get("web1")?.ownerJid, `web1@${server().prosody.domain}`);
    assert.deepEqual(
      botLog.lines.filter((l) => l["level"] === "error").map((l) => l["msg"]),
      [],
      "AlertBot reported no error",
    );
  });

  it("catches up after a restart on what the agent raised while it was down", async () => {
    const t = server();
    await waitFor("web1 disk-full stored", () => bot!.store.alerts.find("web1", "disk-full"));
    await bot!.stop();
    bot = undefined;
    agent!.change([{ id: "load", summary: "load 40", state: "raised" }]);
    await waitFor("the change has left the outbox", () => agent!.core.backlog() === 0 || undefined);
    bot = await startBot(t, dir, ["alice"], botLog.logger);
    await alice!.expect(/^RAISED #\d+ web1 load: load 40/);
    assert.equal(bot.store.alerts.find("web1", "load")?.status, "raised");
    assert.equal(bot.store.alerts.find("web1", "disk-full")?.status, "raised", "nothing cleared by the restart");
  });
});
