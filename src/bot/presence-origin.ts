// Whose presence AlertBot received decides what it does with it: a configured person's tells how
// reachable they are by chat, any other account's may be an agent's (asked over disco#info), and a
// room's is neither. Rooms relay every occupant's presence to each occupant (XEP-0045 §7.2.3), ours
// included: each workgroup room AlertBot joins brought one disco#info per occupant to
// room@service/nick, which nobody answered, and an "xmpp" error in the log 15 s later.
import type { PresenceUpdate } from "../xmpp/presence.js";

/** Where a presence comes from, as AlertBot acts on it. */
export type PresenceOrigin = "room" | "person" | "account";

/** What AlertBot knows to tell them apart. */
export interface PresenceOriginDeps {
  /** Whether `jid` (full or bare) is a configured person's. */
  isPerson(jid: string): boolean;
  /** Whether `jid` is a room AlertBot is in, or one of its occupants (room@service/nick). */
  isRoom(jid: string): boolean;
}

/**
 * Room traffic first: an occupant's presence names the room, not the person (a person in a room is
 * not thereby reachable by chat: their own presence, which they approved AlertBot to see, says
 * that), and no room or occupant is an agent. The room's payload is enough on its own: occupants'
 * presence comes before AlertBot's own, while its join is still under way.
 */
export function presenceOrigin(p: PresenceUpdate, deps: PresenceOriginDeps): PresenceOrigin {
  if (p.muc === true || deps.isRoom(p.from)) return "room";
  return deps.isPerson(p.from) ? "person" : "account";
}
