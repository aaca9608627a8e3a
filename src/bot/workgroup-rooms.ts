import type { Clock } from "../clock/clock.js";
import { ANONYMOUS_ROOM_REFUSAL, UNSECURED_ROOM_REFUSAL } from "../commands/authorise.js";
import { roomCommand } from "../commands/registry.js";
import type { CommandEffect } from "../commands/types.js";
import type { Logger } from "../log.js";
import { bareJid, jidResource } from "../xmpp/jid.js";
import type { AffiliationChange, Muc, RoomExit } from "../xmpp/muc.js";
import type { Person, Workgroup } from "../policy/types.js";
import type { CommandRunner } from "./command-runner.js";
import { BackoffTimers, type BackoffOptions } from "../util/backoff.js";
import { formatDuration } from "../util/duration.js";

/** The nick AlertBot uses in rooms. */
export const BOT_NICK = "AlertBot";

// XEP-0045 §10.2: a workgroup room is for the workgroup alone. Members-only keeps strangers out,
// non-anonymous lets commands be trusted, hidden keeps it off the service's room list, and members
// may not invite others in.
const SECURE_CONFIG = new Map<string, string | boolean>([
  ["muc#roomconfig_membersonly", true],
  ["muc#roomconfig_whois", "anyone"],
  ["muc#roomconfig_publicroom", false],
  ["muc#roomconfig_allowinvites", false],
  ["muc#roomconfig_persistentroom", true],
]);
/**
 * A room that could not be joined or secured, or that put AlertBot out, is tried again: from a few
 * seconds on (an owner just made AlertBot one, a service came back), doubling to fifteen minutes
 * while it stays so. A ban is tried on the same terms: an admin may lift it, and a refused join
 * every fifteen minutes costs the service nothing.
 */
export const ROOM_RETRY_BACKOFF: BackoffOptions = { initialDelayMs: 5_000, maxDelayMs: 900_000 };
/**
 * How long AlertBot must stay in a room, secured, before its back-off there starts again from the
 * first delay. Reset at every return, a moderator who kicked it again as soon as it was back saw it
 * back every 5 s for as long as they kept at it; now each return comes later, up to the longest delay.
 */
export const ROOM_STAY_RESETS_BACKOFF_MS = 10 * 60_000;

// What disco#info must show once configured (XEP-0045 §15.6 features).
const SECURE_FEATURES = ["muc_membersonly", "muc_nonanonymous", "muc_hidden"];

interface RoomState {
  readonly room: string;
  /** Bare JIDs of the workgroup's people: the room's member list. */
  members: readonly string[];
  secured: boolean;
  /** Whether the refusal to work in the room while it is not secure was said already. */
  refusalSaid: boolean;
  /** The current securing run; a new one waits for it. */
  work: Promise<void>;
  /**
   * Why the room put AlertBot out, until it is back in and secured: said once as an error, so the
   * tries meanwhile (every fifteen minutes for as long as a ban lasts) are only warnings.
   */
  out?: RoomExit | undefined;
  /** When AlertBot was last secured in the room (see ROOM_STAY_RESETS_BACKOFF_MS), until it is put out or fails. */
  securedAt?: number | undefined;
  /**
   * The lines the room did not get while AlertBot could not post there (put out, not secure, its
   * link down), and since when: told in one line once it is back. Dropped without a word, a room's
   * people read its quiet as nothing having happened.
   */
  missed?: { lines: number; since: number } | undefined;
}

/** Why a room put AlertBot out, in the words its people read. */
const EXIT_WORDS: Readonly<Record<RoomExit["reason"], string>> = {
  kicked: "kicked",
  banned: "banned",
  removed: "taken off its members",
  destroyed: "the room was destroyed",
  shutdown: "the service shut down",
  error: "an error",
  left: "put out",
};

/** What a room that missed lines hears once AlertBot posts there again. */
export function missedLinesNotice(
  missed: { lines: number; since: number },
  outBecause: RoomExit["reason"] | undefined,
  now: number,
): string {
  const away = formatDuration(now - missed.since);
  const where =
    outBecause === undefined
      ? `I could not post in this room for ${away}`
      : `I was out of this room for ${away} (${EXIT_WORDS[outBecause]})`;
  const lines = missed.lines === 1 ? "1 notice was" : `${missed.lines} notices were`;
  return `${where}: ${lines} not posted here meanwhile; their people were told directly. Say "${BOT_NICK}: show" for what is raised now.`;
}

