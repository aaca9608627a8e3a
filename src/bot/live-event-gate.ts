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

/** A held item; taken ones are skipped when the rest is applied. */
interface Held<T> {
  readonly item: T;
  readonly key: string;
  taken: boolean;
}

/**
 * Holds live items while at least one hold is open; applies them in arrival order when the last one
 * ends, except those of the keys kept (see {@link keep}).
 */
export class LiveEventGate<T> {
  private holds = 0;
  /** Held items in arrival order; a key's are also indexed, so that taking them does not scan the rest. */
  private held: Array<Held<T>> = [];
  private readonly heldByKey = new Map<string, Array<Held<T>>>();
  private draining = false;
  private drainAgain = false;
  /** Keys whose items stay held whether or not a hold is open, and since when. */
  private readonly kept = new Map<string, number>();
  /** Keys a catch-up is reading now, and how many (a resync may read a node a newcomer's pass is reading). */
  private readonly readers = new Map<string, number>();

  constructor(
    private readonly apply: (item: T) => Promise<void>,
    private readonly onError: (err: unknown) => void,
    /** What names an item's sender (its node): the key its items are taken and kept by. */
    private readonly keyOf: (item: T) => string,
  ) {}

  /** Whether live items are being held (or the held ones are still being applied). */
  get isHolding(): boolean {
    return this.holds > 0 || this.draining;
  }

  /** How many live items are held now (for /metrics: events waiting for a catch-up). */
  get heldCount(): number {
    let n = 0;
    for (const entries of this.heldByKey.values()) n += entries.length;
    return n;
  }

  /** Starts holding live items. */
  hold(): void {
    this.holds++;
  }

  /** A live item: applied now, or after the catch-up if one is under way (then after those held before it). */
  async offer(item: T): Promise<void> {
    if (!this.isHolding && this.kept.size === 0) return this.apply(item);
    const key = this.keyOf(item);
    if (!this.isHolding && !this.kept.has(key)) return this.apply(item);
    const entry: Held<T> = { item, key, taken: false };
    this.held.push(entry);
    const ofKey = this.heldByKey.get(key);
    if (ofKey) ofKey.push(entry);
    else this.heldByKey.set(key, [entry]);
  }

  /** Removes and returns `key`'s held items, in arrival order (a node's, for its catch-up to apply in order). */
  take(key: string): T[] {
    const entries = this.heldByKey.get(key);
    if (!entries) return [];
    this.heldByKey.delete(key);
    for (const entry of entries) entry.taken = true;
    return entries.map((entry) => entry.item);
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

  /** A catch-up starts reading `key`: until it is done, no other pass lets go of the key. */
  reading(key: string): void {
    this.readers.set(key, (this.readers.get(key) ?? 0) + 1);
  }

  /** A catch-up is done with `key` (read or not). */
  doneReading(key: string): void {
    const n = (this.readers.get(key) ?? 1) - 1;
    if (n > 0) this.readers.set(key, n);
    else this.readers.delete(key);
  }

  /** Whether some catch-up is reading `key` now. */
  isBeingRead(key: string): boolean {
    return this.readers.has(key);
  }

  /** Ends one hold; when none is left, applies what was held, in arrival order, including items offered meanwhile. */
  async release(): Promise<void> {
    this.holds = Math.max(0, this.holds - 1);
    if (this.holds > 0) return;
    await this.drain();
  }

  /** Drops an applied entry from its key's index (it is the oldest there: both are in arrival order). */
  private forget(entry: Held<T>): void {
    const ofKey = this.heldByKey.get(entry.key);
    if (!ofKey) return;
    const at = ofKey[0] === entry ? 0 : ofKey.indexOf(entry);
    if (at >= 0) ofKey.splice(at, 1);
    if (ofKey.length === 0) this.heldByKey.delete(entry.key);
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
        const keptBack: Array<Held<T>> = [];
        let notReached: Array<Held<T>> = [];
        // Items offered while earlier ones are applied join the queue: taken batch by batch.
        for (let pending = this.held; pending.length > 0; pending = this.held) {
          this.held = [];
          let i = 0;
          for (; i < pending.length && this.holds === 0; i++) {
            const entry = pending[i]!;
            if (entry.taken) continue;
            if (this.kept.has(entry.key)) keptBack.push(entry);
            else {
              this.forget(entry);
              await this.apply(entry.item).catch(this.onError);
            }
          }
          if (i < pending.length) {
            notReached = pending.slice(i).filter((entry) => !entry.taken); // a new catch-up drains these
            break;
          }
        }
        this.held = [...keptBack, ...notReached, ...this.held]; // arrival order throughout
      } while (this.drainAgain && this.holds === 0);
    } finally {
      this.draining = false;
    }
  }
}
