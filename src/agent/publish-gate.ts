import type { Clock, TimerHandle } from "../clock/clock.js";
import type { Logger } from "../log.js";

/** What the gate needs: how to open and close the agent core's publishing, and how long to wait for AlertBot. */
export interface PublishGateDeps {
  clock: Clock;
  log: Logger;
  /** After a fresh login, publish anyway if AlertBot has not shown itself within this long. */
  botWaitMs: number;
  open(): void;
  close(): void;
}

/**
 * Decides when the agent may drain its outbox: while online, with its node in place, and once
 * AlertBot has shown its presence in this session. Events published while AlertBot is offline are
 * lost to it (a component has no offline queue; only the last 20 items are retained), so after a
 * server restart the backlog waits for the bot rather than racing it. If the bot stays silent for
 * `botWaitMs`, publishing starts anyway: it catches up from retained items and the full state.
 */
export class PublishGate {
  private online = false;
  private nodeReady = false;
  private botHere = false;
  private waiting: TimerHandle | null = null;

  constructor(private readonly deps: PublishGateDeps) {}

  /** A session is up; a fresh one (not an XEP-0198 resumption) must set up node and presence again. */
  sessionUp(fresh: boolean): void {
    this.online = true;
    if (fresh) {
      this.nodeReady = false;
      this.botHere = false;
      this.waitForBot();
    }
    this.update();
  }

  /** The connection dropped. */
  sessionDown(): void {
    this.online = false;
    this.update();
  }

  /** The node exists (created or provisioned). */
  nodeIsReady(): void {
    this.nodeReady = true;
    this.update();
  }

  /** AlertBot's presence came (or went). */
  botPresence(available: boolean): void {
    this.botHere = available;
    if (available) {
      this.waiting?.cancel();
      this.waiting = null;
    } else {
      this.waitForBot();
    }
    this.update();
  }

  /** Whether publishing is open now. */
  get isOpen(): boolean {
    return this.online && this.nodeReady && this.botHere;
  }

  /** Stops the wait timer. */
  stop(): void {
    this.waiting?.cancel();
    this.online = false;
  }

  private waitForBot(): void {
    this.waiting?.cancel();
    this.waiting = this.deps.clock.setTimer(this.deps.botWaitMs, () => {
      this.waiting = null;
      if (this.botHere || !this.online) return;
      this.deps.log.warn("AlertBot has not shown its presence; publishing anyway (it catches up from retained items)", {
        waitedMs: this.deps.botWaitMs,
      });
      this.botHere = true;
      this.update();
    });
  }

  private update(): void {
    if (this.isOpen) this.deps.open();
    else this.deps.close();
  }
}