/** Bare JIDs of everyone a workgroup names: members, rotation shifts and overrides. */
export function workgroupJids(w: Workgroup, people: readonly Person[]): string[] {
  const names = new Set([
    ...w.members,
    ...(w.rotation?.shifts.flatMap((s) => s.people) ?? []),
    ...w.overrides.map((o) => o.person),
  ]);
  return people
    .filter((p) => names.has(p.name))
    .map((p) => p.jid.toLowerCase())
    .sort();
}

/**
 * Workgroup rooms (XEP-0045): the bot joins each workgroup's room, makes it members-only with the
 * workgroup's people as its members (kept in step on reload), non-anonymous and hidden, and only
 * then posts that workgroup's alerts there. Commands count only when addressed to the bot and said
 * by a configured person's real JID. A room it cannot join or secure (it is not the owner), or that
 * put it out (kicked, banned, destroyed…), gets nothing, and is tried again with a back-off until it
 * is secured.
 */
export class WorkgroupRooms {
  private readonly roomOf = new Map<string, string>();
  private readonly rooms = new Map<string, RoomState>();
  private readonly retries: BackoffTimers<string>;
  private readonly clock: Clock;
  private stopped = false;

  constructor(
    private readonly muc: Muc,
    private readonly commands: CommandRunner,
    private readonly log: Logger,
    /** Acts on what a command declared it changed, as after chat. */
    private readonly applyEffects: (effects: readonly CommandEffect[]) => Promise<void>,
    retry: { clock: Clock; backoff?: BackoffOptions; random?: () => number },
  ) {
    this.clock = retry.clock;
    this.retries = new BackoffTimers(retry.clock, retry.backoff ?? ROOM_RETRY_BACKOFF, retry.random);
    muc.onGroupchat(async (m) => {
      if (m.fromSelf || m.history) return;
      const line = roomCommand(m.body, BOT_NICK);
      if (line === null) return;
      const state = this.rooms.get(m.room);
      if (!state?.secured) {
        // Anyone may be in such a room: say why once, so that nobody can make the bot flood it.
        log.warn("command in a workgroup room that is not secure, refused", { room: m.room, nick: m.nick });
        if (state === undefined || state.refusalSaid) return;
        state.refusalSaid = true;
        return this.say(m.room, `${m.nick}: ${UNSECURED_ROOM_REFUSAL}`);
      }
      if (m.realJid === null) return this.say(m.room, `${m.nick}: ${ANONYMOUS_ROOM_REFUSAL}`);
      // Typed offline and sent late by the person's client: a change is not run late (as in chat).
      const { reply, outcome } = await this.commands.run(
        m.realJid,
        line,
        (text) => this.say(m.room, `${m.nick}: ${text}`),
        { sentAt: m.sentAt },
      );
      if (reply) await this.say(m.room, `${m.nick}: ${reply}`);
      if (outcome?.ok) await this.applyEffects(outcome.effects);
    });
    muc.onExit((exit) => {
      const s = this.rooms.get(exit.room);
      // A room AlertBot left of its own accord is no longer in `rooms` (join() forgets it before
      // leaving), and stopping leaves none: anything else put it out, "left" too (a status code
      // the service sent that muc.ts does not name), and the workgroup would hear nothing there.
      if (s === undefined || this.stopped) {
        log.info("left a workgroup room", { room: exit.room, reason: exit.reason });
        return;
      }
      s.secured = false;
      if (s.out === undefined)
        log.error("put out of a workgroup room: posting nothing there until back in", {
          room: exit.room,
          reason: exit.reason,
          text: exit.text,
        });
      s.out = exit;
      this.retryLater(s.room);
    });
    // Back in after a reconnection (the room may have been made anew): secure it again. Someone
    // changed its configuration: secure it again if it is no longer secure (our own configuring
    // announces a change too, so securing on every announcement would never end).
    muc.onRoomChanged(async (change) => {
      const s = this.rooms.get(change.room);
      if (s === undefined) return;
      if (change.reason === "rejoined" || (await this.missingFeatures(s.room)).length > 0) {
        s.secured = false; // nothing is posted there until it is secure again
        await this.secure(s);
      }
    });
  }

