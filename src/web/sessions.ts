import { timingSafeEqual } from "node:crypto";
import { digest, newToken } from "./sign-in.js";
import type { StateSlot } from "../util/state-slot.js";

/** A signed-in browser: whose, until when, and the CSRF token its forms must carry. */
export interface Session {
  readonly person: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly csrf: string;
}

interface Stored extends Session {
  readonly key: string;
}

/**
 * Board sessions. The cookie carries a random id; only its digest is kept (and persisted, so a
 * bot restart does not sign everyone out and the live feed can reconnect). A session ends at its
 * expiry, when its person leaves the config, or on sign-out. There are no passwords anywhere.
 */
export class Sessions {
  private readonly byKey = new Map<string, Stored>();

  constructor(
    private readonly ttlMs: () => number,
    private readonly persistence?: StateSlot,
  ) {
    const saved = persistence?.load();
    if (saved === undefined) return;
    try {
      for (const s of JSON.parse(saved) as Stored[]) {
        if (typeof s.key === "string" && typeof s.person === "string" && typeof s.csrf === "string")
          this.byKey.set(s.key, s);
      }
    } catch {
      // A damaged row signs everyone out; nothing else depends on it.
    }
  }

  /** Opens a session for `person`; the id goes in the cookie and nowhere else. */
  open(person: string, now: number): { id: string; session: Session } {
    this.prune(now);
    const id = newToken();
    const session: Stored = {
      key: digest(id),
      person,
      createdAt: now,
      expiresAt: now + this.ttlMs(),
      csrf: newToken(),
    };
    this.byKey.set(session.key, session);
    this.save();
    return { id, session };
  }

  /** The live session of a cookie's id, or null (unknown, expired, or its person no longer allowed). */
  find(id: string | undefined, now: number, allowed: (person: string) => boolean): Session | null {
    if (id === undefined || id === "") return null;
    const key = digest(id);
    const session = this.byKey.get(key);
    if (session === undefined) return null;
    if (now >= session.expiresAt || !allowed(session.person)) {
      this.byKey.delete(key);
      this.save();
      return null;
    }
    return session;
  }

  /** Whether `token` is the session's CSRF token (compared in constant time). */
  static csrfMatches(session: Session, token: string | undefined | null): boolean {
    if (typeof token !== "string") return false;
    const a = Buffer.from(session.csrf);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Ends one session (sign-out). */
  close(id: string): void {
    if (this.byKey.delete(digest(id))) this.save();
  }

  /** Ends every session of people no longer allowed in (a reload removed them); returns how many ended. */
  keepOnly(allowed: (person: string) => boolean): number {
    let ended = 0;
    for (const [key, s] of this.byKey) {
      if (!allowed(s.person)) {
        this.byKey.delete(key);
        ended += 1;
      }
    }
    if (ended > 0) this.save();
    return ended;
  }

  /** How many sessions are open (for the log). */
  get size(): number {
    return this.byKey.size;
  }

  private prune(now: number): void {
    for (const [key, s] of this.byKey) if (now >= s.expiresAt) this.byKey.delete(key);
  }

  private save(): void {
    this.persistence?.save(JSON.stringify([...this.byKey.values()]));
  }
}
