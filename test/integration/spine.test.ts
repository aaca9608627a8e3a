// The spine, end to end against a real Prosody: agent → pubsub → AlertBot → SQLite → chat → "ack".
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { connectClient } from "../../src/xmpp/connect.js";
import { createPubsub } from "../../src/xmpp/pubsub.js";
import type { XmppSession } from "../../src/xmpp/session.js";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, PersonClient, startAgent, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

// Each notice is waited for in turn: no storm limit holds one back (AlertBot's own alert about the
// items refused below is a notice too).
const EVERY_NOTICE_AT_ONCE = 'storm: { per_person_limit: "1000 per 1m", digest_after: 1000 }\n';

describe("spine: agent → Prosody pubsub → AlertBot → chat → ack", function () {
  this.timeout(60_000);
  let dir: string;
  let botLog: LogLines;
  let agentLog: LogLines;
  let bot: RunningBot | undefined;
  let agent: RunningAgent | undefined;
  let alice: PersonClient;
  let mallory: PersonClient;

  // Registered before withProsody's hooks so that it runs before Prosody is stopped.
  after(async () => {
    await agent?.stop();
    await bot?.stop();
    await alice?.stop();
    await mallory?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const server = withProsody();

  before(async () => {
    dir = tempDir("mauve-spine-");
    botLog = new LogLines();
    agentLog = new LogLines();
    const t = server();
    alice = await PersonClient.login(t, "alice");
    mallory = await PersonClient.login(t, "mallory");
    bot = await startBot(t, dir, ["alice"], botLog.logger, { extraYaml: EVERY_NOTICE_AT_ONCE });
    agent = await startAgent(
      t,
      dir,
      "web1",
      `
  - id: disk-full
    summary: Disk / is 97% full
    importance: 80
    state: raised
  - id: load
    state: cleared`,
      agentLog.logger,
    );
  });

  /** The short id of web1's disk-full alert, once the bot has stored it (each `it` may run alone). */
  const diskFullId = async (): Promise<number> =>
    (await waitFor("web1 disk-full stored", () => bot!.store.alerts.find("web1", "disk-full"))).shortId;

  it("delivers a raised alert to a person's chat, with its short id", async () => {
    const body = await alice.expect(/^RAISED #\d+ web1 disk-full: Disk \/ is 97% full/);
    const id = Number(/#(\d+)/.exec(body)?.[1]);
    const stored = bot!.store.alerts.get(id);
    assert.equal(stored?.status, "raised");
    assert.equal(stored?.importance, 80);
    assert.equal(bot!.store.sources.get("web1")?.ownerJid, `web1@${server().prosody.domain}`);
  });

  it("acknowledges from chat: 'ack N' is confirmed and the alert is acked", async () => {
    const id = await diskFullId();
    await alice.say(server().prosody.botJid, `ack ${id} for 2h because rebooting`);
    const reply = await alice.expect(/acknowledged/);
    assert.match(reply, new RegExp(`#${id} web1 disk-full.*acknowledged for 2h by alice because rebooting`));
    assert.equal(bot!.store.alerts.get(id)?.ack?.by, "alice");
  });

  it("lists raised alerts with 'show' and answers 'help'", async () => {
    await diskFullId();
    await alice.say(server().prosody.botJid, "show");
    assert.match(await alice.expect(/^#\d+ .*web1/), /#\d+ .*web1.*Disk \/ is 97% full/);
    await alice.say(server().prosody.botJid, "help");
    const help = await alice.expect(/^Commands:/);
    assert.match(help, /show/);
  });

  it("refuses a stranger politely and changes nothing", async () => {
    const id = await diskFullId();
    const before = bot!.store.alerts.get(id);
    await mallory.say(server().prosody.botJid, `ack ${id}`);
    assert.match(await mallory.expect(/only take commands/), /Sorry/);
    assert.deepEqual(bot!.store.alerts.get(id), before);
    assert.ok(botLog.withMsg("command from a stranger refused").length >= 1);
  });

  describe("bad input from a publisher", () => {
    let rogue: XmppSession;
    before(async () => {
      const p = server().prosody;
      rogue = await connectClient({
        service: `xmpp://127.0.0.1:${p.c2sPort}`,
        domain: p.domain,
        username: "web1",
        password: "pw-web1",
        resource: "rogue",
      });
    });
    after(() => rogue.stop());

    const publishRaw = async (data: string) => {
      const p = server().prosody;
      const r = await createPubsub(rogue).publish(p.pubsubJid, "mauve/alerts/web1", { data, text: "junk" });
      assert.ok(r.ok, `publish accepted by the server: ${JSON.stringify(r)}`);
    };

    it("rejects malformed protobuf with a logged reason and keeps serving", async () => {
      const before = botLog.withMsg("item rejected").length;
      await publishRaw(Buffer.from([0x0a, 0xff, 0xff, 0x01, 0x02]).toString("base64"));
      const line = await waitFor("a rejection log line", () => botLog.withMsg("item rejected")[before]);
      assert.match(String(line["reason"]), /protobuf|truncated|malformed|invalid/i);
      agent!.change([{ id: "after-junk", state: "raised", summary: "still serving" }]);
      await alice.expect(/RAISED #\d+ web1 after-junk/);
    });

    it("rejects an oversize payload before decoding it", async () => {
      const before = botLog.withMsg("item rejected").length;
      await publishRaw("A".repeat(100_000));
      const line = await waitFor("a rejection log line", () => botLog.withMsg("item rejected")[before]);
      assert.match(String(line["reason"]), /64 KiB|limit/);
      agent!.change([{ id: "after-oversize", state: "raised", summary: "still serving" }]);
      await alice.expect(/RAISED #\d+ web1 after-oversize/);
    });
  });

  it("misses nothing when restarted between two publishes", async () => {
    await bot!.stop();
    bot = undefined;
    agent!.change([
      { id: "disk-full", state: "cleared" },
      { id: "while-away", state: "raised", summary: "raised while the bot was down" },
    ]);
    await waitFor("the agent's outbox to drain", () => agent!.core.backlog() === 0);
    bot = await startBot(server(), dir, ["alice"], botLog.logger, { extraYaml: EVERY_NOTICE_AT_ONCE });
    await alice.expect(/RAISED #\d+ web1 while-away: raised while the bot was down/);
    await waitFor("the clear to be applied", () => bot!.store.alerts.find("web1", "disk-full")?.status === "cleared");
    const history = bot.store.alerts.history(bot.store.alerts.find("web1", "while-away")!.shortId);
    assert.deepEqual(history.filter((h) => h.kind === "raised").length, 1, "applied once, though read twice");
  });

  it("never writes the component secret or the agent's password into a log", async () => {
    await diskFullId(); // the agent has logged in and published, the bot has applied it
    await waitFor("logs to look at", () => botLog.lines.length > 0 && agentLog.lines.length > 0);
    for (const secret of [server().botSecret, "pw-web1"]) {
      assert.ok(!botLog.text().includes(secret), "bot log is clean");
      assert.ok(!agentLog.text().includes(secret), "agent log is clean");
    }
  });
});
