// Asking a person for presence again when the server bounced what AlertBot sent them.
//
// Chat waits on presence, and a bounce leaves AlertBot not knowing a person's. In an ejabberd
// cluster, the node a person is on may not know AlertBot's route yet just after AlertBot connected
// to another node: the person's answer to AlertBot's probe goes out as server-to-server, fails, and
// that node bounces everything for AlertBot for the next two minutes (its s2s back-off). Nothing
// asks again, so the person's notices went elsewhere, or nowhere, until their client's presence next
// changed. Asked again with a back-off, the person's server answers once the route is there.
import type { Clock, TimerHandle } from "../clock/clock.js";
import type { Logger } from "../log.js";
import { backoffDelay, type BackoffOptions } from "../util/backoff.js";

/** From a few seconds after a bounce, doubling to five minutes while the person stays unreachable. */
export const PRESENCE_REASK_BACKOFF: BackoffOptions = { initialDelayMs: 5_000, maxDelayMs: 300_000 };

/** One timer per person at a time, however many of AlertBot's stanzas to them bounced meanwhile. */
export class PresenceReask {
  private readonly attempts = new Map<string, number>();
  private readonly timers = new Map<string, TimerHandle>();

  constructor(
    private readonly deps: {
      clock: Clock;
      log: Logger;
      /** Asks `jid` for presence (a probe, or a subscription request until they approve it). */
      ask: (jid: string) => Promise<void>;
      backoff?: BackoffOptions;
      random?: () => number;
    },
  ) {}

  /** Something AlertBot sent `jid` (a bare JID) came back as an error: ask again later. */
  bounced(jid: string, condition: string): void {
    if (this.timers.has(jid)) return;
    const attempt = this.attempts.get(jid) ?? 0;
    this.attempts.set(jid, attempt + 1);
    const { clock, log, ask } = this.deps;
    const delayMs = backoffDelay(attempt, this.deps.backoff ?? PRESENCE_REASK_BACKOFF, this.deps.random);
    log.warn("presence to a person bounced: their reachability is unknown; asking again", {
      jid,
      condition,
      inMs: delayMs,
      attempt: attempt + 1,
    });
    this.timers.set(
      jid,
      clock.setTimer(delayMs, () => {
        this.timers.delete(jid);
        ask(jid).catch((err: unknown) => log.warn("cannot ask a person for presence", { jid, err }));
      }),
    );
  }

  /** Heard from `jid`: the next bounce starts the back-off afresh. */
  heard(jid: string): void {
    this.attempts.delete(jid);
  }

  stop(): void {
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
  }
}
