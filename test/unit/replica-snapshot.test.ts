import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { createLogger } from "../../src/log.js";
import { downloadSnapshot, SnapshotSchemaError, SnapshotSource } from "../../src/bot/replica-snapshot.js";
import { StoreError } from "../../src/store/database.js";
import { Store } from "../../src/store/store.js";
import { clientXml as xml } from "../../src/xmpp/connect.js";
import { NS_MAUVE_REPLICA_SNAPSHOT as NS } from "../../src/xmpp/namespaces.js";
import {
  parseSnapshotChunk,
  parseSnapshotOffer,
  SNAPSHOT_CHUNK_BYTES,
  type SnapshotClient,
} from "../../src/xmpp/replica-snapshot.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { fakeClockCore } from "../helpers/fake-clock-core.js";
import { dumpTables } from "../helpers/db-dump.js";
import { testConfig } from "../helpers/test-config.js";

const config = testConfig(`people:\n  - { name: alice, jid: alice@mauve.localhost }\n`);
const origin = pubsubOrigin();
const quiet = createLogger({ level: "error" });

/** Publishes every captured write as the active's publisher would; the batches, in order. */
function publishAll(store: Store): Array<{ seq: number; data: string }> {
  const out: Array<{ seq: number; data: string }> = [];
  for (let batch = store.replica!.take(50); batch; batch = store.replica!.take(50)) {
    store.replica!.published(batch.seq);
    out.push({ seq: batch.seq, data: batch.data });
  }
  return out;
}

/** The standby's requests answered by the active's source directly (the transport is the integration test's). */
function directClient(source: SnapshotSource, tamper?: (offset: number, data: Buffer) => Buffer): SnapshotClient {
  return {
    async offer() {
      const offer = await source.offer();
      if ("ok" in offer) throw new Error(offer.condition);
      return offer;
    },
    async chunk(id, offset) {
      const data = await source.chunk(id, offset);
      if (!Buffer.isBuffer(data)) throw new Error(data.condition);
      return tamper ? tamper(offset, data) : data;
    },
  };
}

