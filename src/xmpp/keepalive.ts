// Noticing a server that stopped answering without closing anything. A frozen server (SIGSTOP, a
// hung process) or a black-holed network path leaves the TCP connection open: writes are
// accepted, nothing comes back, and no close ever arrives. A component has no XEP-0198 acks to
// notice it by, so it stayed "online" for good: chat notices went into the socket, nobody was
// told, and its link alert never came. A client's acks did no better on a half-dead link: xmpp.js
// clears its ack timeout at any incoming element, so an agent's outbox waited for good. Every `intervalMs` the session pings (XEP-0199), however
// busy the link (a half-dead one still brings the server's stanzas while ours are lost); when the
// answer does not come within `timeoutMs` (two in a row while other stanzas arrive: a busy server
// may be slow), the connection is dropped as lost, and the usual reconnection (and its alerts) follows.
import type { Clock, TimerHandle } from "../clock/clock.js";

/** How often a quiet connection is checked, and how long an answer may take. */
export interface KeepAliveOptions {
  /** How often the server is pinged. */
  readonly intervalMs: number;
  /** No answer to it, and nothing else heard, this long: the connection is dropped. */
  readonly timeoutMs: number;
}

/** The default for every session connect.ts opens: a frozen server is noticed within a minute or so. */
export const DEFAULT_KEEPALIVE: KeepAliveOptions = { intervalMs: 30_000, timeoutMs: 30_000 };

/** Watches one connection while it is online (start at each login, stop at each drop). */
export class KeepAlive {
  private timer: TimerHandle | undefined;
  private lastHeardMs = 0;
  /** Bumped at each start and stop: a ping of an earlier connection decides nothing. */
  private generation = 0;
  private running = false;
  /** Pings in a row that got no answer. */
  private unanswered = 0;

  constructor(
    private readonly deps: {
      readonly clock: Clock;
      readonly options: KeepAliveOptions;
      /** Pings the server; resolves true when answered (an error reply is an answer too). */
      readonly ping: (timeoutMs: number) => Promise<boolean>;
      /** Drops the connection as lost, with why. */
      readonly drop: (reason: string) => void;
    },
  ) {}

  /** The connection is up: starts watching it. */
  start(): void {
    this.stop();
    this.running = true;
    this.unanswered = 0;
    this.lastHeardMs = this.deps.clock.now();
    this.schedule(this.deps.options.intervalMs);
  }

  /** The connection is gone (or the session stopped). */
  stop(): void {
    this.generation++;
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Anything arrived from the server. */
  heard(): void {
    this.lastHeardMs = this.deps.clock.now();
  }

  private schedule(delayMs: number): void {
    const generation = this.generation;
    this.timer = this.deps.clock.setTimer(Math.max(1, delayMs), () => {
      if (generation === this.generation) void this.check(generation);
    });
  }

  private async check(generation: number): Promise<void> {
    const { clock, options, ping, drop } = this.deps;
    const sentAt = clock.now();
    const answered = await ping(options.timeoutMs).catch(() => false);
    if (generation !== this.generation || !this.running) return;
    if (answered) {
      this.unanswered = 0;
      this.schedule(options.intervalMs);
      return;
    }
    this.unanswered++;
    // A busy server slow to answer one ping, but sending us other things meanwhile, is given one
    // more: a link whose stanzas from us are lost while the server's still come (half dead) is not.
    if (this.lastHeardMs > sentAt && this.unanswered < 2) {
      this.schedule(0);
      return;
    }
    const reason =
      this.lastHeardMs > sentAt
        ? `${this.unanswered} keepalive pings in a row unanswered`
        : `nothing from the server for ${clock.now() - this.lastHeardMs} ms, a keepalive ping unanswered`;
    drop(reason);
  }
}
