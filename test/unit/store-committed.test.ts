// What leaves the process because of a write waits for its commit (Store.committed), and what
// SQLite says about a file that cannot be written is told apart from a caller's own error.
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { Store } from "../../src/store/store.js";
import { StoreError } from "../../src/store/database.js";
import { passingOpenFailure, storageFailure } from "../../src/store/storage-failure.js";
import { Transactions } from "../../src/store/transactions.js";

describe("Store.committed: side effects wait for the commit", () => {
  let store: Store;
  beforeEach(() => {
    store = Store.open(":memory:");
  });
  afterEach(() => store.close());

  it("is true at once outside a transaction", async () => {
    assert.equal(await store.committed(), true);
  });

  it("is true only after the transaction committed, and false when it was rolled back", async () => {
    const order: string[] = [];
    let committed!: Promise<boolean>;
    store.transaction(() => {
      store.policy.setBotState("k", "1");
      committed = store.committed();
      void committed.then(() => order.push("told"));
      order.push("end of transaction");
    });
    order.push("after commit");
    assert.equal(await committed, true);
    assert.deepEqual(order, ["end of transaction", "after commit", "told"]);

    let rolledBack!: Promise<boolean>;
    assert.throws(() =>
      store.transaction(() => {
        store.policy.setBotState("k", "2");
        rolledBack = store.committed();
        throw new Error("the caller's own error");
      }),
    );
    assert.equal(await rolledBack, false);
    assert.equal(store.policy.botState("k"), "1");
  });

  it("a savepoint rolled back alone is false, the rest of its transaction true", async () => {
    let inner!: Promise<boolean>;
    let outer!: Promise<boolean>;
    store.transaction(() => {
      outer = store.committed();
      try {
        store.transaction(() => {
          inner = store.committed();
          throw new Error("one update fails alone");
        });
      } catch {
        // rolled back to its savepoint; the batch goes on
      }
    });
    assert.deepEqual(await Promise.all([inner, outer]), [false, true]);
  });
});

describe("storageFailure: which SQLite errors mean the file cannot be written", () => {
  const error = (code: string, message: string): Error => new Database.SqliteError(message, code);

  it("names disk full, I/O errors, read-only and damaged files with their code", () => {
    assert.equal(
      storageFailure(error("SQLITE_FULL", "database or disk is full")),
      "database or disk is full (SQLITE_FULL)",
    );
    assert.equal(storageFailure(error("SQLITE_IOERR_WRITE", "disk I/O error")), "disk I/O error (SQLITE_IOERR_WRITE)");
    assert.equal(
      storageFailure(error("SQLITE_READONLY_DBMOVED", "attempt to write a readonly database")),
      "attempt to write a readonly database (SQLITE_READONLY_DBMOVED)",
    );
    assert.ok(storageFailure(error("SQLITE_CORRUPT", "database disk image is malformed")));
  });

  it("leaves the caller's own errors alone", () => {
    assert.equal(storageFailure(error("SQLITE_CONSTRAINT_UNIQUE", "UNIQUE constraint failed")), null);
    assert.equal(storageFailure(error("SQLITE_ERROR", "no such table: x")), null);
    // A family's name must be the whole code or its prefix up to "_": not merely a prefix.
    assert.equal(storageFailure(error("SQLITE_FULLER", "made up")), null);
    assert.equal(storageFailure(new Error("database or disk is full")), null);
    assert.equal(storageFailure("SQLITE_FULL"), null);
  });
});

describe("passingOpenFailure: which failures to open the database are waited out at start", () => {
  const error = (code: string, message: string): Error => new Database.SqliteError(message, code);
  const opening = (cause: Error): StoreError =>
    new StoreError(`/var/lib/x.sqlite: cannot open the database: ${cause.message}`, { cause });

  it("waits for a full, failing or read-only disk, as the store names it (StoreError, SQLite's error its cause)", () => {
    assert.equal(
      passingOpenFailure(opening(error("SQLITE_IOERR_SHMSIZE", "disk I/O error"))),
      "disk I/O error (SQLITE_IOERR_SHMSIZE)",
    );
    assert.ok(passingOpenFailure(opening(error("SQLITE_FULL", "database or disk is full"))));
    assert.ok(passingOpenFailure(error("SQLITE_READONLY", "attempt to write a readonly database")));
  });

  it("does not wait for what waiting will not mend: a damaged file, a path it cannot open, the caller's errors", () => {
    assert.equal(passingOpenFailure(opening(error("SQLITE_NOTADB", "file is not a database"))), null);
    assert.equal(passingOpenFailure(opening(error("SQLITE_CORRUPT", "database disk image is malformed"))), null);
    assert.equal(passingOpenFailure(opening(error("SQLITE_CANTOPEN", "unable to open database file"))), null);
    assert.equal(passingOpenFailure(new StoreError("/var/lib/x.sqlite: integrity check failed: row 3 missing")), null);
    assert.equal(passingOpenFailure(new Error("disk I/O error")), null);
  });
});

describe("Transactions.afterCommit: what lets go of memory runs only once the write is stored", () => {
  it("runs at once outside a transaction, after the outermost commit inside one, and never after a rollback", () => {
    const db = new Database(":memory:");
    const tx = new Transactions(db);
    db.exec("CREATE TABLE t (v INTEGER)");
    const ran: string[] = [];

    tx.afterCommit(() => ran.push("outside"));
    assert.deepEqual(ran, ["outside"]);

    tx.run(() => {
      db.exec("INSERT INTO t VALUES (1)");
      tx.run(() => tx.afterCommit(() => ran.push("nested, kept")));
      assert.throws(() =>
        tx.run(() => {
          tx.afterCommit(() => ran.push("nested, rolled back"));
          throw new Error("the savepoint's own error");
        }),
      );
      assert.deepEqual(ran, ["outside"], "nothing before the outermost commit");
    });
    assert.deepEqual(ran, ["outside", "nested, kept"]);

    assert.throws(() =>
      tx.run(() => {
        tx.afterCommit(() => ran.push("rolled back"));
        throw new Error("the caller's own error");
      }),
    );
    assert.deepEqual(ran, ["outside", "nested, kept"]);
    db.close();
  });
});
