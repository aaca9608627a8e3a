// The agent's outbox and the bot's store on a real full disk (a small tmpfs filled to the last byte): updates it cannot
// write are kept in memory behind those on disk, in order and sequence; a confirmed one whose row
// cannot be deleted is not sent again; a collapse collapses memory too; once space is freed the
// first write puts everything on disk, counter included, so a reopened outbox goes on from there.
// The bot's store says when it cannot write, and its probe cannot succeed while the disk is full.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import Database from "better-sqlite3";
import { join } from "node:path";
import { StorageUnavailableError } from "../../src/errors.js";
import { Outbox } from "../../src/store/outbox.js";
import { Store } from "../../src/store/store.js";
import { fillDisk, withSmallDisk } from "../helpers/small-disk.js";

const build = (label: string) => (sequence: bigint) => ({
  transmissionId: 1000n + sequence,
  data: `${label}-data`,
  text: label,
});

describe("the agent's outbox on a full disk", function () {
  this.timeout(30_000);
  const disk = withSmallDisk("mauve-outbox-disk-full-", "1m");
  after(() => disk.release());

  it("keeps order and sequence in memory, skips what was confirmed, and writes it all out once it can", () => {
    const path = join(disk.data, "outbox.sqlite");
    let outbox = new Outbox(path);
    const failures: string[] = [];
    outbox.onStorageFailure((e) => failures.push(e.reason));
    outbox.enqueue(build("a"), 1);
    outbox.enqueue(build("b"), 2);

    const filler = fillDisk(disk.data);
    const c = outbox.enqueue(build("c"), 3);
    const d = outbox.enqueue(build("d"), 4);
    assert.ok(failures.length > 0 && failures.every((r) => /SQLITE_FULL/.test(r)), failures.join("; "));
    assert.deepEqual([c.sequence, d.sequence], [3n, 4n]);
    assert.equal(outbox.size(), 4);
    assert.throws(() => outbox.writeOut(), StorageUnavailableError);

    // Published in order: a, then b, whose rows cannot be deleted, then c from memory.
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) {
      const head = outbox.peek()!;
      sent.push(`${head.sequence}:${head.text}`);
      outbox.remove(head.sequence);
    }
    assert.deepEqual(sent, ["1:a", "2:b", "3:c"]);
    assert.equal(outbox.size(), 1);
    assert.equal(outbox.peek()?.text, "d");

    // Space freed: one write puts d on disk, forgets a and b, and moves the counter past d.
    rmSync(filler);
    const e = outbox.enqueue(build("e"), 5);
    assert.equal(e.sequence, 5n);
    outbox.close();
    outbox = new Outbox(path);
    assert.equal(outbox.size(), 2);
    assert.deepEqual([outbox.peek()?.sequence, outbox.peek()?.text], [4n, "d"]);
    assert.equal(outbox.enqueue(build("f"), 6).sequence, 6n);
    outbox.close();
  });

  it("collapses memory and disk into one full state while full, and counts it once it can write", () => {
    const path = join(disk.data, "collapse.sqlite");
    let outbox = new Outbox(path);
    outbox.enqueue(build("a"), 1);
    const filler = fillDisk(disk.data);
    outbox.enqueue(build("b"), 2);
    assert.equal(outbox.collapse(build("full"), 3), 2);
    assert.equal(outbox.size(), 1);
    assert.deepEqual([outbox.peek()?.sequence, outbox.peek()?.text], [3n, "full"]);
    assert.equal(outbox.collapsedTotal(), 2);
    rmSync(filler);
    outbox.writeOut();
    outbox.close();
    outbox = new Outbox(path);
    assert.deepEqual([outbox.size(), outbox.peek()?.text, outbox.collapsedTotal()], [1, "full", 2]);
    assert.equal(outbox.enqueue(build("next"), 4).sequence, 4n);
    outbox.close();
  });

  it("a write-out with nothing held still fails while the disk is full, so a probe cannot say it is over too soon", () => {
    const outbox = new Outbox(join(disk.data, "probe.sqlite"));
    outbox.enqueue(build("a"), 1);
    outbox.remove(outbox.peek()!.sequence);
    const filler = fillDisk(disk.data);
    try {
      assert.throws(() => outbox.writeOut(), StorageUnavailableError);
      assert.throws(() => outbox.writeOut(), StorageUnavailableError);
    } finally {
      rmSync(filler);
    }
    outbox.writeOut();
    outbox.close();
  });
});

