// Whose presence AlertBot received, from the stanzas as a server sends them: a room's occupants
// (people and AlertBot itself) are neither agents to probe nor people reachable by chat.
import assert from "node:assert/strict";
import { presenceOrigin } from "../../src/bot/presence-origin.js";
import { clientXml as xml } from "../../src/xmpp/connect.js";
import { NS_MUC_USER } from "../../src/xmpp/namespaces.js";
import { readPresence, type PresenceUpdate } from "../../src/xmpp/presence.js";

const ROOM = "ops@conference.example.org";
const BOT = "alertbot.example.org";
const deps = {
  isPerson: (jid: string) => jid.split("/")[0] === "alice@example.org",
  isRoom: (jid: string) => jid.split("/")[0] === ROOM,
};

/** XEP-0045 §7.2.3: an occupant's presence as the room relays it, with the real JID in a non-anonymous room. */
const occupant = (from: string, realJid: string, type?: string, codes: string[] = []) =>
  xml(
    "presence",
    { from, to: BOT, type },
    xml(
      "x",
      { xmlns: NS_MUC_USER },
      xml("item", { affiliation: "member", role: "participant", jid: realJid }),
      ...codes.map((code) => xml("status", { code })),
    ),
  );

const read = (stanza: ReturnType<typeof xml>): PresenceUpdate => {
  const p = readPresence(stanza);
  assert.ok(p, stanza.toString());
  return p;
};

describe("presence origin", () => {
  it("marks presence a room relays, and only that", () => {
    assert.equal(read(occupant(`${ROOM}/alice`, "alice@example.org/phone")).muc, true);
    assert.deepEqual(read(xml("presence", { from: "web1@example.org/agent", to: BOT }, xml("status", {}, "ok"))), {
      from: "web1@example.org/agent",
      to: BOT,
      type: "available",
      status: "ok",
    });
  });

  it("takes a person's presence in a room as the room's: not their reachability", () => {
    for (const type of [undefined, "unavailable"])
      assert.equal(presenceOrigin(read(occupant(`${ROOM}/alice`, "alice@example.org/phone", type)), deps), "room");
  });

  it("takes a room's presence as the room's even before AlertBot is in it, its own included", () => {
    const notInAnyRoom = { ...deps, isRoom: () => false };
    // Occupants' presence comes before AlertBot's own (§7.2.3), while the join is under way.
    assert.equal(
      presenceOrigin(read(occupant("new@conference.example.org/bob", "bob@example.org/pc")), notInAnyRoom),
      "room",
    );
    assert.equal(presenceOrigin(read(occupant(`${ROOM}/AlertBot`, BOT, undefined, ["110"])), notInAnyRoom), "room");
  });

  it("takes presence from a room AlertBot is in as the room's, with the room's payload or without", () => {
    assert.equal(presenceOrigin(read(xml("presence", { from: `${ROOM}/carol`, to: BOT })), deps), "room");
    assert.equal(presenceOrigin(read(xml("presence", { from: ROOM, to: BOT })), deps), "room");
  });

  it("keeps a person's own presence theirs and any other account's a possible agent's", () => {
    assert.equal(presenceOrigin(read(xml("presence", { from: "alice@example.org/phone", to: BOT })), deps), "person");
    assert.equal(presenceOrigin(read(xml("presence", { from: "web1@example.org/agent", to: BOT })), deps), "account");
    assert.equal(
      presenceOrigin(read(xml("presence", { from: "web1@example.org/agent", to: BOT, type: "unavailable" })), deps),
      "account",
    );
  });

  it("reads no availability from subscriptions, probes or errors", () => {
    for (const type of ["subscribe", "probe", "error"])
      assert.equal(readPresence(xml("presence", { from: "alice@example.org", to: BOT, type })), undefined);
  });
});
