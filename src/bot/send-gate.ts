// Fencing for two AlertBots (docs/failover.md): the active sends nothing (chat, email, SMS, room
// lines, command replies) unless (1) the grace after its claim has passed, (2) its lease is held:
// the server answered one of its pings, routed back to its own component JID, less than L ago,
// and (3) everything it committed is in the replica log, unless the log has refused it for longer
// than sends may wait (replica-log.ts). Off (no gate at all) for a lone AlertBot, whose email and
// SMS must keep going when XMPP is down.
import type { Clock, TimerHandle } from "../clock/clock.js";
import type { Logger } from "../log.js";

/** Asks the server to route a ping back to us; true when it came back. */
export type LeaseProbe = (timeoutMs: number) => Promise<boolean>;

/** What the gate checks before each send. */
export interface SendGateDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** L: how long one answered probe keeps the lease. */
  readonly leaseMs: number;
  /** G: no send before this long after the claim. */
  readonly graceMs: number;
  readonly probe: LeaseProbe;
  /** Resolves once every write committed so far is in the replica log, or once the log has refused batches for longer than sends wait. */
  readonly flushed: () => Promise<void>;
}

/** The lease, the grace and the log, in one wait that every send passes through. */
export class SendGate {
  private readonly openAt: number;
  private leaseUntil = 0;
  private waiters: Array<() => void> = [];
  private timer: TimerHandle | null = null;
  private stopped = false;
  private lapsedSince: number | null = null;

  constructor(private readonly deps: SendGateDeps) {
    this.openAt = deps.clock.now() + deps.graceMs;
  }

  /** Starts probing: every quarter of the lease (at least once a second). */
  start(): void {
    void this.renew();
    // The grace ends on a timer of its own: nothing else may wake the waiters then.
    this.deps.clock.setTimer(this.deps.graceMs, () => this.wake());
  }

  /** Stops probing; the lease runs out and nothing more is sent. */
  stop(): void {
    this.stopped = true;
    this.leaseUntil = 0;
    this.timer?.cancel();
  }

  /** Whether a send could go now (lease held and grace over). */
  get open(): boolean {
    const now = this.deps.clock.now();
    return !this.stopped && now >= this.openAt && now < this.leaseUntil;
  }

  /** Waits until a send may go; it never resolves once the gate is stopped. */
  async ready(): Promise<void> {
    await this.deps.flushed();
    while (!this.open) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private async renew(): Promise<void> {
    const { clock, log, leaseMs, probe } = this.deps;
    while (!this.stopped) {
      const sentAt = clock.now();
      const answered = await probe(leaseMs);
      if (this.stopped) return;
      if (answered) {
        this.leaseUntil = sentAt + leaseMs;
        if (this.lapsedSince !== null)
          log.warn("lease back: sending again", { heldBackMs: clock.now() - this.lapsedSince });
        this.lapsedSince = null;
        this.wake();
      } else if (this.lapsedSince === null && clock.now() >= this.leaseUntil) {
        this.lapsedSince = clock.now();
        log.warn("lease lapsed: every send is held until the server answers again", { leaseMs });
      }
      const waitMs = Math.max(1_000, Math.floor(leaseMs / 4)) - (clock.now() - sentAt);
      if (waitMs > 0) await new Promise<void>((resolve) => (this.timer = clock.setTimer(waitMs, resolve)));
    }
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }
}