  /**
   * Joins and secures the room of every workgroup that has one, and brings the member lists of
   * rooms already joined in step with `people`; leaves rooms no workgroup names any more.
   */
  async join(workgroups: readonly Workgroup[], people: readonly Person[]): Promise<void> {
    const wanted = new Map<string, string[]>();
    for (const w of workgroups) {
      if (!w.room) continue;
      const room = w.room.toLowerCase();
      wanted.set(room, [...new Set([...(wanted.get(room) ?? []), ...workgroupJids(w, people)])].sort());
    }
    this.roomOf.clear();
    for (const w of workgroups) if (w.room) this.roomOf.set(w.name, w.room.toLowerCase());
    for (const room of [...this.rooms.keys()]) {
      if (wanted.has(room)) continue;
      this.rooms.delete(room);
      this.retries.cancel(room);
      await this.muc
        .leave(room, "no workgroup uses this room any more")
        .catch((err: unknown) => this.log.warn("cannot leave room", { room, err }));
    }
    for (const [room, members] of wanted) {
      let s = this.rooms.get(room);
      if (s === undefined) {
        s = { room, members, secured: false, refusalSaid: false, work: Promise.resolve() };
        this.rooms.set(room, s);
      } else s.members = members;
      await this.joinAndSecure(s);
    }
  }

  /** Cancels the retries waiting (the bot is stopping). */
  stop(): void {
    this.stopped = true;
    this.retries.stop();
  }

  private async joinAndSecure(s: RoomState): Promise<void> {
    if (this.muc.room(s.room) === undefined) {
      const joined = await this.muc
        .join(s.room, BOT_NICK, { createConfig: SECURE_CONFIG })
        .catch((err: unknown) => ({ ok: false as const, condition: "error", text: String(err) }));
      if (!joined.ok) {
        const fields = { room: s.room, condition: joined.condition, text: joined.text };
        if (s.out === undefined) this.log.error("cannot join workgroup room", fields);
        else this.log.warn("cannot join workgroup room yet", { ...fields, outBecause: s.out.reason });
        return this.retryLater(s.room);
      }
    }
    await this.secure(s);
  }

  /** Tries `room` again after its next back-off delay, unless a try is waiting already. */
  private retryLater(room: string): void {
    if (this.stopped) return;
    const state = this.rooms.get(room);
    if (state?.securedAt !== undefined) {
      if (this.clock.now() - state.securedAt >= ROOM_STAY_RESETS_BACKOFF_MS) this.retries.succeeded(room);
      state.securedAt = undefined;
    }
    const next = this.retries.schedule(room, () => {
      const s = this.rooms.get(room);
      // No workgroup uses it any more, or it was secured meanwhile (a rejoin): nothing to try.
      if (s === undefined || (s.secured && this.muc.room(room) !== undefined)) return;
      this.joinAndSecure(s).catch((err: unknown) => this.log.error("cannot secure workgroup room", { room, err }));
    });
    if (next) this.log.info("workgroup room: trying again", { room, inMs: next.delayMs, attempt: next.attempt });
  }

  /**
   * Who a private message from `fullJid` (room/nick) is from, when it came through a room the bot
   * is in: the occupant's real JID (`person`) when the room is one it secured (non-anonymous, its
   * own, so the service tells it the truth), `hidden` otherwise, `room` for the room itself.
   * Undefined: not from a room the bot is in.
   */
  occupant(fullJid: string): { kind: "person"; realJid: string } | { kind: "hidden" } | { kind: "room" } | undefined {
    const room = bareJid(fullJid).toLowerCase();
    const joined = this.muc.room(room);
    if (joined === undefined) return undefined;
    const nick = jidResource(fullJid);
    if (nick === "") return { kind: "room" };
    const realJid = this.isSecured(room) ? joined.occupants.find((o) => o.nick === nick)?.realJid : null;
    return realJid ? { kind: "person", realJid } : { kind: "hidden" };
  }

  /** Whether the bot posts in `room` now (it joined it and secured it). */
  isSecured(room: string): boolean {
    return this.rooms.get(room.toLowerCase())?.secured === true;
  }

