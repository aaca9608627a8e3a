// The pubsub edge on a real ejabberd 23.01 (Debian's) with its shipped rules: agents create their
// own nodes, AlertBot is no pubsub admin, disco#items of the service is capped and not paged.
import assert from "node:assert/strict";
import { startAuditFeed } from "../helpers/audit-feed.js";
import { withEjabberd } from "../helpers/prosody.js";
import { nextEvent } from "../helpers/next-event.js";
import { createLogger } from "../../src/log.js";
import { connectClient, connectComponent } from "../../src/xmpp/connect.js";
import { createProvisioning, ensureNode } from "../../src/xmpp/provisioning.js";
import { createPubsub } from "../../src/xmpp/pubsub.js";
import type { PubsubEvent } from "../../src/xmpp/pubsub.js";
import { NS_DISCO_ITEMS } from "../../src/xmpp/namespaces.js";
import { coreOf, type XmppSession } from "../../src/xmpp/session.js";

describe("xmpp pubsub on ejabberd", function () {
  this.timeout(60_000);
  const sessions: XmppSession[] = [];
  // Registered before the server's hooks, so the sessions close before ejabberd stops.
  after(async () => {
    for (const s of sessions) await s.stop().catch(() => undefined);
  });
  const server = withEjabberd();
  let bot: XmppSession;
  let agent: XmppSession;

  before(async function () {
    const { prosody, botSecret } = server();
    await prosody.register("web1", "pw-web1");
    bot = await connectComponent({
      service: `xmpp://127.0.0.1:${prosody.componentPort}`,
      domain: prosody.botJid,
      password: botSecret,
    });
    agent = await connectClient({
      service: `xmpp://127.0.0.1:${prosody.c2sPort}`,
      domain: prosody.domain,
      username: "web1",
      password: "pw-web1",
      resource: "agent",
    });
    sessions.push(bot, agent);
  });

  it("an agent that creates its own node (pubsub_createnode: local) lets AlertBot subscribe, read and see the publisher", async function () {
    const { prosody } = server();
    const node = "mauve/alerts/web1";
    const target = { service: prosody.pubsubJid, node, source: "web1", bot: prosody.botJid };
    const ensured = await ensureNode(
      createPubsub(agent),
      createProvisioning(agent),
      target,
      createLogger({ level: "error" }),
    );
    assert.deepEqual(ensured, { ok: true });

    const botPubsub = createPubsub(bot);
    const sub = await botPubsub.subscribe(prosody.pubsubJid, node);
    assert.ok(sub.ok, `AlertBot cannot subscribe to the agent's node: ${JSON.stringify(sub)}`);
    const event = nextEvent<PubsubEvent>((h) => botPubsub.onEvent(h, { services: [prosody.pubsubJid] }));
    const published = await createPubsub(agent).publish(prosody.pubsubJid, node, { data: "AA==", text: "x" }, "i1");
    assert.ok(published.ok, JSON.stringify(published));
    const got = await event;
    assert.equal(got.node, node);
    assert.equal(got.publisher, `web1@${prosody.domain}`, "the event names its publisher (pubsub#itemreply)");

    const items = await botPubsub.getItems(prosody.pubsubJid, node);
    assert.ok(items.ok, `AlertBot cannot read the agent's node: ${JSON.stringify(items)}`);
    assert.equal(items.items.at(-1)?.publisher, `web1@${prosody.domain}`, "retained items name their publisher");
    const affs = await botPubsub.getAffiliations(prosody.pubsubJid, node);
    assert.ok(affs.ok, `AlertBot cannot see who may read the node: ${JSON.stringify(affs)}`);
  });

  it("lists every node of the service, past ejabberd's default cap of 100 per disco#items answer", async function () {
    const { prosody } = server();
    const botPubsub = createPubsub(bot);
    const wanted = Array.from({ length: 130 }, (_, i) => `mauve/alerts/many${String(i).padStart(3, "0")}`);
    for (const node of wanted) {
      const created = await botPubsub.createNode(prosody.pubsubJid, node);
      assert.ok(created.ok, `${node}: ${JSON.stringify(created)}`);
    }
    const listed = await botPubsub.listNodes(prosody.pubsubJid);
    assert.ok(listed.ok, JSON.stringify(listed));
    const names = new Set(listed.nodes.map((n) => n.node));
    assert.deepEqual(
      wanted.filter((n) => !names.has(n)),
      [],
      `listed ${listed.nodes.length} nodes`,
    );
    assert.equal(names.size, listed.nodes.length, "no node listed twice");
  });

  it("does not page the service's disco#items with RSM (XEP-0059): one answer, every node up to the cap", async function () {
    // Why listNodes sends no <set/> and the config raises max_nodes_discoitems instead
    // (docs/architecture.md): a server that starts paging shows up here.
    const { prosody } = server();
    const core = coreOf(bot);
    const { xml } = core;
    const query = xml(
      "query",
      { xmlns: NS_DISCO_ITEMS },
      xml("set", { xmlns: "http://jabber.org/protocol/rsm" }, xml("max", {}, "10")),
    );
    const reply = await core.request(xml("iq", { type: "get", to: prosody.pubsubJid }, query), "paged disco#items");
    if (!reply.ok) assert.fail(`paged disco#items refused: ${reply.condition}`);
    const answer = reply.stanza.getChild("query", NS_DISCO_ITEMS);
    assert.ok((answer?.getChildren("item").length ?? 0) > 10, "more than the 10 asked for");
    assert.equal(answer?.getChild("set", "http://jabber.org/protocol/rsm"), undefined, "no RSM <set/> in the answer");
  });
});

describe("AlertBot's own nodes on ejabberd", function () {
  this.timeout(60_000);

  describe("with the component allowed in pubsub_createnode (ejabberd/config.ts)", function () {
    const server = withEjabberd();
    it("creates the audit and status nodes and lets the people read them, without a complaint", async function () {
      const { prosody, botSecret } = server();
      await prosody.register("alice", "pw-alice");
      const bot = await connectComponent({
        service: `xmpp://127.0.0.1:${prosody.componentPort}`,
        domain: prosody.botJid,
        password: botSecret,
      });
      try {
        const log = await startAuditFeed(bot, prosody.pubsubJid, [`alice@${prosody.domain}`]);
        assert.deepEqual(
          log.lines.filter((l) => l["level"] === "error"),
          [],
        );
        const affs = await createPubsub(bot).getAffiliations(prosody.pubsubJid, "mauve/audit");
        assert.ok(
          affs.ok && affs.affiliations.some((a) => a.jid === `alice@${prosody.domain}` && a.affiliation === "member"),
        );
      } finally {
        await bot.stop();
      }
    });
  });

  describe("with Debian's shipped rule (pubsub_createnode: local, the component left out)", function () {
    const server = withEjabberd({ botMayCreateNodes: false });
    it("reports loudly that it cannot create its nodes, and which rule to add", async function () {
      const { prosody, botSecret } = server();
      const bot = await connectComponent({
        service: `xmpp://127.0.0.1:${prosody.componentPort}`,
        domain: prosody.botJid,
        password: botSecret,
      });
      try {
        const log = await startAuditFeed(bot, prosody.pubsubJid, [`alice@${prosody.domain}`]);
        const reports = log.withMsg("cannot create nor configure a node: the audit and status feeds are off");
        assert.deepEqual(
          reports.map((r) => [r["node"], r["create"]]),
          [
            ["mauve/audit", "forbidden"],
            ["mauve/status", "forbidden"],
          ],
        );
        assert.match(String(reports[0]?.["fix"]), /pubsub_createnode/);
      } finally {
        await bot.stop();
      }
    });
  });
});
