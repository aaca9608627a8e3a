// JID helpers on plain strings (RFC 7622 shape: [local@]domain[/resource]).
// Comparison lower-cases local part and domain, a close approximation of the
// PRECIS profiles for the ASCII names we use; resources compare exactly.

/** A JID split into its parts; `local` and `resource` are "" when absent. */
export interface JidParts {
  readonly local: string;
  readonly domain: string;
  readonly resource: string;
}

const MAX_PART = 1023;

/** Splits a JID, or returns undefined if it is not one (empty domain, oversize or empty parts). */
export function parseJid(jid: string): JidParts | undefined {
  const slash = jid.indexOf("/");
  const resource = slash >= 0 ? jid.slice(slash + 1) : "";
  const bare = slash >= 0 ? jid.slice(0, slash) : jid;
  const at = bare.indexOf("@");
  const local = at >= 0 ? bare.slice(0, at) : "";
  const domain = at >= 0 ? bare.slice(at + 1) : bare;
  if (domain === "" || domain.includes("@") || /\s/.test(domain)) return undefined;
  if (at >= 0 && local === "") return undefined;
  if (slash >= 0 && resource === "") return undefined;
  if (local.length > MAX_PART || domain.length > MAX_PART || resource.length > MAX_PART) return undefined;
  return { local, domain, resource };
}

/** The bare JID (`local@domain`, or `domain`) of a JID; the input itself if it does not parse. */
export function bareJid(jid: string): string {
  const p = parseJid(jid);
  if (!p) return jid;
  return p.local ? `${p.local}@${p.domain}` : p.domain;
}

/** The domain part of a JID ("" if it does not parse). */
export function jidDomain(jid: string): string {
  return parseJid(jid)?.domain ?? "";
}

/** The local part of a JID ("" when absent). */
export function jidLocal(jid: string): string {
  return parseJid(jid)?.local ?? "";
}

/** The resource part of a JID ("" when absent). */
export function jidResource(jid: string): string {
  return parseJid(jid)?.resource ?? "";
}

/** Whether a JID carries a resource. */
export function isFullJid(jid: string): boolean {
  return jidResource(jid) !== "";
}

/** A JID in canonical form: local and domain lower-cased, resource kept as is. */
export function normaliseJid(jid: string): string {
  const p = parseJid(jid);
  if (!p) return jid;
  const bare = p.local ? `${p.local.toLowerCase()}@${p.domain.toLowerCase()}` : p.domain.toLowerCase();
  return p.resource ? `${bare}/${p.resource}` : bare;
}

/** Whether two JIDs name the same entity; with `{ bare: true }` resources are ignored. */
export function jidEquals(a: string, b: string, options: { bare?: boolean } = {}): boolean {
  if (options.bare) return normaliseJid(bareJid(a)) === normaliseJid(bareJid(b));
  return normaliseJid(a) === normaliseJid(b);
}
