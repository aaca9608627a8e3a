// Live pubsub events held back while a catch-up reads the retained items.
//
// After a reconnection the server delivers new events at once (the bot's subscriptions outlive its
// session), while the catch-up reads the agents' nodes one after another. A live event applied
// first makes the older retained items of its node stale: they are refused whole, and the changes
// they carried to the agent's other alerts with them (seen on a 2-node ejabberd cluster when
// AlertBot moved from a stopped node to the other: a flap of one alert lost while another changed).
//
// Held is not enough on its own: an agent that sees the bot come back drains its outbox at once,
// so a node's held events can be older than its newest retained item (a backlog longer than the
// node retains). The catch-up therefore takes a node's held events and applies them together with
// its retained items, in the sender's order; only what is left is applied at release.
//
// Keys (nodes) are kept: their live events stay held past the release until their catch-up takes
// them. A pass holds everything only while it lists the service and subscribes, then keeps just the
// nodes it is about to read, each until its own catch-up, so that the other agents' notices do not
// wait for a whole resync. A node whose retained items could not be read stays kept until a later
// pass reads it: applied earlier, its live events would make the retained items the retry reads
// stale, and the changes those carried would be refused.

/**
 * Holds live items while at least one hold is open; applies them in arrival order when the last one
 * ends, except those of the keys kept (see {@link keep}).
 */
export class LiveEventGate<T> {
  private holds = 0;
  private held: T[] = [];
  private draining = false;
  private drainAgain = false;
  /** Keys whose items stay held whether or not a hold is open, and since when. */
  private readonly kept = new Map<string, number>();

  constructor(
    private readonly apply: (item: T) => Promise<void>,
    private readonly onError: (err: unknown) => void,
    /** What names an item's sender (its node); needed only to keep a key's items. */
    private readonly keyOf: (item: T) => string = () => "",
  ) {}

  /** Whether live items are being held (or the held ones are still being applied). */
  get isHolding(): boolean {
    return this.holds > 0 || this.draining;
  }

  /** Starts holding live items. */
  hold(): void {
    this.holds++;
  }

  /** A live item: applied now, or after the catch-up if one is under way (then after those held before it). */
  async offer(item: T): Promise<void> {
    if (this.isHolding || this.isKept(item)) {
      this.held.push(item);
      return;
    }
    await this.apply(item);
  }

  /** Removes and returns the held items that `match` picks (a node's, for its catch-up to apply in order). */
  take(match: (item: T) => boolean): T[] {
    const taken = this.held.filter(match);
    if (taken.length > 0) this.held = this.held.filter((item) => !match(item));
    return taken;
  }

  /**
   * Keeps `key`'s items held past every release, from `at` (when its catch-up began) until
   * {@link unkeep}: its catch-up, or a later one if this one fails, is to take them. Keeping an
   * already kept key leaves its time as it was, so a node that fails again and again is seen to.
   */
  keep(key: string, at: number): void {
    if (!this.kept.has(key)) this.kept.set(key, at);
  }

  /** The keys kept, and since when. */
  keptSince(): ReadonlyMap<string, number> {
    return this.kept;
  }

  /**
   * Stops keeping `key` (its catch-up took its items, or is given up): what it still holds is
   * applied with the rest, at once when no hold is open.
   */
  async unkeep(key: string): Promise<void> {
    if (!this.kept.delete(key)) return;
    if (this.holds === 0) await this.drain();
  }

  /** Ends one hold; when none is left, applies what was held, in arrival order, including items offered meanwhile. */
  async release(): Promise<void> {
    this.holds = Math.max(0, this.holds - 1);
    if (this.holds > 0) return;
    await this.drain();
  }

  private isKept(item: T): boolean {
    return this.kept.size > 0 && this.kept.has(this.keyOf(item));
  }

  private async drain(): Promise<void> {
    if (this.draining) {
      this.drainAgain = true; // a key unkept meanwhile: its items may already have been passed over
      return;
    }
    this.draining = true;
    try {
      do {
        this.drainAgain = false;
        const keptBack: T[] = [];
        for (let item = this.held.shift(); item !== undefined; item = this.held.shift()) {
          if (this.holds > 0) {
            this.held.unshift(item); // a new catch-up began: it drains the rest
            break;
          }
          if (this.isKept(item)) keptBack.push(item);
          else await this.apply(item).catch(this.onError);
        }
        this.held.unshift(...keptBack);
      } while (this.drainAgain && this.holds === 0);
    } finally {
      this.draining = false;
    }
  }
}
