// Rows a store holds back while a span runs and writes as the span ends (an update's history lines
// and deliveries): written many to a statement, where a statement per row cost more than its row.

/** Rows held back while {@link HeldRows.hold} runs, else written as they are added. */
export class HeldRows<T> {
  private held: T[] | null = null;

  constructor(private readonly write: (rows: readonly T[]) => void) {}

  /** Adds rows: held while `hold` runs, else written at once. */
  add(rows: T[]): void {
    if (this.held === null) this.write(rows);
    else for (const row of rows) this.held.push(row);
  }

  /**
   * Runs `fn`, the rows it adds written as it returns, in the order added (none when it throws).
   * Within a hold already running, the outer one writes them.
   */
  hold<R>(fn: () => R): R {
    if (this.held !== null) return fn();
    this.held = [];
    try {
      const result = fn();
      // What is held now: a flush in between wrote the rows before it and began afresh.
      const rows = this.held;
      this.held = null;
      this.write(rows);
      return result;
    } finally {
      this.held = null;
    }
  }

  /** Writes what is held so far, now: before a write that reads what they would have changed. */
  flush(): void {
    if (this.held === null || this.held.length === 0) return;
    const rows = this.held;
    this.held = [];
    this.write(rows);
  }
}
