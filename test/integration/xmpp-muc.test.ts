// XEP-0045 rooms on the real Prosody: people create rooms, the bot (a component) joins them and
// hears who said what, by real JID when the room shows it and not otherwise.
import assert from "node:assert/strict";
import { nextEvent } from "../helpers/next-event.js";
import { withProsody } from "../helpers/prosody.js";
import { waitFor } from "../helpers/wait-for.js";
import { connectClient, connectComponent } from "../../src/xmpp/connect.js";
import { createMuc } from "../../src/xmpp/muc.js";
import type { GroupchatMessage, Muc, RoomExit } from "../../src/xmpp/muc.js";
import type { XmppSession } from "../../src/xmpp/session.js";

const said = (muc: Muc, body: string): Promise<GroupchatMessage> =>
  nextEvent(
    (fn) => muc.onGroupchat(fn),
    (m) => m.body === body,
  );

describe("xmpp MUC on Prosody", function () {
  const server = withProsody();
  const errors: Error[] = [];
  const sessions: XmppSession[] = [];
  let bot: Muc;
  let alice: Muc;
  let bob: Muc;
  let aliceJid: string;
  let bobJid: string;
  let botJid: string;
  let rooms: string;

  before(async function () {
    const { prosody, botSecret } = server();
    await prosody.register("alice", "pw-a");
    await prosody.register("bob", "pw-b");
    const onError = (e: Error): void => void errors.push(e);
    const c2s = `xmpp://127.0.0.1:${prosody.c2sPort}`;
    const botSession = await connectComponent({
      service: `xmpp://127.0.0.1:${prosody.componentPort}`,
      domain: prosody.botJid,
      password: botSecret,
      onError,
    });
    const aliceSession = await connectClient({
      service: c2s,
      domain: prosody.domain,
      username: "alice",
      password: "pw-a",
      resource: "phone",
      onError,
    });
    const bobSession = await connectClient({
      service: c2s,
      domain: prosody.domain,
      username: "bob",
      password: "pw-b",
      resource: "laptop",
      onError,
    });
    sessions.push(botSession, aliceSession, bobSession);
    [bot, alice, bob] = [createMuc(botSession), createMuc(aliceSession), createMuc(bobSession)];
    [botJid, aliceJid, bobJid] = [botSession.jid, aliceSession.jid, bobSession.jid];
    rooms = prosody.mucJid;
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

  it("a person creates a non-anonymous room; the bot joins and hears her with her real JID", async () => {
    const room = `ops@${rooms}`;
    const created = await alice.join(room, "alice");
    assert.deepEqual(created, { ok: true, room, nick: "alice", anonymity: "semi-anonymous", created: true });
    const form = await alice.roomConfig(room);
    assert.ok(form.ok, JSON.stringify(form));
    const whois = form.form.fields.find((f) => f.var === "muc#roomconfig_whois");
    assert.deepEqual(
      whois?.options.map((o) => o.value),
      ["moderators", "anyone"],
    );
    assert.deepEqual(await alice.configure(room, new Map([["muc#roomconfig_whois", "anyone"]])), { ok: true });

    const joined = await bot.join(room, "AlertBot");
    assert.deepEqual(joined, { ok: true, room, nick: "AlertBot", anonymity: "non-anonymous", created: false });
    const occupants = bot.room(room)?.occupants.map((o) => [o.nick, o.realJid, o.role, o.affiliation]);
    assert.deepEqual(occupants?.sort(), [
      ["AlertBot", botJid, "participant", "none"],
      ["alice", aliceJid, "moderator", "owner"],
    ]);

    const heard = said(bot, "ack 42 for 2h");
    await alice.sendGroupchat(room, "ack 42 for 2h");
    assert.deepEqual(await heard, {
      room,
      nick: "alice",
      realJid: aliceJid,
      body: "ack 42 for 2h",
      fromSelf: false,
      history: false,
    });

    const reply = said(alice, "#42 acknowledged");
    const echo = said(bot, "#42 acknowledged");
    await bot.sendGroupchat(room, "#42 acknowledged");
    assert.deepEqual(await reply, {
      room,
      nick: "AlertBot",
      realJid: botJid,
      body: "#42 acknowledged",
      fromSelf: false,
      history: false,
    });
    assert.equal((await echo).fromSelf, true);
  });

  it("tracks occupants coming and going, with their real JIDs", async () => {
    const room = `ops@${rooms}`;
    const joined = await bob.join(room, "bob");
    assert.ok(joined.ok && joined.anonymity === "non-anonymous" && !joined.created);
    await waitFor("bob among the occupants", () => bot.room(room)?.occupants.some((o) => o.nick === "bob") === true);
    assert.equal(bot.room(room)?.occupants.find((o) => o.nick === "bob")?.realJid, bobJid);
    const heard = said(bot, "show");
    await bob.sendGroupchat(room, "show");
    assert.equal((await heard).realJid, bobJid);
    const left = nextEvent<RoomExit>((fn) => bob.onExit(fn));
    await bob.leave(room);
    assert.deepEqual(await left, { room, reason: "left" });
    await waitFor(
      "bob gone from the occupants",
      () => bot.room(room)?.occupants.every((o) => o.nick !== "bob") === true,
    );
    assert.equal(bob.room(room), undefined);
  });

  it("refuses a nick already taken, as a value", async () => {
    const taken = await bob.join(`ops@${rooms}`, "alice");
    assert.equal(taken.ok ? "joined" : taken.condition, "conflict");
    assert.equal(bob.room(`ops@${rooms}`), undefined);
  });

  it("in a semi-anonymous room the bot cannot see real JIDs, and says so", async () => {
    const room = `quiet@${rooms}`;
    assert.ok((await bob.join(room, "bob")).ok);
    assert.deepEqual(await bob.configure(room, new Map([["muc#roomconfig_whois", "moderators"]])), { ok: true });
    const joined = await bot.join(room, "AlertBot");
    assert.ok(joined.ok && joined.anonymity === "semi-anonymous", JSON.stringify(joined));
    // Only our own real JID comes back to us (in our self-presence).
    assert.deepEqual(
      bot
        .room(room)
        ?.occupants.map((o) => [o.nick, o.realJid])
        .sort(),
      [
        ["AlertBot", botJid],
        ["bob", null],
      ],
    );
    const heard = said(bot, "ack 1");
    await bob.sendGroupchat(room, "ack 1");
    assert.deepEqual(await heard, { room, nick: "bob", realJid: null, body: "ack 1", fromSelf: false, history: false });

    // The owner opens the room up: status 172 tells the bot.
    await bob.configure(room, new Map([["muc#roomconfig_whois", "anyone"]]));
    await waitFor("the room to be non-anonymous", () => bot.room(room)?.anonymity === "non-anonymous");
  });

  it("tells the room's replayed history (its own delay stamp) from live lines", async () => {
    const room = `ops@${rooms}`;
    const replayed = said(bob, "ack 42 for 2h"); // alice's line of the first test
    assert.ok((await bob.join(room, "bob", { history: 20 })).ok);
    const got = await replayed;
    assert.equal(got.history, true);
    assert.equal(got.sentAt, undefined, "the room's stamp is not when its author sent it");
    const live = said(bob, "show again");
    await alice.sendGroupchat(room, "show again");
    assert.equal((await live).history, false);
    await bob.leave(room);
  });

  it("hears when the room is destroyed, and can join again after", async () => {
    const room = `quiet@${rooms}`;
    const exit = nextEvent<RoomExit>((fn) => bot.onExit(fn));
    assert.deepEqual(await bob.destroy(room, "moving to ops"), { ok: true });
    assert.deepEqual(await exit, { room, reason: "destroyed", text: "moving to ops" });
    assert.equal(bot.room(room), undefined);
  });
});

describe("xmpp MUC on Prosody: rooms the bot creates, and a restart", function () {
  const server = withProsody();
  const errors: Error[] = [];
  const sessions: XmppSession[] = [];
  const FAST_RECONNECT = { initialDelayMs: 100, maxDelayMs: 1000 };
  const createConfig = new Map<string, string | boolean>([
    ["muc#roomconfig_whois", "anyone"],
    ["muc#roomconfig_persistentroom", true],
  ]);

  after(async () => {
    await Promise.all(sessions.map((s) => s.stop()));
  });

  it("the bot creates a non-anonymous persistent room, and both sides rejoin after Prosody restarts", async function () {
    const { prosody, botSecret } = server();
    await prosody.register("carol", "pw-c");
    const onError = (e: Error): void => void errors.push(e);
    const botSession = await connectComponent({
      service: `xmpp://127.0.0.1:${prosody.componentPort}`,
      domain: prosody.botJid,
      password: botSecret,
      reconnect: FAST_RECONNECT,
      onError,
    });
    const c2s = `xmpp://127.0.0.1:${prosody.c2sPort}`;
    const carolSession = await connectClient({
      service: c2s,
      domain: prosody.domain,
      username: "carol",
      password: "pw-c",
      resource: "desk",
      reconnect: FAST_RECONNECT,
      onError,
    });
    sessions.push(botSession, carolSession);
    const [bot, carol] = [createMuc(botSession), createMuc(carolSession)];
    const room = `db@${prosody.mucJid}`;

    assert.deepEqual(await bot.join(room, "AlertBot", { createConfig }), {
      ok: true,
      room,
      nick: "AlertBot",
      anonymity: "non-anonymous",
      created: true,
    });
    const entered = await carol.join(room, "carol"); // the room is unlocked: others may enter
    assert.ok(entered.ok && entered.anonymity === "non-anonymous", JSON.stringify(entered));

    await prosody.restart();
    await waitFor(
      "carol with her real JID",
      () => bot.room(room)?.occupants.some((o) => o.nick === "carol" && o.realJid === carolSession.jid) === true,
    );
    assert.equal(bot.room(room)?.anonymity, "non-anonymous");
    const heard = said(bot, "show");
    await carol.sendGroupchat(room, "show");
    assert.equal((await heard).realJid, carolSession.jid);
    // Connection trouble during the restart is reported; nothing else may be.
    assert.deepEqual(
      errors.filter((e) => e.name !== "XmppIoError").map((e) => e.message),
      [],
    );
  });
});
