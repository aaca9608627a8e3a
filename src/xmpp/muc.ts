// XEP-0045 multi-user chat as an occupant: join rooms, talk, hear occupants with their real
// JIDs when the room shows them to us, and the owner's configure/destroy (§10). Works for
// clients and components alike (a component joins with presence to room/nick like anyone).
import { type Clock, type TimerHandle, systemClock } from "../clock/clock.js";
import { buildSubmitForm, parseForm, type FormValue, type ReceivedForm } from "./data-form.js";
import { createDisco } from "./disco.js";
import { TypedEmitter, type Unsubscribe } from "./emitter.js";
import { parseStanzaError, type XmppFailure, type XmppResult } from "./errors.js";
import { bareJid, jidResource, normaliseJid } from "./jid.js";
import { NS_DATA_FORMS, NS_MUC, NS_MUC_ADMIN, NS_MUC_OWNER, NS_MUC_ROOMCONFIG, NS_MUC_USER } from "./namespaces.js";
import { coreOf, type XmppSession } from "./session.js";
import { delayedBy, sentAtOf } from "./delay.js";
import { attr, type XmlElement } from "./xml.js";

/** Whether the room shows occupants' real JIDs to everyone (§7.2.3 status 100, disco feature muc_nonanonymous). */
export type RoomAnonymity = "non-anonymous" | "semi-anonymous";

/** Someone in a room; `realJid` is null when the room hides it from us. */
export interface Occupant {
  readonly nick: string;
  readonly realJid: string | null;
  readonly role: string;
  readonly affiliation: string;
}

/** A room we are in. */
export interface JoinedRoom {
  /** Bare room JID, lower-cased. */
  readonly room: string;
  /** Our nick, as the room granted it (§7.2.9: it may rewrite it). */
  readonly nick: string;
  readonly anonymity: RoomAnonymity;
  /** True when our join created the room (status 201); it stays locked until configured. */
  readonly created: boolean;
}

/** A groupchat line with a body. Messages we said ourselves come back too, with `fromSelf`. */
export interface GroupchatMessage {
  readonly room: string;
  readonly nick: string;
  /** The speaker's full real JID, or null when the room hides it from us (act on nothing then). */
  readonly realJid: string | null;
  readonly body: string;
  readonly fromSelf: boolean;
  /** A line of the room's history it replays (delayed by the room itself): old words, not commands for now. */
  readonly history: boolean;
  /**
   * When it was typed, in ms, when its sender's client (or server) delayed it (XEP-0203: typed
   * offline, sent on reconnection): a live line, late.
   */
  readonly sentAt?: number;
}

/** We are out of a room: because we left, or why the room put us out (§9.7, §9.8, §10.9). */
export interface RoomExit {
  readonly room: string;
  readonly reason: "left" | "kicked" | "banned" | "removed" | "destroyed" | "shutdown" | "error";
  readonly text?: string;
}

/** A room affiliation (§5.2). */
export type RoomAffiliation = "owner" | "admin" | "member" | "outcast" | "none";

/** One change of the affiliation list: `jid` (bare) gets `affiliation`. */
export interface AffiliationChange {
  readonly jid: string;
  readonly affiliation: RoomAffiliation;
}

/** Why a room needs a fresh look: we are back in it after a reconnection, or its configuration changed. */
export interface RoomChange {
  readonly room: string;
  readonly reason: "rejoined" | "configured";
}

/** How to join. */
export interface JoinOptions {
  readonly password?: string;
  /** History lines to replay on join; default 0, so old commands are never taken for new ones. */
  readonly history?: number;
  /** How long to wait for the room's answer; default 15 s. */
  readonly timeoutMs?: number;
  /**
   * Configuration to submit when our join creates the room (§10.1.3); without it a new room stays
   * locked (§10.1.1) and nobody else can enter. Also applied when a rejoin finds the room gone.
   */
  readonly createConfig?: ReadonlyMap<string, FormValue>;
}

