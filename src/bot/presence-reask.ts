// Asking a person for presence again when no answer came, or what AlertBot sent them bounced.
//
// Chat waits on presence, and a person AlertBot has not heard from is of unknown reachability. A
// person who approved AlertBot's subscription is always answered for by their server (available,
// or unavailable), so silence after a probe means the answer was lost. In an ejabberd cluster the
// node a person is on may not know AlertBot's route yet just after AlertBot connected to another
// node: the person's answer to AlertBot's probe goes out as server-to-server, fails, and that node
// bounces everything for AlertBot for two minutes (its s2s back-off), to the person, not to
// AlertBot. Nothing asked again, so the person's notices went elsewhere, or nowhere, until their
// client's presence next changed. Asked again with a back-off, the person's server answers once the
// route is there.
import type { Clock } from "../clock/clock.js";
import type { Logger } from "../log.js";
import { BackoffTimers, type BackoffOptions } from "../util/backoff.js";

/** From a few seconds after a bounce, doubling to five minutes while the person stays unreachable. */
export const PRESENCE_REASK_BACKOFF: BackoffOptions = { initialDelayMs: 5_000, maxDelayMs: 300_000 };

/** One timer per person at a time, however many reasons to ask again came meanwhile. */
export class PresenceReask {
  private readonly timers: BackoffTimers<string>;
  private stopped = false;

  constructor(
    private readonly deps: {
      clock: Clock;
      log: Logger;
      /** Asks `jid` for presence (a probe, or a subscription request until they approve it). */
      ask: (jid: string) => Promise<void>;
      backoff?: BackoffOptions;
      random?: () => number;
    },
  ) {
    this.timers = new BackoffTimers(deps.clock, deps.backoff ?? PRESENCE_REASK_BACKOFF, deps.random);
  }

  /**
   * Asks each of `jids` (bare JIDs) for presence, in turn: one who cannot be asked (a send that
   * failed) is asked again later, with the back-off, and keeps nobody after them from being asked.
   */
  async askAll(jids: Iterable<string>): Promise<void> {
    for (const jid of jids) {
      if (this.stopped) return;
      try {
        await this.deps.ask(jid);
      } catch (err) {
        this.failed(jid, err);
      }
    }
  }

  /** AlertBot asked `jid` (a bare JID) for presence: unless they are heard from first, ask again. */
  expect(jid: string): void {
    this.schedule(jid, "no-answer");
  }

  /** Something AlertBot sent `jid` came back as an error: ask again later. */
  bounced(jid: string, condition: string): void {
    this.schedule(jid, condition);
  }

  /** Heard from `jid`: nothing to ask again, and the next time starts the back-off afresh. */
  heard(jid: string): void {
    this.timers.cancel(jid);
  }

  /**
   * `jid` approved AlertBot's subscription: heard from, so the back-off starts afresh; their server
   * sends their presence next, and if that is lost (a cluster node without AlertBot's route), they
   * are asked for it.
   */
  approved(jid: string): void {
    this.heard(jid);
    this.expect(jid);
  }

  stop(): void {
    this.stopped = true;
    this.timers.stop();
  }

  // Asking failed (the request could not be sent): asked again, like an unanswered one.
  private failed(jid: string, err: unknown): void {
    if (this.stopped) return;
    this.deps.log.warn("cannot ask a person for presence", { jid, err });
    this.schedule(jid, "cannot-ask");
  }

  private schedule(jid: string, why: string): void {
    const { ask } = this.deps;
    const next = this.timers.schedule(jid, () => {
      ask(jid).catch((err: unknown) => this.failed(jid, err));
    });
    if (next && (next.attempt > 1 || why !== "no-answer"))
      this.deps.log.warn("nothing heard from a person, or presence to them bounced: asking again", {
        jid,
        why,
        inMs: next.delayMs,
        attempt: next.attempt,
      });
  }
}