  /**
   * Posts a line to a workgroup's room, if it has one and the room is secured; otherwise counts it
   * as missed there (see RoomState.missed).
   */
  async post(workgroup: string, line: () => string): Promise<void> {
    const room = this.roomOf.get(workgroup);
    if (room === undefined) return;
    if (!this.isSecured(room) || !this.muc.room(room)) {
      const s = this.rooms.get(room.toLowerCase());
      if (s === undefined) return;
      s.missed ??= { lines: 0, since: this.clock.now() };
      s.missed.lines++;
      return;
    }
    await this.say(room, line());
  }

  private secure(s: RoomState): Promise<void> {
    // A room secure already stays usable while its member list is brought in step (on reload).
    s.work = s.work.then(async () => {
      const why = await this.trySecure(s).catch((err: unknown) => `error: ${String(err)}`);
      s.secured = why === null;
      if (s.secured) s.refusalSaid = false;
      if (why === null) {
        // The back-off starts afresh once AlertBot has stayed (see retryLater), not at each return,
        // nor when a reload secures again a room it came back to.
        if (s.out === undefined && s.securedAt === undefined) this.retries.succeeded(s.room);
        s.securedAt ??= this.clock.now();
        this.log.info("workgroup room secured", { room: s.room, members: s.members });
        if (s.out !== undefined)
          this.log.info("back in a workgroup room: posting there again", { room: s.room, outBecause: s.out.reason });
        const missed = s.missed;
        s.missed = undefined;
        if (missed !== undefined) await this.say(s.room, missedLinesNotice(missed, s.out?.reason, this.clock.now()));
        s.out = undefined;
      } else {
        if (s.out === undefined)
          this.log.error("cannot secure workgroup room: posting nothing there", { room: s.room, why });
        else this.log.warn("cannot secure workgroup room yet", { room: s.room, why, outBecause: s.out.reason });
        if (this.rooms.get(s.room) === s) this.retryLater(s.room);
      }
    });
    return s.work;
  }

  /** Brings the member list and configuration in line; returns why the room is not secure, or null. */
  private async trySecure(s: RoomState): Promise<string | null> {
    // §9.5 says forbidden; Prosody 0.12 answers not-allowed to a member (one an owner demoted).
    const notOwner = (condition: string, text?: string): string =>
      condition === "forbidden" || condition === "not-allowed"
        ? "AlertBot is not an owner of the room: an owner must make it one, or destroy the room so AlertBot creates it"
        : `${condition}${text ? `: ${text}` : ""}`;
    if (this.muc.room(s.room) === undefined) return "AlertBot is not in the room";
    // Members first: making the room members-only puts out every occupant who is not one.
    const held = new Map<string, string>();
    for (const affiliation of ["owner", "admin", "member"] as const) {
      const list = await this.muc.affiliations(s.room, affiliation);
      if (!list.ok) return notOwner(list.condition, list.text);
      for (const jid of list.jids) if (!held.has(jid)) held.set(jid, affiliation);
    }
    const changes: AffiliationChange[] = [
      ...s.members.filter((jid) => !held.has(jid)).map((jid) => ({ jid, affiliation: "member" as const })),
      ...[...held]
        .filter(([jid, a]) => a === "member" && !s.members.includes(jid))
        .map(([jid]) => ({ jid, affiliation: "none" as const })),
    ];
    const changed = await this.muc.setAffiliations(s.room, changes);
    if (!changed.ok) return notOwner(changed.condition, changed.text);
    // Configuring announces a change to everyone in the room (status 104): only when it is needed.
    if ((await this.missingFeatures(s.room)).length > 0) {
      const configured = await this.muc.configure(s.room, SECURE_CONFIG);
      if (!configured.ok) return notOwner(configured.condition, configured.text);
    }
    const missing = await this.missingFeatures(s.room);
    if (missing.length > 0) return `the room still lacks ${missing.join(", ")}`;
    // Put out while this ran: the exit's own retry brings it back, secured then.
    return this.muc.room(s.room) === undefined ? "AlertBot was put out of the room" : null;
  }

  private async missingFeatures(room: string): Promise<string[]> {
    const info = await this.muc.roomFeatures(room);
    return info.ok ? SECURE_FEATURES.filter((f) => !info.features.includes(f)) : [`disco#info (${info.condition})`];
  }

  private async say(room: string, text: string): Promise<void> {
    await this.muc
      .sendGroupchat(room, text)
      .catch((err: unknown) => this.log.warn("cannot post to room", { room, err }));
  }
}