/** MUC on one session. Rooms are joined again by themselves after a reconnection that lost the session. */
export interface Muc {
  /** §7.2: joins `room` as `nick`; resolves when we are in (self-presence), or with the room's refusal. */
  join(room: string, nick: string, options?: JoinOptions): Promise<XmppResult<JoinedRoom>>;
  /** §7.14: leaves; `onExit` then reports reason "left". */
  leave(room: string, status?: string): Promise<void>;
  /** §7.4: says `body` to everyone in the room. */
  sendGroupchat(room: string, body: string): Promise<void>;
  /** The room as we are in it, with its occupants, or undefined when we are not in it. */
  room(room: string): (JoinedRoom & { readonly occupants: readonly Occupant[] }) | undefined;
  onGroupchat(handler: (message: GroupchatMessage) => void | Promise<void>): Unsubscribe;
  onExit(handler: (exit: RoomExit) => void): Unsubscribe;
  /**
   * We are in a room again after a reconnection put us out (the join was not ours to await), or
   * its configuration changed while we were in it (§10.2.1 status 104, 172-174): check it again.
   */
  onRoomChanged(handler: (change: RoomChange) => void | Promise<void>): Unsubscribe;
  /** XEP-0030 features of the room (`muc_membersonly`, `muc_nonanonymous`, `muc_hidden`…). */
  roomFeatures(room: string): Promise<XmppResult<{ features: readonly string[] }>>;
  /** §9.5, §10.5: the bare JIDs holding `affiliation` in the room (admins and owners may ask). */
  affiliations(room: string, affiliation: RoomAffiliation): Promise<XmppResult<{ jids: readonly string[] }>>;
  /** §9.3, §9.4, §10.6: changes affiliations in turn; stops at the first refusal. */
  setAffiliations(room: string, changes: readonly AffiliationChange[]): Promise<XmppResult>;
  /** §10.2: the room's configuration form (owners only). */
  roomConfig(room: string): Promise<XmppResult<{ form: ReceivedForm }>>;
  /** §10.2: submits configuration fields, e.g. `muc#roomconfig_whois` = "anyone"; also unlocks a new room. */
  configure(room: string, fields: ReadonlyMap<string, FormValue>): Promise<XmppResult>;
  /** §10.9: destroys the room (owners only). */
  destroy(room: string, reason?: string): Promise<XmppResult>;
}

interface RoomState {
  room: string;
  nick: string;
  anonymity: RoomAnonymity;
  created: boolean;
  joined: boolean;
  options: JoinOptions;
  occupants: Map<string, Occupant>;
  pending?: { resolve: (r: XmppResult<JoinedRoom>) => void; timer: TimerHandle };
}

const EXIT_CODES: ReadonlyArray<[string, RoomExit["reason"]]> = [
  ["301", "banned"],
  ["307", "kicked"],
  ["321", "removed"],
  ["322", "removed"],
  ["332", "shutdown"],
];

