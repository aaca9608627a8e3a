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
