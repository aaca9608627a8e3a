// The standby's judgement of whether the active is gone (docs/failover.md), from its pings to
// alertbot.<domain>. Two ways to be gone:
// - the server itself answers for the JID ("unavailable"): no stream holds it, because the active
//   was killed, stopped or lost its connection. Nobody is there to kick, so the standby claims as
//   soon as a second ping agrees; waiting T would only lengthen the silence.
// - nobody answers at all ("no-answer"): the active may be frozen, cut off, or only slow, and its
//   stream still holds the JID. Claiming kicks it (kick_old), so the standby waits T first.
// Either way the new active's grace G after its claim is what keeps two bots from both sending:
// a claim that races another standby's (both saw the JID free) kicks the first claimant before its
// grace is over.
import type { Clock } from "../clock/clock.js";
import type { PingOutcome } from "../xmpp/ping.js";

/** Consecutive "unavailable" answers that prove the JID is free. */
export const FREE_CONFIRMATIONS = 2;

/** Why the standby decided to claim. */
export type ClaimReason = "jid-free" | "silent-for-takeover-after";

/** What the standby should do after one ping. */
export type WatchVerdict =
  | { readonly claim: false; readonly nextPingInMs: number }
  | { readonly claim: true; readonly reason: ClaimReason; readonly goneForMs: number };

/** Options of the watch. */
export interface ActiveWatchOptions {
  readonly clock: Clock;
  /** T: how long without any answer before the standby claims a JID that may still be held. */
  readonly takeoverAfterMs: number;
  /** The usual time between pings. */
  readonly everyMs: number;
  /** Jitter in [0, 1): two standbys that both see the JID free should not claim in step. */
  readonly random?: () => number;
}

/** Tracks the pings' outcomes and says when to claim. */
export class ActiveWatch {
  private lastSeenAt: number;
  private freeInARow = 0;
  private everSeen = false;

  constructor(private readonly options: ActiveWatchOptions) {
    // Counted from our own start: a standby started beside a silent holder waits T like any other.
    this.lastSeenAt = options.clock.now();
  }

  /** Whether an active has answered since this standby started. */
  get seenActive(): boolean {
    return this.everSeen;
  }

  /** Takes one ping's outcome. */
  observe(outcome: PingOutcome): WatchVerdict {
    const { clock, takeoverAfterMs, everyMs, random = Math.random } = this.options;
    const now = clock.now();
    if (outcome === "answered") {
      this.everSeen = true;
      this.lastSeenAt = now;
      this.freeInARow = 0;
      return { claim: false, nextPingInMs: everyMs };
    }
    if (outcome === "unavailable") {
      this.freeInARow++;
      if (this.freeInARow >= FREE_CONFIRMATIONS)
        return { claim: true, reason: "jid-free", goneForMs: now - this.lastSeenAt };
      // The confirming ping comes after a random part of a period, so that two standbys seeing the
      // same free JID (after a server restart, say) seldom claim within the same instant.
      return { claim: false, nextPingInMs: Math.round(everyMs * (0.5 + random())) };
    }
    this.freeInARow = 0;
    if (now - this.lastSeenAt >= takeoverAfterMs)
      return { claim: true, reason: "silent-for-takeover-after", goneForMs: now - this.lastSeenAt };
    return { claim: false, nextPingInMs: everyMs };
  }

  /** A claim was refused for now (the log has a gap): start counting again. */
  reset(): void {
    this.lastSeenAt = this.options.clock.now();
    this.freeInARow = 0;
  }
}
