// Transactions over one SQLite connection, as both the bot's store and the agent's outbox run them:
// a failure because the file cannot be written becomes a StorageUnavailableError its listeners
// hear of, and what waits for the outermost commit hears whether it came.
import type { StorageUnavailableError } from "../errors.js";
import type { Db } from "./database.js";
import { asStorageError } from "./storage-failure.js";

export class Transactions {
  // One wrapper made once: better-sqlite3 builds a new one on every db.transaction(fn) call.
  private readonly wrapped: (fn: () => unknown) => unknown;
  /** Waiting for the open transaction's outcome: told true after its commit, false after its rollback. */
  private readonly waiting: Array<(committed: boolean) => void> = [];
  private readonly failureListeners: Array<(error: StorageUnavailableError) => void> = [];
  /** Set once the file cannot be written for good (see refuseFromNow); every write throws it. */
  private refusal: StorageUnavailableError | null = null;

  constructor(private readonly db: Db) {
    this.wrapped = db.transaction((fn: () => unknown) => fn());
  }

  /**
   * Runs `fn` in one transaction: all of it is stored, or none. Nested, it is a savepoint of the
   * outer one. When the file cannot be written (disk full, I/O error, read-only) it throws
   * StorageUnavailableError, after telling `onStorageFailure`'s listeners.
   */
  run<T>(fn: () => T): T {
    if (this.refusal) throw this.refusal;
    const outermost = !this.db.inTransaction;
    const mark = this.waiting.length;
    let result: T;
    try {
      result = this.wrapped(fn) as T;
    } catch (err) {
      // What waited on this transaction (or savepoint) hears it was not stored.
      for (const settle of this.waiting.splice(mark)) settle(false);
      throw asStorageError(err, this.failureListeners);
    }
    if (outermost) for (const settle of this.waiting.splice(0)) settle(true);
    return result;
  }

  /**
   * Runs `fn` as part of the open transaction, or in one of its own when none is open. It takes no
   * savepoint: for a step that its caller never survives failing (the caller's transaction is then
   * rolled back whole), a savepoint per step cost a good part of the step itself.
   */
  join<T>(fn: () => T): T {
    return this.db.inTransaction ? fn() : this.run(fn);
  }

  /**
   * Resolves true once what the caller wrote so far is committed (at once outside a transaction),
   * false when it was rolled back.
   */
  committed(): Promise<boolean> {
    if (!this.db.inTransaction) return Promise.resolve(true);
    return new Promise((settle) => this.waiting.push(settle));
  }

  /** Runs `fn` as soon as the open transaction commits (at once outside one); never if it rolls back. */
  afterCommit(fn: () => void): void {
    if (!this.db.inTransaction) fn();
    else this.waiting.push((committed) => committed && fn());
  }

  /**
   * From now on every transaction throws `error` without running, and the listeners hear it now:
   * for a file that will not take writes again while it is open (deleted or replaced under us).
   */
  refuseFromNow(error: StorageUnavailableError): void {
    if (this.refusal) return;
    this.refusal = error;
    for (const listener of this.failureListeners) listener(error);
  }

  /**
   * Tells the listeners of a failure found besides a statement's own (the write probe's check for
   * room), as a failing statement tells them; returns it to be thrown.
   */
  failed(error: StorageUnavailableError): StorageUnavailableError {
    for (const listener of this.failureListeners) listener(error);
    return error;
  }

  /** Calls `listener` with each write that failed because the file cannot be written. */
  onStorageFailure(listener: (error: StorageUnavailableError) => void): void {
    this.failureListeners.push(listener);
  }
}
