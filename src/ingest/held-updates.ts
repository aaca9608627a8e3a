// Updates that came while AlertBot could not write its database, kept in memory and applied in
// the order they came once it can: for a sender that cannot be told to send again. Mauve's UDP has
// no answer, so a datagram refused then was lost (HTTP senders get 503 and retry; an agent's node
// keeps what it published and is read again).
import type { Clock, TimerHandle } from "../clock/clock.js";
import type { AlertUpdate } from "../codec/types.js";
import { StorageUnavailableError } from "../errors.js";
import type { Logger } from "../log.js";
import type { IngestOutcome } from "./ingest-update.js";

/** How long and how much is held. */
export interface HeldUpdatesLimits {
  /** How often the oldest held updates are tried again. */
  readonly retryMs: number;
  /** The most updates held; past it the oldest go (a source's later updates carry its later state). */
  readonly maxUpdates: number;
  /** The most bytes (as received) held, the same way. */
  readonly maxBytes: number;
}

/** Tried every 5 s; 10,000 updates or 64 MiB, whichever comes first. */
export const HELD_UPDATES_LIMITS: HeldUpdatesLimits = {
  retryMs: 5_000,
  maxUpdates: 10_000,
  maxBytes: 64 * 1024 * 1024,
};

/** How held updates reach the bot, and who hears what became of them. */
export interface HeldUpdatesDeps {
  apply(update: AlertUpdate): Promise<IngestOutcome>;
  /** An update applied at last, with its outcome. */
  onOutcome(update: AlertUpdate, outcome: IngestOutcome): void;
  /** An update that failed for another reason than the database (it is not held). */
  onError(update: AlertUpdate, err: unknown): void;
  clock: Clock;
  log: Logger;
  /** What the updates are, in log lines ("UDP updates"). */
  what: string;
}

// Applied together once the database is back: one batch of the bot's, so one commit.
const DRAIN_CHUNK = 32;

interface Held {
  readonly update: AlertUpdate;
  readonly bytes: number;
}

/**
 * Holds updates the database refused, and every update after them while any is held, so that a
 * source's updates are applied in the order they came; tries the oldest again every `retryMs` and
 * applies them all once one goes in. Past its limits the oldest are dropped, counted and logged.
 */
export class HeldUpdates {
  private readonly queue: Held[] = [];
  private bytes = 0;
  // The first updates of the queue, being applied now: never dropped under them.
  private inFlight = 0;
  private timer: TimerHandle | null = null;
  private closed = false;
  /** Dropped past the limits since the start. */
  private lostTotal = 0;
  // This episode's counts, for the line that ends it.
  private episode = { held: 0, applied: 0, lost: 0 };

  constructor(
    private readonly deps: HeldUpdatesDeps,
    private readonly limits: HeldUpdatesLimits = HELD_UPDATES_LIMITS,
  ) {}

  /** Whether updates are being held: a new one must then wait behind them. */
  get holding(): boolean {
    return this.queue.length > 0;
  }

  /** How many are held now. */
  get size(): number {
    return this.queue.length;
  }

  /** How many were dropped past the limits since the start. */
  get lost(): number {
    return this.lostTotal;
  }

  /**
   * Holds `update` (of `bytes` as received) behind those held already; `refused` is why the
   * database refused it, when that is how it came here.
   */
  hold(update: AlertUpdate, bytes: number, refused?: StorageUnavailableError): void {
    if (this.closed) return;
    const first = this.queue.length === 0;
    this.queue.push({ update, bytes });
    this.bytes += bytes;
    this.episode.held++;
    if (first) {
      this.deps.log.warn(`AlertBot cannot write its database: ${this.deps.what} are held in memory until it can`, {
        reason: refused?.reason,
        retryMs: this.limits.retryMs,
        maxUpdates: this.limits.maxUpdates,
        maxBytes: this.limits.maxBytes,
      });
      this.retryLater();
    }
    this.trim();
  }

  /** Stops trying; returns how many held updates are dropped with it (said in the log). */
  close(): number {
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
    const dropped = this.queue.length;
    if (dropped > 0)
      this.deps.log.warn(`stopping with ${this.deps.what} held that the database never took: they are lost`, {
        count: dropped,
      });
    this.queue.length = 0;
    this.bytes = 0;
    return dropped;
  }

  private retryLater(): void {
    if (this.closed || this.timer) return;
    this.timer = this.deps.clock.setTimer(this.limits.retryMs, () => {
      this.timer = null;
      void this.drain();
    });
  }

  // Oldest first, never one being applied: the newest state of a source is worth more.
  private trim(): void {
    while (
      this.queue.length > this.inFlight + 1 &&
      (this.queue.length > this.limits.maxUpdates || this.bytes > this.limits.maxBytes)
    ) {
      const [dropped] = this.queue.splice(this.inFlight, 1);
      this.bytes -= dropped!.bytes;
      this.lostTotal++;
      this.episode.lost++;
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const chunk = this.queue.slice(0, DRAIN_CHUNK);
      this.inFlight = chunk.length;
      const results = await Promise.allSettled(chunk.map((h) => this.deps.apply(h.update)));
      this.inFlight = 0;
      if (this.closed) return;
      let refused: StorageUnavailableError | undefined;
      const again: Held[] = [];
      results.forEach((r, i) => {
        const held = chunk[i]!;
        if (r.status === "fulfilled") {
          this.episode.applied++;
          this.deps.onOutcome(held.update, r.value);
        } else if (r.reason instanceof StorageUnavailableError) {
          refused ??= r.reason;
          again.push(held);
        } else this.deps.onError(held.update, r.reason);
      });
      // Those that came meanwhile were added behind the chunk.
      this.queue.splice(0, chunk.length, ...again);
      for (const h of chunk) if (!again.includes(h)) this.bytes -= h.bytes;
      if (refused) return this.retryLater();
    }
    if (this.closed) return;
    const fields = this.episode;
    this.episode = { held: 0, applied: 0, lost: 0 };
    if (fields.lost > 0)
      this.deps.log.warn(
        `the database takes writes again: the ${this.deps.what} held are applied, but the oldest were dropped past the limit`,
        fields,
      );
    else this.deps.log.info(`the database takes writes again: the ${this.deps.what} held are applied`, fields);
  }
}
