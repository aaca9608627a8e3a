import { createHash, randomBytes } from "node:crypto";

/** Why a sign-in link was refused (worded for the page by the caller). */
export type LinkRefusal = "unknown" | "expired" | "used";

interface IssuedLink {
  readonly person: string;
  readonly expiresAt: number;
  used: boolean;
}

/** A token's digest: the map keeps no token a memory dump could replay. */
export function digest(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

/** A fresh unguessable token (256 bits, URL-safe). */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * One-time sign-in links, as the `web` chat command hands them out: bound to the person who asked,
 * good for `ttlMs`, and good once. A used link is remembered until it would have expired, so a
 * replay is told apart from a typo. Kept in memory: a restart voids the links not yet used.
 */
export class SignInLinks {
  private readonly links = new Map<string, IssuedLink>();

  constructor(private readonly ttlMs: () => number) {}

  /** A new token for `person`, usable until `now + ttl`. */
  issue(person: string, now: number): { token: string; expiresAt: number } {
    this.prune(now);
    const token = newToken();
    const expiresAt = now + this.ttlMs();
    this.links.set(digest(token), { person, expiresAt, used: false });
    return { token, expiresAt };
  }

  /** Whom the token was issued to, without using it (for the confirmation page), or why not. */
  peek(token: string, now: number): { ok: true; person: string } | { ok: false; reason: LinkRefusal } {
    const link = this.links.get(digest(token));
    if (link === undefined) return { ok: false, reason: "unknown" };
    if (link.used) return { ok: false, reason: "used" };
    if (now >= link.expiresAt) return { ok: false, reason: "expired" };
    return { ok: true, person: link.person };
  }

  /** Uses the token: its person the first time within its life, a refusal ever after. */
  redeem(token: string, now: number): { ok: true; person: string } | { ok: false; reason: LinkRefusal } {
    const seen = this.peek(token, now);
    if (seen.ok) this.links.get(digest(token))!.used = true;
    return seen;
  }

  /** Voids every link of people no longer allowed in. */
  keepOnly(allowed: (person: string) => boolean): void {
    for (const [key, link] of this.links) if (!allowed(link.person)) this.links.delete(key);
  }

  private prune(now: number): void {
    for (const [key, link] of this.links) if (now >= link.expiresAt) this.links.delete(key);
  }
}
