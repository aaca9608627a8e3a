// The standby's judgement of whether the active is gone (docs/failover.md), from its pings to
// alertbot.<domain>. Two ways to be gone:
// - the server itself answers for the JID ("unavailable"): no stream holds it, because the active
//   was killed, stopped or lost its connection. Nobody is there to kick, so the standby claims as
//   soon as a second ping agrees; waiting T would only lengthen the silence.
// - nobody answers at all ("no-answer"): the active may be frozen, cut off, or only slow, and its
//   stream still holds the JID. Claiming kicks it (kick_old), so the standby waits T first.
// A silence counts only while the standby's own round trip to the server works: with its own
// link down (its session offline, or a cut that nothing closed yet) every ping fails, and that says
// nothing about the active. Counted as the active's silence, it made a standby whose link came
// back after T kick a healthy active. The clock for T starts again once its own link is back.
// Either way the new active's grace G after its claim is what keeps two bots from both sending:
// a claim that races another standby's (both saw the JID free) kicks the first claimant before its
// grace is over.
import type { Clock } from "../clock/clock.js";
import type { PingOutcome } from "../xmpp/ping.js";

/** Consecutive "unavailable" answers that prove the JID is free. */
export const FREE_CONFIRMATIONS = 2;

/** Whether the standby's own ping to its server, sent with the one to the active, came back. */
export type OwnLink = "up" | "down";

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
  // Set while this standby's own link is (or was, since the last proof that it works) down.
  private ownDown = false;

  constructor(private readonly options: ActiveWatchOptions) {
    // Counted from our own start: a standby started beside a silent holder waits T like any other.
    this.lastSeenAt = options.clock.now();
  }

  /** Whether an active has answered since this standby started. */
  get seenActive(): boolean {
    return this.everSeen;
  }

  /** Whether the last round found this standby's own link down: the active's silence is not counted. */
  get ownLinkDown(): boolean {
    return this.ownDown;
  }

  /** This standby's own connection dropped: pings until it is back say nothing about the active. */
  ownLinkLost(): void {
    this.ownDown = true;
    this.freeInARow = 0;
  }

  /**
   * Takes one ping's outcome, and whether the standby's own ping to the server sent with it came
   * back. Any answer for the active's JID (its own, or the server's "unavailable") proves the link.
   */
  observe(outcome: PingOutcome, ownLink: OwnLink = "up"): WatchVerdict {
    const { clock, takeoverAfterMs, everyMs, random = Math.random } = this.options;
    const now = clock.now();
    if (outcome === "no-answer" && ownLink === "down") {
      this.ownLinkLost();
      return { claim: false, nextPingInMs: everyMs };
    }
    if (this.ownDown) {
      // Back: whatever the active did meanwhile, its silence is counted from now.
      this.ownDown = false;
      this.lastSeenAt = now;
      this.freeInARow = 0;
    }
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