describe("replica snapshot (a standby the log no longer reaches)", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "mauve-snapshot-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function activeWithAlerts(count: number): Promise<{ store: Store; path: string; run: () => Promise<void> }> {
    const path = join(dir, "active.sqlite");
    const store = Store.open(path, { replicated: true });
    store.replica!.startCapture(() => undefined);
    const core = fakeClockCore({ store, clock: new FakeClock(), policy: config, channels: new Map() });
    let n = 0;
    const run = async (): Promise<void> => {
      for (let i = 0; i < count; i++, n++) await core.applyUpdate(update(`web${n % 7}`, [alert(`disk${n}`)]), origin);
      await core.idle();
    };
    await run();
    return { store, path, run };
  }

  it("copies only when the log has every write, so the copy holds exactly batches 1 to seq", async () => {
    const active = await activeWithAlerts(40);
    const copy = join(dir, "copy.sqlite");
    assert.equal(await active.store.snapshotForStandby(copy), null, "writes not yet in the log: no copy");
    assert.equal(existsSync(copy), false);
    const early = publishAll(active.store);
    const state = await active.store.snapshotForStandby(copy);
    assert.equal(state?.seq, early.at(-1)?.seq);
    assert.deepEqual(Store.checkSnapshot(copy), state, "marked clean, holding the log to seq, of the same schema");

    // The standby takes the copy and follows the log from seq + 1.
    await active.run();
    const later = publishAll(active.store);
    const standbyPath = join(dir, "standby.sqlite");
    Store.replaceWithSnapshot(copy, standbyPath);
    const standby = Store.open(standbyPath, { replicated: true });
    assert.equal(standby.replica!.clean, true);
    for (const batch of later) assert.equal(standby.replica!.apply(batch.seq, batch.data), "applied");
    standby.close();
    active.store.close();
    assert.deepEqual(dumpTables(standbyPath, ["replica_state"]), dumpTables(active.path, ["replica_state"]));
  });

  it("serves a copy in chunks of at most 32 KiB; the standby verifies size, SHA-256 and integrity", async () => {
    const active = await activeWithAlerts(300);
    publishAll(active.store);
    const clock = new FakeClock();
    const source = new SnapshotSource({
      store: active.store,
      databasePath: active.path,
      flushed: () => Promise.resolve(),
      clock,
      log: quiet,
    });
    const chunks: number[] = [];
    const standbyPath = join(dir, "standby.sqlite");
    const got = await downloadSnapshot(
      directClient(source, (_offset, data) => {
        chunks.push(data.length);
        return data;
      }),
      standbyPath,
      active.store.replica!.schema,
    );
    assert.ok(chunks.length >= 2, `a file of several chunks (${got.offer.sizeBytes} bytes)`);
    assert.ok(chunks.every((n) => n > 0 && n <= SNAPSHOT_CHUNK_BYTES));
    assert.equal(
      chunks.reduce((a, b) => a + b, 0),
      got.offer.sizeBytes,
    );
    assert.equal(got.offer.seq, active.store.replica!.seq);
    Store.replaceWithSnapshot(got.path, standbyPath);
    active.store.close();
    assert.deepEqual(dumpTables(standbyPath, ["replica_state"]), dumpTables(active.path, ["replica_state"]));

    // An old id is refused once a new copy replaced it; the copy is removed when the source stops.
    const reopened = Store.open(active.path, { replicated: true });
    const source2 = new SnapshotSource({
      store: reopened,
      databasePath: active.path,
      flushed: () => Promise.resolve(),
      clock,
      log: quiet,
    });
    const first = await source2.offer();
    const second = await source2.offer();
    assert.ok(!("ok" in first) && !("ok" in second));
    const stale = await source2.chunk(first.id, 0);
    assert.ok(!Buffer.isBuffer(stale) && stale.condition === "item-not-found");
    assert.ok(existsSync(`${active.path}.snapshot-out`));
    clock.advance(6 * 60_000);
    // The removal is file I/O: wait for it (generously) rather than for a turn of the loop.
    for (let i = 0; i < 100 && existsSync(`${active.path}.snapshot-out`); i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(existsSync(`${active.path}.snapshot-out`), false, "an unused copy is removed after a few minutes");
    await source2.stop();
    reopened.close();
  });

  it("refuses the copy of an active of another schema before fetching a byte of it, and one whose file is of another schema", async () => {
    const active = await activeWithAlerts(100);
    publishAll(active.store);
    const source = new SnapshotSource({
      store: active.store,
      databasePath: active.path,
      flushed: () => Promise.resolve(),
      clock: new FakeClock(),
      log: quiet,
    });
    const ownSchema = active.store.replica!.schema;
    const standbyPath = join(dir, "standby.sqlite");
    let fetched = 0;
    const counting = directClient(source, (_offset, data) => {
      fetched++;
      return data;
    });
    // A standby of the next version: the offer says the active's schema, one below.
    await assert.rejects(
      downloadSnapshot(counting, standbyPath, ownSchema + 1),
      (err: unknown) =>
        err instanceof SnapshotSchemaError &&
        err.activeSchema === ownSchema &&
        /must run the same version of mauve-xmpp/.test(err.message),
    );
    assert.equal(fetched, 0, "nothing fetched");
    // An active too old to say its schema in the offer.
    const unsaid: SnapshotClient = {
      offer: async () => {
        const { schema: _schema, ...offer } = await counting.offer();
        return offer;
      },
      chunk: (id, offset) => counting.chunk(id, offset),
    };
    await assert.rejects(
      downloadSnapshot(unsaid, standbyPath, ownSchema),
      (err: unknown) => err instanceof SnapshotSchemaError && err.activeSchema === null,
    );
    // An offer that says one schema for a file of another: the file is what counts.
    const lying: SnapshotClient = {
      offer: async () => ({ ...(await counting.offer()), schema: ownSchema + 1 }),
      chunk: (id, offset) => counting.chunk(id, offset),
    };
    await assert.rejects(
      downloadSnapshot(lying, standbyPath, ownSchema + 1),
      (err: unknown) => err instanceof SnapshotSchemaError && err.activeSchema === ownSchema,
    );
    assert.ok(fetched > 0);
    assert.equal(existsSync(`${standbyPath}.snapshot-in`), false, "no file left behind");
    await source.stop();
    active.store.close();
  });

  it("rejects a copy damaged on the way, and leaves no file behind", async () => {
    const active = await activeWithAlerts(100);
    publishAll(active.store);
    const source = new SnapshotSource({
      store: active.store,
      databasePath: active.path,
      flushed: () => Promise.resolve(),
      clock: new FakeClock(),
      log: quiet,
    });
    const standbyPath = join(dir, "standby.sqlite");
    await assert.rejects(
      downloadSnapshot(
        directClient(source, (offset, data) => {
          if (offset === SNAPSHOT_CHUNK_BYTES) data[100] = (data[100] ?? 0) ^ 0xff;
          return data;
        }),
        standbyPath,
        active.store.replica!.schema,
      ),
      /SHA-256/,
    );
    assert.equal(existsSync(`${standbyPath}.snapshot-in`), false);
    await source.stop();
    active.store.close();
  });

  it("refuses a damaged or unclean file at the integrity check", async () => {
    const active = await activeWithAlerts(20);
    publishAll(active.store);
    active.store.close();
    const unclean = join(dir, "unclean.sqlite");
    copyFileSync(active.path, unclean);
    const db = new Database(unclean);
    db.prepare("UPDATE replica_state SET clean = 0").run();
    db.close();
    assert.throws(() => Store.checkSnapshot(unclean), /not marked clean/);
    const garbage = join(dir, "garbage.sqlite");
    writeFileSync(garbage, Buffer.alloc(8192, 7));
    assert.throws(() => Store.checkSnapshot(garbage), StoreError);
  });

  it("reads offers and chunks, and refuses malformed ones with a clear error", () => {
    const sha256 = "ab".repeat(32);
    assert.deepEqual(parseSnapshotOffer(xml("snapshot", { xmlns: NS, id: "x1", size: 70000, sha256, seq: 42 })), {
      id: "x1",
      sizeBytes: 70000,
      sha256,
      seq: 42,
    });
    for (const attrs of [
      { id: "x1", size: 1, sha256, seq: -1 },
      { id: "x1", size: "1e3", sha256, seq: 1 },
      { id: "x1", size: 1, sha256: "zz", seq: 1 },
      { size: 1, sha256, seq: 1 },
    ])
      assert.throws(
        () => parseSnapshotOffer(xml("snapshot", { xmlns: NS, ...attrs })),
        /needs id, size, sha256 and seq/,
      );

    const bytes = Buffer.from("some bytes of a database file");
    const chunk = (attrs: Record<string, string | number>, text: string) => xml("chunk", { xmlns: NS, ...attrs }, text);
    assert.deepEqual(parseSnapshotChunk(chunk({ id: "x1", offset: 64 }, bytes.toString("base64")), "x1", 64), bytes);
    assert.throws(() => parseSnapshotChunk(chunk({ id: "x1", offset: 0 }, "AAAA"), "x1", 64), /expected x1@64/);
    assert.throws(() => parseSnapshotChunk(chunk({ id: "x2", offset: 64 }, "AAAA"), "x1", 64), /expected x1@64/);
    assert.throws(() => parseSnapshotChunk(chunk({ id: "x1", offset: 0 }, "not base64!"), "x1", 0), /not base64/);
    const tooBig = Buffer.alloc(SNAPSHOT_CHUNK_BYTES + 1).toString("base64");
    assert.throws(() => parseSnapshotChunk(chunk({ id: "x1", offset: 0 }, tooBig), "x1", 0), /more than/);
  });
});
