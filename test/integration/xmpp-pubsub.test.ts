// Agents and the bot on a real Prosody: provisioning, publishing, events, retained items.
import assert from "node:assert/strict";
import { withProsody } from "../helpers/prosody.js";
import { nextEvent } from "../helpers/next-event.js";
import { connectClient, connectComponent } from "../../src/xmpp/connect.js";
import { XmppHandlerError } from "../../src/xmpp/errors.js";
import { bareJid } from "../../src/xmpp/jid.js";
import { AGENT_NODE_MAX_ITEMS } from "../../src/codec/source-name.js";
import { agentNodeConfig, createProvisioning } from "../../src/xmpp/provisioning.js";
import { createPubsub } from "../../src/xmpp/pubsub.js";
import type { ProvisionDecision, ProvisionRequest } from "../../src/xmpp/provisioning.js";
import type { PubsubEvent } from "../../src/xmpp/pubsub.js";
import type { XmppSession } from "../../src/xmpp/session.js";
import { NS_MAUVE_UPDATE } from "../../src/codec/payload.js";

const FAST_RECONNECT = { initialDelayMs: 100, maxDelayMs: 1000 };

describe("xmpp pubsub on Prosody", function () {
  const server = withProsody();
  const errors: Error[] = [];
  const sessions: XmppSession[] = [];
  let bot: XmppSession;
  let agent1: XmppSession;
  let agent2: XmppSession;
  const node = "mauve/alerts/web1";
  const provisionRequests: ProvisionRequest[] = [];

  before(async function () {
    const { prosody, botSecret } = server();
    await prosody.register("web1", "pw-web1");
    await prosody.register("db1", "pw-db1");
    const common = { reconnect: FAST_RECONNECT, onError: (e: Error) => errors.push(e) };
    bot = await connectComponent({
      service: `xmpp://127.0.0.1:${prosody.componentPort}`,
      domain: prosody.botJid,
      password: botSecret,
      ...common,
    });
    const client = (username: string) =>
      connectClient({
        service: `xmpp://127.0.0.1:${prosody.c2sPort}`,
        domain: prosody.domain,
        username,
        password: `pw-${username}`,
        resource: "agent",
        ...common,
      });
    agent1 = await client("web1");
    agent2 = await client("db1");
    sessions.push(bot, agent1, agent2);

    // The bot's side of provisioning, as the bot author would write it (checks omitted).
    const botPubsub = createPubsub(bot);
    createProvisioning(bot).onProvisionRequest(async (req): Promise<ProvisionDecision> => {
      provisionRequests.push(req);
      if (req.node === "mauve/alerts/refused") return { ok: false, condition: "forbidden", text: "not your node" };
      if (req.node === "mauve/alerts/boom") throw new Error("bot bug");
      const created = await botPubsub.createNode(prosody.pubsubJid, req.node, agentNodeConfig("web1"));
      if (!created.ok && created.condition !== "conflict") return created;
      const owned = await botPubsub.setAffiliation(prosody.pubsubJid, req.node, bareJid(req.from), "owner");
      if (!owned.ok) return owned;
      const subscribed = await botPubsub.subscribe(prosody.pubsubJid, req.node);
      return subscribed.ok ? { ok: true } : subscribed;
    });
  });

  after(async () => {
    await Promise.all(sessions.map((s) => s.stop()));
  });

  afterEach(function () {
    if (
      errors.length > 0 &&
      this.currentTest?.title !== "a provisioning handler that throws answers internal-server-error and reports"
    ) {
      assert.deepEqual(
        errors.map((e) => `${e.name}: ${e.message}`),
        [],
      );
    }
  });

  it("a client logs in without TLS and a component connects", function () {
    const { prosody } = server();
    assert.equal(agent1.kind, "client");
    assert.equal(bareJid(agent1.jid), `web1@${prosody.domain}`);
    assert.equal(agent1.jid, `web1@${prosody.domain}/agent`);
    assert.ok(agent1.isOnline);
    assert.equal(bot.kind, "component");
    assert.equal(bot.jid, prosody.botJid);
    assert.ok(bot.isOnline);
  });

  it("an agent may not create its node on Prosody, then gets it provisioned by the bot", async function () {
    const { prosody } = server();
    const pubsub = createPubsub(agent1);
    const own = await pubsub.createNode(prosody.pubsubJid, node, agentNodeConfig("web1"));
    assert.deepEqual(own.ok ? "created" : own.condition, "forbidden");

    const provisioned = await createProvisioning(agent1).requestNodeProvisioning(prosody.botJid, node);
    assert.deepEqual(provisioned, { ok: true });
    assert.deepEqual(provisionRequests.at(-1), { from: agent1.jid, node });

    const affiliations = await createPubsub(bot).getAffiliations(prosody.pubsubJid, node);
    assert.ok(affiliations.ok);
    assert.deepEqual(affiliations.affiliations.map((a) => `${a.jid}=${a.affiliation}`).sort(), [
      `${prosody.botJid}=owner`,
      `web1@${prosody.domain}=owner`,
    ]);
  });

  it("the node carries the agent configuration", async function () {
    const { prosody } = server();
    const got = await createPubsub(agent1).getNodeConfig(prosody.pubsubJid, node);
    assert.ok(got.ok, JSON.stringify(got));
    assert.equal(got.config.accessModel, "whitelist");
    assert.equal(got.config.publishModel, "publishers");
    assert.equal(got.config.persistItems, true);
    assert.equal(got.config.maxItems, AGENT_NODE_MAX_ITEMS);
    assert.equal(got.config.deliverPayloads, true);
    assert.equal(got.config.notifyRetract, false);
    assert.equal(got.config.payloadType, NS_MAUVE_UPDATE);
    assert.equal(got.config.title, "Mauve alerts from web1");
  });

  it("the agent publishes and the subscribed bot receives node, payload and publisher", async function () {
    const { prosody } = server();
    const event = nextEvent<PubsubEvent>((fn) => createPubsub(bot).onEvent(fn, { services: [prosody.pubsubJid] }));
    const published = await createPubsub(agent1).publish(
      prosody.pubsubJid,
      node,
      { data: "AAEC", text: "web1: disk full" },
      "item-1",
    );
    assert.deepEqual(published, { ok: true, itemId: "item-1" });
    assert.deepEqual(await event, {
      service: prosody.pubsubJid,
      node,
      itemId: "item-1",
      publisher: `web1@${prosody.domain}`,
      payload: { data: "AAEC", text: "web1: disk full" },
    });
  });

  it("the service picks an item id when the agent gives none", async function () {
    const { prosody } = server();
    const published = await createPubsub(agent1).publish(prosody.pubsubJid, node, { data: "AAE=", text: "no id" });
    assert.ok(published.ok);
    assert.match(published.itemId, /.{8,}/);
  });

  it("another agent cannot publish to that node, nor create it", async function () {
    const { prosody } = server();
    const pubsub = createPubsub(agent2);
    const published = await pubsub.publish(prosody.pubsubJid, node, { data: "AA==", text: "spoof" });
    assert.equal(published.ok ? "published" : published.condition, "forbidden");
    const created = await pubsub.createNode(prosody.pubsubJid, node);
    assert.equal(created.ok ? "created" : created.condition, "forbidden");
  });

  it("retains items and returns them oldest first, the newest N with max", async function () {
    const { prosody } = server();
    const pubsub = createPubsub(agent1);
    for (const n of [1, 2, 3]) {
      const r = await pubsub.publish(prosody.pubsubJid, node, { data: `AA${n}=`, text: `line ${n}` }, `ordered-${n}`);
      assert.ok(r.ok);
    }
    const all = await createPubsub(bot).getItems(prosody.pubsubJid, node);
    assert.ok(all.ok);
    assert.deepEqual(
      all.items.slice(-3).map((i) => i.itemId),
      ["ordered-1", "ordered-2", "ordered-3"],
    );
    assert.equal(all.items.at(-1)?.publisher, `web1@${prosody.domain}`);
    assert.deepEqual(all.items.at(-1)?.payload, { data: "AA3=", text: "line 3" });
    const newest = await createPubsub(bot).getItems(prosody.pubsubJid, node, 2);
    assert.ok(newest.ok);
    assert.deepEqual(
      newest.items.map((i) => i.itemId),
      ["ordered-2", "ordered-3"],
    );
  });

  it("keeps at most max_items items", async function () {
    const { prosody } = server();
    const pubsub = createPubsub(agent1);
    for (let n = 0; n < AGENT_NODE_MAX_ITEMS + 3; n++) {
      assert.ok((await pubsub.publish(prosody.pubsubJid, node, { data: "AA==", text: `fill ${n}` }, `fill-${n}`)).ok);
    }
    const all = await pubsub.getItems(prosody.pubsubJid, node);
    assert.ok(all.ok);
    assert.equal(all.items.length, AGENT_NODE_MAX_ITEMS);
    assert.equal(all.items.at(-1)?.itemId, `fill-${AGENT_NODE_MAX_ITEMS + 2}`);
  });

  it("lists the node on the service to those who may read it (its owner), not to another agent", async function () {
    const { prosody } = server();
    const listed = await createPubsub(agent1).listNodes(prosody.pubsubJid);
    assert.ok(listed.ok);
    assert.deepEqual(
      listed.nodes.find((n) => n.node === node),
      { node, name: "Mauve alerts from web1" },
    );
    // mod_mauve_private_nodes: node names are host names, shown only to who may read the node.
    const other = await createPubsub(agent2).listNodes(prosody.pubsubJid);
    assert.ok(other.ok);
    assert.equal(
      other.nodes.find((n) => n.node === node),
      undefined,
    );
  });

  it("an item in another namespace arrives as unknownPayload", async function () {
    const { prosody } = server();
    const event = nextEvent<PubsubEvent>(
      (fn) => createPubsub(bot).onEvent(fn),
      (e) => e.itemId === "foreign-1",
    );
    const published = await createPubsub(agent1).publishForeign(
      prosody.pubsubJid,
      node,
      {
        name: "entry",
        ns: "http://www.w3.org/2005/Atom",
        children: [{ name: "title", ns: "http://www.w3.org/2005/Atom", children: ["hi"] }],
      },
      "foreign-1",
    );
    assert.ok(published.ok);
    const got = await event;
    assert.equal(got.unknownPayload, "{http://www.w3.org/2005/Atom}entry");
    assert.equal(got.payload, undefined);
  });

  it("events from anyone but the named services are ignored", async function () {
    const { prosody } = server();
    const seen: PubsubEvent[] = [];
    const off = createPubsub(bot).onEvent((e) => void seen.push(e), { services: ["pubsub.elsewhere.example"] });
    const r = await createPubsub(agent1).publish(prosody.pubsubJid, node, { data: "AA==", text: "x" }, "filtered-1");
    assert.ok(r.ok);
    await createPubsub(bot).getItems(prosody.pubsubJid, node, 1); // a round trip after the event
    off();
    assert.deepEqual(seen, []);
  });

  it("operations on a missing node fail with item-not-found", async function () {
    const { prosody } = server();
    const pubsub = createPubsub(bot);
    const items = await pubsub.getItems(prosody.pubsubJid, "mauve/alerts/nope");
    assert.equal(items.ok ? "ok" : items.condition, "item-not-found");
    const aff = await pubsub.setAffiliation(prosody.pubsubJid, "mauve/alerts/nope", `web1@${prosody.domain}`, "owner");
    assert.equal(aff.ok ? "ok" : aff.condition, "item-not-found");
  });

  it("the bot's refusal reaches the agent as a stanza error value", async function () {
    const { prosody } = server();
    const refused = await createProvisioning(agent1).requestNodeProvisioning(prosody.botJid, "mauve/alerts/refused");
    assert.deepEqual(refused, { ok: false, condition: "forbidden", type: "auth", text: "not your node" });
  });

  it("a provisioning handler that throws answers internal-server-error and reports", async function () {
    const { prosody } = server();
    errors.length = 0;
    const failed = await createProvisioning(agent1).requestNodeProvisioning(prosody.botJid, "mauve/alerts/boom");
    assert.equal(failed.ok ? "ok" : failed.condition, "internal-server-error");
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof XmppHandlerError);
    assert.equal((errors[0].cause as Error).message, "bot bug");
    errors.length = 0;
  });
});
