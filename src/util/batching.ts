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

/** How much of what waits a `TurnBatch` hands over at once (unbounded when not given). */
export interface TurnBatchLimits {
  /** At most this many per run while the backlog is below `highWater`; the rest waits a turn. */
  readonly perRun: number;
  /** Above this many waiting, a run takes enough to come back down to it (memory stays bounded). */
  readonly highWater: number;
}

/**
 * Collects what is added during one turn of the event loop and hands it to `run` as one batch at
 * the next (setImmediate), or at once with `drain()`: work that arrives together (a read from the
 * server carrying dozens of events, sends finishing together) is then stored in one transaction.
 * With `limits`, a large backlog is handed over in chunks with a turn of the event loop between
 * them, so that what arrives meanwhile (a person's command) is not held up behind all of it.
 */
export class TurnBatch<T> {
  private readonly items: T[] = [];
  private scheduled = false;

  /**
   * With `waitWhile`, a turn at which it says true leaves what waits for the next turn: something
   * else that runs in this turn is expected to `drain()` it (and so take it into its own work).
   */
  constructor(
    private readonly run: (items: T[]) => void,
    private readonly limits?: TurnBatchLimits,
    private readonly waitWhile?: () => boolean,
  ) {}

  add(item: T): void {
    this.items.push(item);
    this.schedule();
  }

  /** How many are waiting. */
  get waiting(): number {
    return this.items.length;
  }

  /** Runs what is waiting now, one chunk of it with limits (nothing when empty). */
  drain(): void {
    const limits = this.limits;
    const take = limits ? Math.max(limits.perRun, this.items.length - limits.highWater) : this.items.length;
    const batch = this.items.splice(0, take);
    try {
      if (batch.length > 0) this.run(batch);
    } finally {
      if (this.items.length > 0) this.schedule();
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.waitWhile?.()) this.schedule();
      else this.drain();
    });
  }
}

/** Resolves at the next turn of the event loop: what arrived meanwhile (a person's command) runs first. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Works through rows a slice at a time with the event loop let in between, so that what arrived
 * meanwhile (a person's command, an update) runs first: `step(after)` does the slice of rows whose
 * key is past `after` (0 at first) and returns the last key it did, or null when there was nothing
 * past `after` or it knows it did the last. Resolves true when every slice was done, false when `stopped()` ended the walk between two.
 */
export async function inSlices(
  step: (after: number) => number | null,
  stopped: () => boolean = () => false,
): Promise<boolean> {
  for (let after = step(0); after !== null; after = step(after)) {
    await nextTurn();
    if (stopped()) return false;
  }
  return true;
}

/**
 * `inSlices` over a read by key: `read(after, limit)` returns at most `limit` rows whose key is
 * past `after`, in key order; `each` works on each slice read. A short slice is the last.
 */
export function eachSlice<T>(
  read: (after: number, limit: number) => readonly T[],
  limit: number,
  key: (row: T) => number,
  each: (slice: readonly T[]) => void,
  stopped?: () => boolean,
): Promise<boolean> {
  return inSlices((after) => {
    const slice = read(after, limit);
    each(slice);
    return slice.length < limit ? null : key(slice.at(-1)!);
  }, stopped);
}

/**
 * How long a view over every open alert (the status node's board, the web board) serves before it
 * is built again, per alert it reads: building one looks at each alert, and in a storm of tens of
 * thousands a view a second took most of AlertBot's one thread, while chat and acks waited.
 */
export const VIEW_MS_PER_ALERT = 0.05;