describe("the bot's store on a full disk", function () {
  this.timeout(30_000);
  const disk = withSmallDisk("mauve-store-disk-full-", "2m");
  after(() => disk.release());

  it("takes the instance lock without writing a byte, so a restart on a full disk gets as far as saying so", () => {
    const filler = fillDisk(disk.data);
    try {
      const path = join(disk.data, "fresh.sqlite");
      const lock = Store.lockFor(path);
      assert.throws(() => Store.lockFor(path), /another AlertBot is using this database/);
      lock.release();
    } finally {
      rmSync(filler);
    }
  });

  it("refuses writes as StorageUnavailableError, tells its listeners, and its probe fails until space is freed", () => {
    const store = Store.open(join(disk.data, "alertbot.sqlite"));
    const told: string[] = [];
    store.onStorageFailure((e) => told.push(e.reason));
    store.probeWrite(1);
    const filler = fillDisk(disk.data);
    try {
      // Pages the WAL already holds may take a few more commits.
      let refusedAt: number | null = null;
      for (let at = 2; refusedAt === null && at < 2000; at++) {
        try {
          store.probeWrite(at);
        } catch (err) {
          assert.ok(err instanceof StorageUnavailableError, String(err));
          refusedAt = at;
        }
      }
      assert.notEqual(refusedAt, null, "the probe never failed on a full disk");
      // The same moment again: the probe still writes, and still fails.
      assert.throws(() => store.probeWrite(refusedAt!), StorageUnavailableError);
      assert.throws(
        () => store.transaction(() => store.policy.setBotState("note", "x".repeat(4000))),
        (err: unknown) => err instanceof StorageUnavailableError && /SQLITE_FULL/.test(err.message),
      );
      assert.equal(told.length, 3);
      // A caller's own error is its own, not the storage's.
      assert.throws(
        () =>
          store.transaction(() => {
            throw new Error("the caller's");
          }),
        (err: unknown) => !(err instanceof StorageUnavailableError),
      );
      assert.equal(told.length, 3);
    } finally {
      rmSync(filler);
    }
    store.probeWrite(3);
    store.close();
  });

  // A checkpoint copies the WAL into the database's own pages, which need no new space, and the
  // next commit then writes the WAL again from its start: a small write commits on a disk with not
  // a byte free. The probe told people it was over while the disk was still full (seen in CI).
  it("its probe fails on a full disk even where a checkpoint lets SQLite reuse the WAL, and tells its listeners", () => {
    const path = join(disk.data, "reuse.sqlite");
    const store = Store.open(path);
    const told: string[] = [];
    store.onStorageFailure((e) => told.push(e.reason));
    for (let at = 1; at <= 50; at++) store.probeWrite(at);
    // The background checkpointer's own connection, as in AlertBot: every page is in the database.
    const other = new Database(path);
    try {
      other.pragma("wal_checkpoint(PASSIVE)");
    } finally {
      other.close();
    }
    const filler = fillDisk(disk.data);
    try {
      assert.throws(() => store.probeWrite(51), /disk is full/);
      assert.throws(() => store.probeWrite(52), /disk is full/);
      // As any write that fails tells them: AlertBot hears nobody until the probe passes.
      assert.equal(told.length, 2);
    } finally {
      rmSync(filler);
    }
    store.probeWrite(53);
    store.close();
  });
});
