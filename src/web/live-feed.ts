import type { Clock, TimerHandle } from "../clock/clock.js";
import type { HttpStream, StreamWriter } from "../http/listener.js";

/**
 * How often the feed says "something changed" at most, unless told a longer wait: boards refetch
 * on it, and ingest comes first.
 */
export const FEED_INTERVAL_MS = 1_000;
/** A change is held this long for the others that come with it (one update often brings dozens). */
const GATHER_MS = 50;
/** A comment line now and then keeps proxies from closing an idle stream. */
const HEARTBEAT_MS = 25_000;
/** What browsers wait before reconnecting after the stream ends (a bot restart). */
const RETRY_MS = 1_000;

interface Client {
  readonly person: string;
  readonly writer: StreamWriter;
}

/**
 * The boards' live feed over server-sent events. The bot calls `changed()` after anything a board
 * shows may have changed; the feed tells every open board once per interval at most, and each
 * board fetches its own page again. Nothing about the alerts goes down the stream itself, so the
 * feed costs the same whether one alert changed or ten thousand.
 */
export class LiveFeed {
  private readonly clients = new Set<Client>();
  private pending: TimerHandle | null = null;
  private heartbeat: TimerHandle | null = null;
  private lastSentAt = -Infinity;
  private sequence = 0;
  /** Changes so far, and how many of them the boards have been told of. */
  private changes = 0;
  private told = 0;

  /** `intervalMs`: the least time between two "something changed" (FEED_INTERVAL_MS or more). */
  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: () => number = () => FEED_INTERVAL_MS,
  ) {}

  /** How many boards are listening. */
  get size(): number {
    return this.clients.size;
  }

  /** Something a board shows may have changed. Cheap: called inside the bot's transactions. */
  changed(): void {
    this.changes += 1;
    if (this.pending !== null || this.clients.size === 0) return;
    const wait = Math.max(GATHER_MS, this.lastSentAt + this.intervalMs() - this.clock.now());
    this.pending = this.clock.setTimer(wait, () => {
      this.pending = null;
      this.lastSentAt = this.clock.now();
      this.told = this.changes;
      this.sequence += 1;
      this.broadcast(`event: change\ndata: ${this.sequence}\n\n`);
    });
  }

  /** How many changes there have been: read before reading what a board shows, for `current`. */
  get changeCount(): number {
    return this.changes;
  }

  /**
   * Whether what was read when `changeCount` was `seen` may still be shown: it missed no change;
   * or, to a board fetching itself again because it was told of changes (`refresh`), it missed
   * only changes not told of yet, which it will be (and fetch itself again then).
   */
  current(seen: number, refresh: boolean): boolean {
    return seen >= this.changes || (refresh && this.pending !== null && seen >= this.told);
  }

  /** The stream for one signed-in board. */
  stream(person: string): HttpStream {
    return {
      status: 200,
      contentType: "text/event-stream; charset=utf-8",
      headers: { "x-accel-buffering": "no" },
      open: (writer) => {
        const client: Client = { person, writer };
        this.clients.add(client);
        writer.write(`retry: ${RETRY_MS}\nevent: hello\ndata: ${this.sequence}\n\n`);
        this.armHeartbeat();
        return () => {
          this.clients.delete(client);
        };
      },
    };
  }

  /** Ends the streams of people no longer allowed in. */
  keepOnly(allowed: (person: string) => boolean): void {
    for (const client of this.clients) {
      if (allowed(client.person)) continue;
      this.clients.delete(client);
      client.writer.end();
    }
  }

  /** Ends every stream (the bot is stopping; browsers reconnect to the next one). */
  close(): void {
    this.pending?.cancel();
    this.heartbeat?.cancel();
    this.pending = null;
    this.heartbeat = null;
    for (const client of this.clients) client.writer.end();
    this.clients.clear();
  }

  private broadcast(chunk: string): void {
    // A board that does not read (write returns false) misses this one; it refetches on the next.
    for (const client of this.clients) client.writer.write(chunk);
  }

  private armHeartbeat(): void {
    if (this.heartbeat !== null) return;
    this.heartbeat = this.clock.setTimer(HEARTBEAT_MS, () => {
      this.heartbeat = null;
      if (this.clients.size === 0) return;
      this.broadcast(": still here\n\n");
      this.armHeartbeat();
    });
  }
}
