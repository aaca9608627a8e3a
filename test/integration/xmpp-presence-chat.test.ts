// Disco, presence and chat between an agent (client), a person (client) and the bot (component).
import assert from "node:assert/strict";
import { withProsody } from "../helpers/prosody.js";
import { nextEvent } from "../helpers/next-event.js";
import { createChat } from "../../src/xmpp/chat.js";
import { connectClient, connectComponent } from "../../src/xmpp/connect.js";
import { createDisco } from "../../src/xmpp/disco.js";
import { bareJid } from "../../src/xmpp/jid.js";
import { NS_DELAY, NS_DISCO_INFO, NS_MAUVE_AGENT, NS_MAUVE_BOT, NS_PING } from "../../src/xmpp/namespaces.js";
import { coreOf } from "../../src/xmpp/session.js";
import { createPresence, getRoster } from "../../src/xmpp/presence.js";
import type { ChatBounce, ChatMessage } from "../../src/xmpp/chat.js";
import type { PresenceBounce, PresenceUpdate, SubscriptionStanza } from "../../src/xmpp/presence.js";
import type { XmppSession } from "../../src/xmpp/session.js";

describe("xmpp disco, presence and chat on Prosody", function () {
  const server = withProsody();
  const errors: Error[] = [];
  const sessions: XmppSession[] = [];
  let bot: XmppSession;
  let agent: XmppSession;
  let person: XmppSession;

  before(async function () {
    const { prosody, botSecret } = server();
    await prosody.register("web1", "pw1");
    await prosody.register("alice", "pw2");
    const onError = (e: Error): void => void errors.push(e);
    bot = await connectComponent({
      service: `xmpp://127.0.0.1:${prosody.componentPort}`,
      domain: prosody.botJid,
      password: botSecret,
      onError,
    });
    const c2s = `xmpp://127.0.0.1:${prosody.c2sPort}`;
    agent = await connectClient({
      service: c2s,
      domain: prosody.domain,
      username: "web1",
      password: "pw1",
      resource: "agent",
      onError,
    });
    person = await connectClient({
      service: c2s,
      domain: prosody.domain,
      username: "alice",
      password: "pw2",
      resource: "phone",
      onError,
    });
    sessions.push(bot, agent, person);
    createDisco(agent, {
      identities: [{ category: "client", type: "bot", name: "mauve-agent" }],
      features: [NS_MAUVE_AGENT],
    });
    createDisco(bot, {
      identities: [{ category: "component", type: "generic", name: "AlertBot" }],
      features: [NS_MAUVE_BOT],
    });
  });

  after(async () => {
    await Promise.all(sessions.map((s) => s.stop()));
  });

  afterEach(() => {
    assert.deepEqual(
      errors.map((e) => `${e.name}: ${e.message}`),
      [],
    );
  });

  it("the agent answers disco#info with its identity and feature", async function () {
    const info = await createDisco(bot).discoInfo(agent.jid);
    assert.ok(info.ok, JSON.stringify(info));
    assert.deepEqual(info.identities, [{ category: "client", type: "bot", name: "mauve-agent" }]);
    assert.deepEqual(info.features, [NS_DISCO_INFO, NS_PING, NS_MAUVE_AGENT].sort());
  });

  it("the bot answers disco#info too, and refuses nodes it does not have", async function () {
    const disco = createDisco(agent);
    const info = await disco.discoInfo(bot.jid);
    assert.ok(info.ok);
    assert.ok(info.features.includes(NS_MAUVE_BOT));
    const node = await disco.discoInfo(bot.jid, "no-such-node");
    assert.equal(node.ok ? "ok" : node.condition, "item-not-found");
  });

  it("directed presence with status goes agent -> bot and bot -> agent", async function () {
    const atBot = nextEvent<PresenceUpdate>(
      (fn) => createPresence(bot).onPresence(fn),
      (p) => p.from === agent.jid,
    );
    await createPresence(agent).sendAvailable({ to: bot.jid, status: "checks running", show: "chat" });
    assert.deepEqual(await atBot, {
      from: agent.jid,
      to: bot.jid,
      type: "available",
      status: "checks running",
      show: "chat",
    });

    const atAgent = nextEvent<PresenceUpdate>(
      (fn) => createPresence(agent).onPresence(fn),
      (p) => p.from === bot.jid,
    );
    await createPresence(bot).sendAvailable({ to: agent.jid, status: "watching 3 nodes" });
    assert.deepEqual(await atAgent, { from: bot.jid, to: agent.jid, type: "available", status: "watching 3 nodes" });

    const gone = nextEvent<PresenceUpdate>(
      (fn) => createPresence(bot).onPresence(fn),
      (p) => p.type === "unavailable",
    );
    await createPresence(agent).sendUnavailable({ to: bot.jid, status: "shutting down" });
    assert.deepEqual(await gone, { from: agent.jid, to: bot.jid, type: "unavailable", status: "shutting down" });
  });

  it("a component must name the recipient of its presence", async function () {
    await assert.rejects(createPresence(bot).sendAvailable({ status: "x" }), TypeError);
  });

  it("the bot sees subscription requests and can approve them itself", async function () {
    // Only a resource that fetched its roster gets subscription stanzas (RFC 6121 §2.1.6).
    const initial = await getRoster(person);
    assert.deepEqual(initial, { ok: true, items: [] });
    const asked = nextEvent<SubscriptionStanza>(
      (fn) => createPresence(bot).onSubscription(fn),
      (s) => s.type === "subscribe",
    );
    await createPresence(person).sendSubscription(bot.jid, "subscribe");
    const request = await asked;
    assert.deepEqual(request, { from: bareJid(person.jid), to: bot.jid, type: "subscribe" });

    const approved = nextEvent<SubscriptionStanza>(
      (fn) => createPresence(person).onSubscription(fn),
      (s) => s.type === "subscribed",
    );
    await createPresence(bot).sendSubscription(request.from, "subscribed");
    assert.deepEqual(await approved, { from: bot.jid, to: bareJid(person.jid), type: "subscribed" });
    const after = await getRoster(person);
    assert.ok(after.ok);
    assert.deepEqual(after.items, [{ jid: bot.jid, subscription: "to", pendingOut: false }]);
  });

  it("chat goes both ways between a person and the bot", async function () {
    const atBot = nextEvent<ChatMessage>((fn) => createChat(bot).onChat(fn));
    await createChat(person).sendChat(bot.jid, "ack 42");
    assert.deepEqual(await atBot, { from: person.jid, to: bot.jid, body: "ack 42", type: "chat" });

    const atPerson = nextEvent<ChatMessage>((fn) => createChat(person).onChat(fn));
    await createChat(bot).sendChat(person.jid, "Acknowledged 42 until 10:00", { thread: "t1" });
    assert.deepEqual(await atPerson, {
      from: bot.jid,
      to: person.jid,
      body: "Acknowledged 42 until 10:00",
      type: "chat",
      thread: "t1",
    });
  });

  it("a chat line's XEP-0203 delay stamps say when it was sent: the earliest of them", async function () {
    const atBot = nextEvent<ChatMessage>((fn) => createChat(bot).onChat(fn));
    const { xml } = coreOf(person);
    // Its client held it back, then a server did too: each added its own stamp.
    await coreOf(person).send(
      xml(
        "message",
        { to: bot.jid, type: "chat" },
        xml("body", {}, "ack 42"),
        xml("delay", { xmlns: NS_DELAY, stamp: "2026-01-05T10:00:00Z", from: server().prosody.domain }),
        xml("delay", { xmlns: NS_DELAY, stamp: "2026-01-05T09:00:00.500Z" }),
        xml("delay", { xmlns: NS_DELAY, stamp: "not a time" }),
        xml("delay", { xmlns: NS_DELAY, stamp: "1" }),
      ),
    );
    const got = await atBot;
    assert.equal(got.body, "ack 42");
    assert.equal(got.sentAt, Date.UTC(2026, 0, 5, 9, 0, 0, 500));
  });

  it("a message to nobody comes back as a bounce, not as chat", async function () {
    const { prosody } = server();
    const chats: ChatMessage[] = [];
    const off = createChat(person).onChat((m) => void chats.push(m));
    const bounce = nextEvent<ChatBounce>((fn) => createChat(person).onBounce(fn));
    await createChat(person).sendChat(`nobody@${prosody.domain}`, "hello?");
    const got = await bounce;
    off();
    assert.equal(got.from, `nobody@${prosody.domain}`);
    assert.equal(got.condition, "service-unavailable");
    assert.deepEqual(chats, []);
  });

  it("presence the server cannot deliver comes back to the bot as a bounce, naming whom it was for", async function () {
    const bounce = nextEvent<PresenceBounce>((fn) => createPresence(bot).onBounce(fn));
    await createPresence(bot).sendProbe("someone@elsewhere.example");
    const got = await bounce;
    assert.equal(bareJid(got.from), "someone@elsewhere.example");
    assert.ok(got.condition.length > 0, "a condition");
  });

  it("a handler that throws reaches onError and the session carries on", async function () {
    const off = createChat(bot).onChat(() => {
      throw new Error("handler bug");
    });
    const next = nextEvent<ChatMessage>(
      (fn) => createChat(bot).onChat(fn),
      (m) => m.body === "second",
    );
    await createChat(person).sendChat(bot.jid, "first");
    await createChat(person).sendChat(bot.jid, "second");
    await next;
    off();
    assert.ok(errors.some((e) => e.name === "XmppHandlerError" && (e.cause as Error).message === "handler bug"));
    errors.length = 0;
    assert.ok(bot.isOnline);
  });
});
