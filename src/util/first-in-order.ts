/**
 * The first `limit` of what is offered, in `order`, holding at most twice `limit` at a time:
 * what walks 100,000 alerts for a page of them keeps a page, not the walk.
 */
export class FirstInOrder<T> {
  private kept: T[] = [];

  constructor(
    private readonly limit: number,
    private readonly order: (a: T, b: T) => number,
  ) {}

  add(item: T): void {
    this.kept.push(item);
    if (this.kept.length >= 2 * this.limit) this.kept = this.kept.sort(this.order).slice(0, this.limit);
  }

  /** The first `limit` offered so far, in order. */
  first(): T[] {
    return [...this.kept].sort(this.order).slice(0, this.limit);
  }
}
