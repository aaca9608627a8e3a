/**
 * Collects what is added during one turn of the event loop and hands it to `run` as one batch at
 * the next (setImmediate), or at once with `drain()`: work that arrives together (a read from the
 * server carrying dozens of events, sends finishing together) is then stored in one transaction.
 */
export class TurnBatch<T> {
  private readonly items: T[] = [];

  constructor(private readonly run: (items: T[]) => void) {}

  add(item: T): void {
    if (this.items.push(item) === 1) setImmediate(() => this.drain());
  }

  /** Runs what is waiting now (nothing when empty). */
  drain(): void {
    const batch = this.items.splice(0);
    if (batch.length > 0) this.run(batch);
  }
}
