// xmpp.service as a list (the nodes of a cluster): a session moves to the next address when the
// one it was on goes away, and a first login skips an address that does not answer. Two private
// Prosodys serving the same domain stand in for two cluster nodes.
import assert from "node:assert/strict";
import { loadAgentConfig } from "../../src/config/agent-config.js";
import { loadBotConfig } from "../../src/config/bot-config.js";
import { connectClient, connectComponent } from "../../src/xmpp/connect.js";
import type { XmppSession } from "../../src/xmpp/session.js";
import { startTestProsody } from "../helpers/prosody.js";
import type { TestProsody } from "../helpers/prosody.js";

const FAST_RECONNECT = { initialDelayMs: 100, maxDelayMs: 500 };

function onlineAgain(session: XmppSession): Promise<void> {
  return new Promise((resolve) => {
    const off = session.on("online", () => {
      off();
      resolve();
    });
  });
}

describe("xmpp.service as a list of addresses", function () {
  this.timeout(60_000);
  let a: TestProsody;
  let b: TestProsody;
  const sessions: XmppSession[] = [];

  before(async () => {
    a = await startTestProsody({ server: "prosody" });
    b = await startTestProsody({ server: "prosody" });
    for (const t of [a, b]) await t.prosody.register("web1", "pw-web1");
  });
  after(async () => {
    for (const s of sessions) await s.stop().catch(() => undefined);
    await a?.cleanup();
    await b?.cleanup();
  });

  it("is read from the agent's and the bot's config, one address or several", () => {
    const agent = (service: string) =>
      loadAgentConfig(`xmpp: { jid: web1@mauve.localhost, password: p${service} }\n`, { file: "agent.yaml", env: {} });
    assert.deepEqual(agent("").xmpp.service, ["xmpp://mauve.localhost:5222"]);
    assert.deepEqual(agent(", service: xmpp://10.0.0.1:5222").xmpp.service, ["xmpp://10.0.0.1:5222"]);
    assert.deepEqual(agent(", service: [xmpp://10.0.0.1:5222, xmpp://10.0.0.2:5222]").xmpp.service, [
      "xmpp://10.0.0.1:5222",
      "xmpp://10.0.0.2:5222",
    ]);
    assert.throws(
      () => agent(", service: [xmpp://10.0.0.1:5222, http://10.0.0.2]"),
      /agent.yaml: xmpp.service\[1\]: expected a URL like xmpp:\/\/127.0.0.1:5222/,
    );
    const bot = loadBotConfig(
      "xmpp: { component: alertbot.mauve.localhost, secret: s, pubsub: pubsub.mauve.localhost, service: [xmpp://10.0.0.1:5347, xmpp://10.0.0.2:5347] }\ndatabase: ':memory:'\npeople: [{ name: alice, jid: alice@mauve.localhost }]\n",
      { file: "alertbot.yaml" },
    );
    assert.deepEqual(bot.xmpp.service, ["xmpp://10.0.0.1:5347", "xmpp://10.0.0.2:5347"]);
  });

  it("a client moves to the next address when its server goes away, and back when that one goes", async () => {
    const session = await connectClient({
      service: [`xmpp://127.0.0.1:${a.prosody.c2sPort}`, `xmpp://127.0.0.1:${b.prosody.c2sPort}`],
      domain: a.prosody.domain,
      username: "web1",
      password: "pw-web1",
      resource: "agent",
      reconnect: FAST_RECONNECT,
      onError: () => undefined,
    });
    sessions.push(session);
    const toB = onlineAgain(session);
    await a.prosody.stop();
    await toB;
    assert.ok(session.isOnline, "online on the second address while the first is down");
    await a.prosody.start();
    const toA = onlineAgain(session);
    await b.prosody.stop();
    await toA;
    assert.ok(session.isOnline, "online on the first address again");
    await b.prosody.start();
  });

  it("a component's first connection skips an address that does not answer", async () => {
    await a.prosody.stop();
    try {
      const bot = await connectComponent({
        service: [`xmpp://127.0.0.1:${a.prosody.componentPort}`, `xmpp://127.0.0.1:${b.prosody.componentPort}`],
        domain: b.prosody.botJid,
        password: b.botSecret,
        reconnect: FAST_RECONNECT,
        onError: () => undefined,
      });
      sessions.push(bot);
      assert.ok(bot.isOnline);
    } finally {
      await a.prosody.start();
    }
  });
});
