// Live pubsub events held back while a resync reads the retained items.
//
// After a reconnection the server delivers new events at once (the bot's subscriptions outlive its
// session), while the catch-up reads the agents' nodes one after another. A live event applied
// first makes the older retained items of its node stale: they are refused whole, and the changes
// they carried to the agent's other alerts with them (seen on a 2-node ejabberd cluster when
// AlertBot moved from a stopped node to the other: a flap of one alert lost while another changed).

/** Holds live items while at least one hold is open; applies them in arrival order when the last one ends. */
export class LiveEventGate<T> {
  private holds = 0;
  private held: T[] = [];
  private draining = false;

  constructor(
    private readonly apply: (item: T) => Promise<void>,
    private readonly onError: (err: unknown) => void,
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
    if (this.isHolding) {
      this.held.push(item);
      return;
    }
    await this.apply(item);
  }

  /** Ends one hold; when none is left, applies what was held, in arrival order, including items offered meanwhile. */
  async release(): Promise<void> {
    this.holds = Math.max(0, this.holds - 1);
    if (this.holds > 0 || this.draining) return;
    this.draining = true;
    try {
      for (let item = this.held.shift(); item !== undefined; item = this.held.shift()) {
        if (this.holds > 0) {
          this.held.unshift(item); // a new catch-up began: it drains the rest
          return;
        }
        await this.apply(item).catch(this.onError);
      }
    } finally {
      this.draining = false;
    }
  }
}