/** MUC over `session`; `clock` times out joins that get no answer. */
export function createMuc(session: XmppSession, options: { readonly clock?: Clock } = {}): Muc {
  const core = coreOf(session);
  const { xml } = core;
  const clock = options.clock ?? systemClock;
  const rooms = new Map<string, RoomState>();
  const events = new TypedEmitter<{ message: GroupchatMessage; exit: RoomExit; changed: RoomChange }>((err) =>
    core.report(err instanceof Error ? err : new Error(String(err))),
  );
  const key = (room: string): string => normaliseJid(bareJid(room));

  const sendJoin = (s: RoomState): Promise<void> =>
    core.send(
      xml(
        "presence",
        { to: `${s.room}/${s.nick}` },
        xml(
          "x",
          { xmlns: NS_MUC },
          xml("history", { maxstanzas: String(s.options.history ?? 0) }),
          s.options.password && xml("password", {}, s.options.password),
        ),
      ),
    );

  const settle = (s: RoomState, result: XmppResult<JoinedRoom>): void => {
    s.pending?.timer.cancel();
    s.pending?.resolve(result);
    delete s.pending;
  };
  const exit = (s: RoomState, reason: RoomExit["reason"], text?: string): void => {
    rooms.delete(s.room);
    if (s.pending)
      settle(s, { ok: false, condition: "undefined-condition", text: text ?? `put out of the room (${reason})` });
    else events.emit("exit", { room: s.room, reason, ...(text ? { text } : {}) });
  };

  const adminIq = (room: string, type: "get" | "set", what: string, ...children: XmlElement[]) =>
    core.request(
      xml("iq", { type, to: key(room) }, xml("query", { xmlns: NS_MUC_ADMIN }, ...children)),
      `${what} of ${room}`,
    );
  const ownerIq = (room: string, type: "get" | "set", what: string, ...children: XmlElement[]) =>
    core.request(
      xml("iq", { type, to: key(room) }, xml("query", { xmlns: NS_MUC_OWNER }, ...children)),
      `${what} of ${room}`,
    );
  const configure = async (room: string, fields: ReadonlyMap<string, FormValue>): Promise<XmppResult> => {
    const reply = await ownerIq(room, "set", "room configuration", buildSubmitForm(xml, NS_MUC_ROOMCONFIG, fields));
    return reply.ok ? { ok: true } : reply;
  };

  const selfPresent = async (s: RoomState, codes: Set<string>): Promise<void> => {
    s.joined = true;
    s.created = s.created || codes.has("201");
    const config = codes.has("201") ? s.options.createConfig : undefined;
    const configured =
      config === undefined
        ? null
        : await configure(s.room, config).catch((err: unknown) => ({ ok: false, condition: String(err) }));
    if (configured?.ok === false)
      core.report(new Error(`configuring the new room ${s.room} failed: ${configured.condition}`));
    // Status 100 comes only on a first join (and predates a configuration): else ask disco#info.
    if (codes.has("100") && configured === null) s.anonymity = "non-anonymous";
    else {
      const info = await createDisco(session)
        .discoInfo(s.room)
        .catch(() => null);
      s.anonymity = info?.ok && info.features.includes("muc_nonanonymous") ? "non-anonymous" : "semi-anonymous";
    }
    if (s.pending) settle(s, { ok: true, room: s.room, nick: s.nick, anonymity: s.anonymity, created: s.created });
    else events.emit("changed", { room: s.room, reason: "rejoined" });
  };

  core.onStanza("presence", "muc presence", (stanza) => {
    const from = attr(stanza, "from") ?? "";
    const s = rooms.get(key(from));
    const nick = jidResource(from);
    if (s === undefined || nick === "") return;
    if (stanza.attrs.type === "error") {
      const failure = parseStanzaError(stanza);
      if (s.pending) {
        rooms.delete(s.room);
        return settle(s, failure);
      }
      return exit(s, "error", failure.text ?? failure.condition);
    }
    const x = stanza.getChild("x", NS_MUC_USER);
    const codes = new Set((x?.getChildren("status") ?? []).map((c) => c.attrs.code ?? ""));
    const item = x?.getChild("item");
    const isSelf = codes.has("110") || nick === s.nick;
    if (stanza.attrs.type === "unavailable") {
      s.occupants.delete(nick);
      if (!isSelf) return;
      if (codes.has("303") && item?.attrs.nick) {
        s.nick = item.attrs.nick; // §7.6: the presence of our new nick follows
        return;
      }
      const destroyed = x?.getChild("destroy");
      const reason = destroyed ? "destroyed" : (EXIT_CODES.find(([c]) => codes.has(c))?.[1] ?? "left");
      return exit(s, reason, destroyed?.getChildText("reason") ?? item?.getChildText("reason") ?? undefined);
    }
    if (stanza.attrs.type !== undefined) return;
    s.occupants.set(nick, {
      nick,
      realJid: (item && attr(item, "jid")) ?? null,
      role: item?.attrs.role ?? "none",
      affiliation: item?.attrs.affiliation ?? "none",
    });
    if (!isSelf) return;
    s.nick = nick;
    if (!s.joined) return selfPresent(s, codes);
  });

  core.onStanza("message", "muc groupchat", (stanza) => {
    if (stanza.attrs.type !== "groupchat") return;
    const from = attr(stanza, "from") ?? "";
    const s = rooms.get(key(from));
    if (s === undefined || !s.joined) return;
    // §10.2.1: status 172/173/174 announce a change of who may see real JIDs.
    const codes = (stanza.getChild("x", NS_MUC_USER)?.getChildren("status") ?? []).map((c) => c.attrs.code);
    if (codes.includes("172")) s.anonymity = "non-anonymous";
    if (codes.includes("173") || codes.includes("174")) s.anonymity = "semi-anonymous";
    if (["104", "172", "173", "174"].some((c) => codes.includes(c)))
      events.emit("changed", { room: s.room, reason: "configured" });
    const body = stanza.getChildText("body");
    const nick = jidResource(from);
    if (body === null || body === "" || nick === "") return;
    // The room's history is old words whenever they were typed; a live line may say it is late.
    const history = delayedBy(stanza, s.room);
    const sentAt = history ? undefined : sentAtOf(stanza);
    events.emit("message", {
      room: s.room,
      nick,
      realJid: s.occupants.get(nick)?.realJid ?? null,
      body,
      fromSelf: nick === s.nick,
      history,
      ...(sentAt === undefined ? {} : { sentAt }),
    });
  });

  // A fresh session left every room (a resumed one is still in them): go back in.
  session.on("online", ({ resumed }) => {
    if (resumed) return;
    for (const s of rooms.values()) {
      if (s.pending) continue;
      s.joined = false;
      s.occupants.clear();
      sendJoin(s).catch((err: unknown) => core.report(err instanceof Error ? err : new Error(String(err))));
    }
  });

  return {
    join(room, nick, joinOptions = {}) {
      const k = key(room);
      if (rooms.has(k))
        return Promise.resolve<XmppFailure>({
          ok: false,
          condition: "conflict",
          text: `already in ${k} or joining it`,
        });
      const s: RoomState = {
        room: k,
        nick,
        anonymity: "semi-anonymous",
        created: false,
        joined: false,
        options: joinOptions,
        occupants: new Map(),
      };
      rooms.set(k, s);
      return new Promise((resolve) => {
        const timer = clock.setTimer(joinOptions.timeoutMs ?? 15_000, () => {
          rooms.delete(k);
          settle(s, { ok: false, condition: "remote-server-timeout", text: `no answer from ${k}` });
        });
        s.pending = { resolve, timer };
        sendJoin(s).catch((err: unknown) => {
          rooms.delete(k);
          settle(s, {
            ok: false,
            condition: "remote-server-not-found",
            text: `could not send the join: ${String(err)}`,
          });
        });
      });
    },
    async leave(room, status) {
      const s = rooms.get(key(room));
      if (s === undefined) return;
      await core.send(
        xml("presence", { to: `${s.room}/${s.nick}`, type: "unavailable" }, status && xml("status", {}, status)),
      );
    },
    async sendGroupchat(room, body) {
      await core.send(xml("message", { to: key(room), type: "groupchat" }, xml("body", {}, body)));
    },
    room(room) {
      const s = rooms.get(key(room));
      if (s === undefined || !s.joined) return undefined;
      return {
        room: s.room,
        nick: s.nick,
        anonymity: s.anonymity,
        created: s.created,
        occupants: [...s.occupants.values()],
      };
    },
    onGroupchat: (handler) => events.on("message", (m) => core.guard("groupchat", handler, m)),
    onExit: (handler) => events.on("exit", handler),
    onRoomChanged: (handler) => events.on("changed", (change) => core.guard("room change", handler, change)),
    async roomFeatures(room) {
      const info = await createDisco(session).discoInfo(key(room));
      return info.ok ? { ok: true, features: info.features } : info;
    },
    async affiliations(room, affiliation) {
      const reply = await adminIq(room, "get", `${affiliation} list`, xml("item", { affiliation }));
      if (!reply.ok) return reply;
      const items = reply.stanza.getChild("query", NS_MUC_ADMIN)?.getChildren("item") ?? [];
      return {
        ok: true,
        jids: items
          .map((i) => attr(i, "jid"))
          .filter((j): j is string => !!j)
          .map((j) => normaliseJid(bareJid(j))),
      };
    },
    async setAffiliations(room, changes) {
      // One item per request: Prosody 0.12 acts on the first item of an admin query only.
      for (const c of changes) {
        const reply = await adminIq(
          room,
          "set",
          "affiliation change",
          xml("item", { jid: c.jid, affiliation: c.affiliation }),
        );
        if (!reply.ok) return reply;
      }
      return { ok: true };
    },
    async roomConfig(room) {
      const reply = await ownerIq(room, "get", "room configuration");
      if (!reply.ok) return reply;
      const x = reply.stanza.getChild("query", NS_MUC_OWNER)?.getChild("x", NS_DATA_FORMS);
      return x
        ? { ok: true, form: parseForm(x) }
        : { ok: false, condition: "undefined-condition", text: "no configuration form in the reply" };
    },
    configure,
    async destroy(room, reason) {
      const reply = await ownerIq(
        room,
        "set",
        "room destruction",
        xml("destroy", {}, reason && xml("reason", {}, reason)),
      );
      return reply.ok ? { ok: true } : reply;
    },
  };
}
