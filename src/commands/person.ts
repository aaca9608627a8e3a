declare const recognised: unique symbol;

/**
 * A configured person, as the only kind of sender commands accept. The brand can only come
 * from {@link recognisePerson}, so a stranger's JID cannot reach a handler by mistake.
 */
export type Person = { readonly name: string; readonly jid: string } & { readonly [recognised]: true };

/** Finds the configured person a stanza came from (full or bare JID, any case), or null for a stranger. */
export function recognisePerson(people: readonly { name: string; jid: string }[], fromJid: string): Person | null {
  const bare = (fromJid.split("/")[0] ?? "").toLowerCase();
  const found = people.find((p) => p.jid.toLowerCase() === bare);
  // The single place the brand is granted.
  return found === undefined ? null : ({ name: found.name, jid: found.jid } as Person);
}

/** The reply to a stranger: polite, and nothing changes. */
export const STRANGER_REFUSAL = "Sorry, I only take commands from the people in my configuration.";

/**
 * The reply to a command said in a room where the bot cannot see who said it: a nick alone
 * proves nothing (anyone may take any free nick), so the command is refused, saying why.
 */
export const ANONYMOUS_ROOM_REFUSAL =
  "Sorry, I can't see your real address in this room, so I can't tell who you are and won't act on commands here. " +
  "A room owner can make the room non-anonymous (real JIDs visible to anyone), or message me directly.";

/**
 * The reply to a command said in a workgroup room the bot could not secure (members-only,
 * non-anonymous, hidden): anyone on the server might be listening, so it acts on nothing there.
 */
export const UNSECURED_ROOM_REFUSAL =
  "Sorry, I can't keep this room to the workgroup (members-only, real JIDs visible, not listed), so I post nothing here " +
  "and won't act on commands. Make me an owner of the room, or message me directly.";
