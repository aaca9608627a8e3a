/**
 * Runs an async job so that runs never overlap: a call made while the job runs does not start a
 * second one, but makes the current run go round once more, so no request is lost.
 * `keepGoing` can end that extra round early (e.g. nothing left to do it with).
 */
export function coalescingRunner(job: () => Promise<void>, keepGoing: () => boolean = () => true): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await job();
        } while (again && keepGoing());
      } finally {
        running = null;
      }
    })();
    return running;
  };
}

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
