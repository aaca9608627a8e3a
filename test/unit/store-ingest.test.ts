import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { nextDueAt, ackAlert } from "../../src/alerts/state-machine.js";
import { Store } from "../../src/store/store.js";
import { AlertStore } from "../../src/store/alert-store.js";
import { UDP_DUPLICATE_WINDOW_MS, ingestUpdate, processDue } from "../../src/ingest/ingest-update.js";
import { sourceToNodeName } from "../../src/codec/source-name.js";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { openDatabase, PAGE_SIZE, WAL_CHECKPOINT_BYTES } from "../../src/store/database.js";
import { alert, update } from "../helpers/updates.js";

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const pubsub = (source: string, publisher = "web1@mauve.localhost") => ({
  via: "pubsub" as const,
  node: sourceToNodeName(source),
  publisher,
});

/** A SQLite file made before the store, with pages of `bytes` (as files from before 1 KiB pages were). */
function fileWithPages(path: string, bytes: number): string {
  const raw = new Database(path);
  raw.pragma(`page_size = ${bytes}`);
  raw.exec("CREATE TABLE t (x)");
  raw.close();
  return path;
}

describe("store + ingest (real SQLite file)", () => {
  let dir: string;
  let path: string;
  let store: Store;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mauve-store-"));
    path = join(dir, "bot.sqlite");
    store = Store.open(path);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("migrates a new file to the newest schema in WAL mode", () => {
    assert.equal(store.schemaVersion(), MIGRATIONS.at(-1)?.version);
  });

  // Issue 17: a savepoint's journal past 64 KiB used to spill to a temporary file, a write() per
  // page an update changed (a third of the bot's time on a 100-alert update was spent there).
  it("keeps the journal of a nested transaction in memory: no temporary file, however large", () => {
    const deletedFiles = (): string[] =>
      readdirSync("/proc/self/fd")
        .map((fd) => {
          try {
            return readlinkSync(`/proc/self/fd/${fd}`);
          } catch {
            return "";
          }
        })
        .filter((target) => target.endsWith("(deleted)"));
    const before = deletedFiles();
    let during: string[] = [];
    const alerts = Array.from({ length: 400 }, (_, i) =>
      alert(`check-${i}`, { summary: `a summary long enough to fill pages ${"x".repeat(200)}` }),
    );
    store.transaction(() => {
      ingestUpdate(store, update("web1", alerts.slice(0, 10)), pubsub("web1"), T0);
      store.transaction(() => ingestUpdate(store, update("web1", alerts), pubsub("web1"), T0 + 1_000));
      store.transaction(() => ingestUpdate(store, update("web2", alerts), pubsub("web2"), T0 + 2_000));
      during = deletedFiles();
    });
    assert.deepEqual(during, before, "SQLite opened a temporary (unlinked) file for the savepoint journal");
    assert.equal(store.alerts.countRaised(), 800);
  });

  it("lists the people with a delivery ready, each once, and not those whose deliveries wait or are done", () => {
    ingestUpdate(store, update("web1", [alert("disk")]), pubsub("web1"), T0);
    const d = (person: string) => ({ person, shortId: 1 });
    store.policy.addDeliveries([d("bob")], T0, T0 + 60_000); // a fallback, waiting a minute
    store.policy.addDeliveries([d("carol"), d("alice"), d("alice"), d("bob")], T0);
    store.policy.addDeliveries([d("dave")], T0, T0 + 1);
    store.policy.addDeliveries([d("erin")], T0);
    for (const done of store.policy.pending("carol", T0)) store.policy.finish(done.id, "sent", T0);
    for (const done of store.policy.pending("erin", T0)) store.policy.finish(done.id, "digested", T0);
    assert.deepEqual(store.policy.peopleWithPending(T0).sort(), ["alice", "bob"]);
    assert.deepEqual(store.policy.peopleWithPending(T0 + 1).sort(), ["alice", "bob", "dave"]);
    for (const done of store.policy.pending("bob", T0)) store.policy.finish(done.id, "sent", T0);
    assert.deepEqual(store.policy.peopleWithPending(T0 + 1).sort(), ["alice", "dave"], "bob's fallback still waits");
    assert.deepEqual(store.policy.peopleWithPending(T0 + 60_000).sort(), ["alice", "bob", "dave"]);
  });

  it("checkpoints the WAL at about 4 MiB whatever the file's page size (SQLite counts pages, not bytes)", () => {
    const walLimitBytes = (file: string): number => {
      const db = openDatabase(file);
      try {
        const pages = db.pragma("wal_autocheckpoint", { simple: true }) as number;
        return pages * (db.pragma("page_size", { simple: true }) as number);
      } finally {
        db.close();
      }
    };
    assert.equal(WAL_CHECKPOINT_BYTES, 4 * 1024 * 1024);
    assert.equal(walLimitBytes(join(dir, "new.sqlite")), WAL_CHECKPOINT_BYTES);
    const old = fileWithPages(join(dir, "old.sqlite"), 4096);
    assert.equal(walLimitBytes(old), WAL_CHECKPOINT_BYTES);
  });

  it("returns from a save exactly the record that a read gives back: new, changed, and saved again by number", () => {
    const first = ingestUpdate(
      store,
      update("web1", [alert("disk", { summary: "97% full", importance: 60 })]),
      pubsub("web1"),
      T0,
    );
    assert.equal(first.status, "applied");
    const saved = first.status === "applied" ? first.changes[0]!.alert : undefined;
    assert.deepEqual(saved, store.alerts.get(saved!.shortId));
    const again = ingestUpdate(
      store,
      update("web1", [alert("disk", { summary: "99% full", importance: 60 })]),
      pubsub("web1"),
      T0 + 1_000,
    );
    const changed = again.status === "applied" ? again.changes[0]!.alert : undefined;
    assert.equal(changed?.summary, "99% full");
    assert.deepEqual(changed, store.alerts.get(saved!.shortId));
    const byNumber = store.alerts.save({ ...changed, subject: "db1", updatedAt: T0 + 2_000 });
    assert.equal(byNumber.shortId, saved!.shortId);
    assert.deepEqual(byNumber, store.alerts.get(saved!.shortId));
    const { shortId: _dropped, ...unnumbered } = byNumber;
    const upserted = store.alerts.save({ ...unnumbered, summary: "upserted by key" });
    assert.equal(upserted.shortId, saved!.shortId, "the same (source, id) keeps its number");
    assert.deepEqual(upserted, store.alerts.get(saved!.shortId));
  });

  it("makes a new file with small pages, and keeps the page size of a file that exists", () => {
    store.close();
    const pageSize = (file: string): number => {
      const db = new Database(file, { readonly: true });
      try {
        return db.pragma("page_size", { simple: true }) as number;
      } finally {
        db.close();
      }
    };
    assert.equal(pageSize(path), PAGE_SIZE);
    assert.equal(PAGE_SIZE, 1024);
    const old = fileWithPages(join(dir, "old.sqlite"), 4096);
    const reopened = Store.open(old);
    reopened.close();
    assert.equal(pageSize(old), 4096);
    store = Store.open(path);
  });

  it("reads, records and finishes for many alerts in one statement each, as one by one would", () => {
    ingestUpdate(
      store,
      update(
        "web1",
        ["a", "b", "c"].map((id) => alert(id, { detail: `<p>${id.repeat(1000)}</p>` })),
      ),
      pubsub("web1"),
      T0,
    );
    const [a, b, c] = ["a", "b", "c"].map((id) => store.alerts.find("web1", id)!.shortId) as [number, number, number];
    assert.equal(store.alerts.get(a)!.detail.length, 1007);
    assert.deepEqual(
      store.alerts.briefEach([c, 999, a, b]),
      [c, a, b].map((id) => ({ ...store.alerts.get(id)!, detail: "" })),
      "in the order given, without the detail; an unknown number is left out",
    );
    assert.deepEqual(store.alerts.briefEach([]), []);
    store.alerts.recordEach([b, c], { kind: "notified", at: T0 + 5, actor: "bot", detail: "digest to alice" });
    const told = (id: number) => store.alerts.history(id).map((h) => [h.kind, h.at, h.actor, h.detail]);
    assert.deepEqual(told(a), [["raised", T0, "web1@mauve.localhost", ""]]);
    for (const id of [b, c])
      assert.deepEqual(told(id), [
        ["raised", T0, "web1@mauve.localhost", ""],
        ["notified", T0 + 5, "bot", "digest to alice"],
      ]);
    store.policy.addDeliveries(
      [a, b, c].map((shortId) => ({ person: "alice", shortId })),
      T0,
    );
    const ids = store.policy.pending("alice", T0).map((d) => d.id);
    store.policy.finishEach(ids.slice(0, 2), "digested", T0 + 9);
    assert.deepEqual(
      store.policy
        .deliveriesOf(a)
        .concat(store.policy.deliveriesOf(b), store.policy.deliveriesOf(c))
        .map((d) => [d.status, d.updatedAt]),
      [
        ["digested", T0 + 9],
        ["digested", T0 + 9],
        ["pending", T0],
      ],
    );
  });

  it("tells of 20 alerts with long histories in a commit of a few pages, not a page (or more) per alert", () => {
    const ids = Array.from({ length: 20 }, (_, i) => {
      ingestUpdate(store, update(`web${i}`, [alert("disk")]), pubsub(`web${i}`, `web${i}@mauve.localhost`), T0);
      return store.alerts.find(`web${i}`, "disk")!.shortId;
    });
    const line = (n: number) => ({
      kind: "notified" as const,
      at: T0 + n,
      actor: "bot",
      detail: `digest ${n} to alice`,
    });
    // A hundred notices each, interleaved, as alerts that flap together have them.
    store.transaction(() => {
      for (let n = 1; n <= 100; n++) for (const id of ids) store.alerts.record(id, [line(n)]);
    });
    store.close();
    const db = openDatabase(path);
    try {
      db.pragma("wal_checkpoint(TRUNCATE)");
      const alerts = new AlertStore(db);
      db.transaction(() => alerts.recordEach(ids, line(101)))();
      const frames = (statSync(`${path}-wal`).size - 32) / (PAGE_SIZE + 24);
      assert.ok(frames <= 8, `one line for each of 20 alerts wrote ${frames} pages`);
      for (const id of ids) {
        const told = alerts.history(id);
        assert.equal(told.length, 102, "the raise and every notice, each once");
        assert.deepEqual(
          told.map((h) => h.at),
          [T0, ...Array.from({ length: 101 }, (_, n) => T0 + n + 1)],
          "oldest first",
        );
      }
    } finally {
      db.close();
    }
    store = Store.open(path);
  });

  it("stores a raise with a short id and its history", () => {
    const out = ingestUpdate(store, update("web1", [alert("disk", { summary: "97% full" })]), pubsub("web1"), T0);
    assert.equal(out.status, "applied");
    const rec = store.alerts.find("web1", "disk")!;
    assert.equal(rec.status, "raised");
    assert.equal(typeof rec.shortId, "number");
    assert.deepEqual(
      store.alerts.history(rec.shortId).map((h) => [h.kind, h.actor]),
      [["raised", "web1@mauve.localhost"]],
    );
    assert.equal(store.alerts.get(rec.shortId)?.summary, "97% full");
  });

  it("applies a transmission once, even after the bot restarts", () => {
    const u = update("web1", [alert("disk")], { transmissionId: 18_446_744_073_709_551_615n });
    assert.equal(ingestUpdate(store, u, pubsub("web1"), T0).status, "applied");
    assert.equal(ingestUpdate(store, u, pubsub("web1"), T0 + 1).status, "duplicate");
    store.close();
    store = Store.open(path);
    assert.equal(ingestUpdate(store, u, pubsub("web1"), T0 + 2).status, "duplicate");
    assert.equal(store.alerts.history(store.alerts.find("web1", "disk")!.shortId).length, 1);
  });

  it("applies a sequenced update once, across a restart, without a transmissions row of its own", () => {
    const u = update("web1", [alert("disk")], { sequence: 7n, transmissionId: 18_446_744_073_709_551_614n });
    assert.equal(ingestUpdate(store, u, pubsub("web1"), T0).status, "applied");
    assert.equal(store.transmissions.count(), 0, "a sequenced update is known by its source's row");
    assert.equal(ingestUpdate(store, u, pubsub("web1"), T0 + 1).status, "duplicate");
    store.close();
    store = Store.open(path);
    assert.equal(ingestUpdate(store, u, pubsub("web1"), T0 + 2).status, "duplicate");
    // The same update over another path (UDP) is the same transmission.
    assert.equal(ingestUpdate(store, u, { via: "udp" }, T0 + 3).status, "duplicate");
    assert.equal(store.alerts.history(store.alerts.find("web1", "disk")!.shortId).length, 1);
    // Without a sequence (mauvesend), the id is all there is: it is kept in the transmissions table.
    const unsequenced = update("web1", [alert("disk", { clearTimeS: 1 })]);
    assert.equal(ingestUpdate(store, unsequenced, { via: "udp" }, T0 + 4).status, "applied");
    assert.equal(store.transmissions.count(), 1);
    store.close();
    store = Store.open(path);
    assert.equal(ingestUpdate(store, unsequenced, { via: "udp" }, T0 + 5).status, "duplicate");
    assert.equal(store.alerts.history(store.alerts.find("web1", "disk")!.shortId).length, 2);
  });

  it("takes a UDP sender's transmission id as new again past Mauve's 5 minutes, and a pubsub one never", () => {
    // A sender whose ids count from 1 again after a restart, or never change: Mauve forgets an id
    // after 300 s; kept for good, every later update of such a sender was dropped as a duplicate.
    const raise = update("web1", [alert("disk")], { transmissionId: 1n });
    const clear = update("web1", [alert("disk", { clearTimeS: 1 })], { transmissionId: 1n });
    assert.equal(ingestUpdate(store, raise, { via: "udp" }, T0).status, "applied");
    assert.equal(ingestUpdate(store, clear, { via: "udp" }, T0 + UDP_DUPLICATE_WINDOW_MS).status, "duplicate");
    assert.equal(ingestUpdate(store, clear, { via: "udp" }, T0 + UDP_DUPLICATE_WINDOW_MS + 1).status, "applied");
    assert.equal(store.alerts.find("web1", "disk")?.status, "cleared");
    // Applied again, the id is a duplicate for another 5 minutes from then.
    assert.equal(ingestUpdate(store, raise, { via: "udp" }, T0 + 2 * UDP_DUPLICATE_WINDOW_MS).status, "duplicate");
    assert.equal(ingestUpdate(store, raise, { via: "udp" }, T0 + 2 * UDP_DUPLICATE_WINDOW_MS + 2).status, "applied");
    // A node's retained items are read again at every start, whatever their age.
    const published = update("web2", [alert("disk")]);
    assert.equal(ingestUpdate(store, published, pubsub("web2", "web2@mauve.localhost"), T0).status, "applied");
    assert.equal(
      ingestUpdate(store, published, pubsub("web2", "web2@mauve.localhost"), T0 + 86_400_000).status,
      "duplicate",
    );
  });

  it("refuses a replay of the first update of a sender that started afresh at 1", () => {
    const first = update("web1", [alert("a")], { sequence: 1n });
    assert.equal(ingestUpdate(store, first, pubsub("web1"), T0).status, "applied");
    const second = update("web1", [alert("a", { clearTimeS: 1 })], { sequence: 2n });
    assert.equal(ingestUpdate(store, second, pubsub("web1"), T0 + 1).status, "applied");
    // Sequence 1 alone would pass as a fresh start and raise "a" again.
    assert.equal(ingestUpdate(store, first, pubsub("web1"), T0 + 2).status, "duplicate");
    assert.equal(store.alerts.find("web1", "a")?.status, "cleared");
  });

  it("refuses what a reinstalled agent's node kept from before, when the bot re-reads it at a start", () => {
    // The node keeps its last 20 items; an agent reinstalled starts its sequence again at 1.
    const before = Array.from({ length: 30 }, (_, i) =>
      update("web1", [alert("a", i % 2 === 0 ? {} : { clearTimeS: 1 })], { sequence: BigInt(i + 1) }),
    );
    for (const [i, u] of before.entries())
      assert.equal(ingestUpdate(store, u, pubsub("web1"), T0 + i).status, "applied");
    const after = [1n, 2n, 3n].map((sequence) =>
      update("web1", [alert("b", sequence === 3n ? { clearTimeS: 1 } : {})], { sequence }),
    );
    for (const u of after) assert.equal(ingestUpdate(store, u, pubsub("web1"), T0 + 100).status, "applied");
    store.close();
    store = Store.open(path);
    // What the node holds now: the last 17 from before, and the 3 since; sorted by sequence as catch-up does.
    const retained = [...after, ...before.slice(-17)];
    const outcomes = retained.map((u) => ingestUpdate(store, u, pubsub("web1"), T0 + 200).status);
    assert.deepEqual(outcomes, Array(20).fill("duplicate"));
    assert.equal(store.alerts.find("web1", "a")?.status, "cleared", "the old items did not apply again");
    assert.equal(store.alerts.find("web1", "b")?.status, "cleared");
    assert.equal(store.transmissions.count(), 0);
    const next = update("web1", [alert("b")], { sequence: 4n });
    assert.equal(ingestUpdate(store, next, pubsub("web1"), T0 + 300).status, "applied");
  });

  it("drops a stale sequence but accepts a sender that started afresh at 1", () => {
    ingestUpdate(store, update("web1", [alert("a")], { sequence: 5n }), pubsub("web1"), T0);
    const stale = ingestUpdate(
      store,
      update("web1", [alert("a", { clearTimeS: 1 })], { sequence: 4n }),
      pubsub("web1"),
      T0 + 1,
    );
    assert.deepEqual(stale, { status: "stale", sequence: 4n, lastSequence: 5n });
    assert.equal(store.alerts.find("web1", "a")?.status, "raised");
    const fresh = ingestUpdate(
      store,
      update("web1", [alert("a", { clearTimeS: 1 })], { sequence: 1n }),
      pubsub("web1"),
      T0 + 2,
    );
    assert.equal(fresh.status, "applied");
    assert.equal(store.alerts.find("web1", "a")?.status, "cleared");
  });

  it("orders a source by its agent's node alone: a sequence from UDP or HTTP is ignored, not taken as the source's", () => {
    const t = Math.floor(T0 / 1000);
    ingestUpdate(store, update("web1", [alert("disk", { raiseTimeS: t })], { sequence: 5n }), pubsub("web1"), T0);
    for (const via of ["udp", "http"] as const) {
      const other = update("web1", [alert(`x-${via}`, { raiseTimeS: t })], { sequence: 18446744073709551615n });
      assert.equal(ingestUpdate(store, other, { via }, T0 + 1).status, "applied");
    }
    const clear = update("web1", [alert("disk", { clearTimeS: t + 1 })], { sequence: 6n });
    assert.equal(ingestUpdate(store, clear, pubsub("web1"), T0 + 2).status, "applied", "the agent's next update");
    assert.equal(store.alerts.find("web1", "disk")?.status, "cleared");
  });

  it("rejects a source that does not match its node, and a publisher that is not the owner", () => {
    ingestUpdate(store, update("web1", [alert("a")]), pubsub("web1"), T0);
    const wrongNode = ingestUpdate(store, update("web2", [alert("a")]), pubsub("web1"), T0);
    assert.equal(wrongNode.status, "rejected");
    const wrongOwner = ingestUpdate(store, update("web1", [alert("b")]), pubsub("web1", "evil@mauve.localhost"), T0);
    assert.deepEqual(wrongOwner, {
      status: "rejected",
      reason: 'publisher evil@mauve.localhost is not the owner (web1@mauve.localhost) of source "web1"',
    });
    assert.equal(store.alerts.find("web1", "b"), undefined);
  });

  it("replace clears what the full state no longer names", () => {
    ingestUpdate(store, update("web1", [alert("a"), alert("b")]), pubsub("web1"), T0);
    ingestUpdate(store, update("web1", [alert("b")], { replace: true }), pubsub("web1"), T0 + 1000);
    assert.equal(store.alerts.find("web1", "a")?.status, "cleared");
    assert.equal(store.alerts.find("web1", "b")?.status, "raised");
    assert.deepEqual(
      store.alerts.list("raised").map((a) => a.alertId),
      ["b"],
    );
  });

  it("fires a missed heartbeat through the durable due index, across a reopen", () => {
    const s = Math.floor(T0 / 1000);
    ingestUpdate(store, update("web1", [alert("hb", { clearTimeS: s, raiseTimeS: s + 600 })]), pubsub("web1"), T0);
    assert.equal(store.alerts.nextDue(), T0 + 600_000);
    assert.deepEqual(processDue(store, T0 + 599_999), []);
    store.close();
    store = Store.open(path);
    const [fired] = processDue(store, T0 + 600_000);
    assert.equal(fired?.transition, "raised");
    assert.equal(store.alerts.find("web1", "hb")?.status, "raised");
    assert.equal(store.alerts.nextDue(), T0 + 600_000, "the policy must look at the raise");
    store.alerts.save({ ...fired.alert, policyDueAt: null });
    assert.equal(store.alerts.nextDue(), null);
    assert.deepEqual(processDue(store, T0 + 700_000), [], "nothing fires twice");
  });

  it("expires an ack through the due index", () => {
    ingestUpdate(store, update("web1", [alert("a")]), pubsub("web1"), T0);
    const rec = store.alerts.find("web1", "a")!;
    const r = ackAlert(rec, { by: "alice", at: T0, until: T0 + 60_000, note: "" });
    assert.ok(r.ok);
    store.alerts.save(r.after);
    assert.equal(store.alerts.list("acked").length, 1);
    const [expired] = processDue(store, T0 + 60_000);
    assert.equal(expired?.transition, "raised");
    assert.equal(store.alerts.list("acked").length, 0);
  });

  it("lists alerts one by one without their detail; one alert read on its own has it", () => {
    ingestUpdate(store, update("web1", [alert("big", { detail: "x".repeat(10_000) })]), pubsub("web1"), T0);
    const listed = [...store.alerts.each("raised")].find((a) => a.alertId === "big")!;
    assert.equal(listed.detail, "");
    assert.equal(store.alerts.get(listed.shortId)!.detail, "x".repeat(10_000));
  });

  it("has the policy look again at every raised alert, a slice per statement, due exactly as nextDueAt says", () => {
    const now = T0 + 120_000;
    ingestUpdate(
      store,
      update("web1", [alert("plain"), alert("acked"), alert("ack-ran-out"), alert("clear-due"), alert("gone")]),
      pubsub("web1"),
      T0,
    );
    const get = (id: string) => store.alerts.find("web1", id)!;
    const acked = ackAlert(get("acked"), { by: "alice", at: T0, until: now + 60_000, note: "" });
    const ranOut = ackAlert(get("ack-ran-out"), { by: "alice", at: T0, until: now - 30_000, note: "" });
    assert.ok(acked.ok && ranOut.ok);
    store.alerts.save(acked.after);
    store.alerts.save(ranOut.after);
    store.alerts.save({ ...get("clear-due"), scheduledClearAt: now - 10_000 });
    ingestUpdate(store, update("web1", [alert("gone", { clearTimeS: T0 / 1000 })]), pubsub("web1"), T0 + 1);
    const before = get("gone");
    assert.equal(before.status, "cleared");

    // A slice at a time: the last number marked, then on from it, then null.
    const ids = ["plain", "acked", "ack-ran-out", "clear-due"].map((id) => get(id).shortId).sort((a, b) => a - b);
    assert.equal(store.alerts.lookAgainAtRaisedAfter(now, 0, 3), ids[2]);
    assert.equal(get("clear-due").policyDueAt === now, ids.indexOf(get("clear-due").shortId) < 3);
    assert.equal(store.alerts.lookAgainAtRaisedAfter(now, ids[2]!, 3), ids[3]);
    assert.equal(store.alerts.lookAgainAtRaisedAfter(now, ids[3]!, 3), null);
    const db = new Database(path, { readonly: true });
    try {
      const dueAt = (id: string) =>
        (db.prepare("SELECT due_at FROM alerts WHERE alert_id = ?").get(id) as { due_at: number | null }).due_at;
      for (const id of ["plain", "acked", "ack-ran-out", "clear-due"]) {
        const rec = get(id);
        assert.equal(rec.policyDueAt, now, id);
        assert.equal(dueAt(id), nextDueAt(rec), id);
      }
      assert.equal(dueAt("ack-ran-out"), now - 30_000);
      assert.equal(dueAt("clear-due"), now - 10_000);
      assert.deepEqual(get("gone"), before, "a cleared alert is left alone");
    } finally {
      db.close();
    }
  });

  it("writes only the columns an update changes, so unchanged indexes are not rewritten", () => {
    // SQLite rewrites the index entries of every column an UPDATE sets, even to the same value:
    // triggers on those columns tell which ones each save set.
    const raw = new Database(path);
    raw.exec(`CREATE TABLE column_writes (col TEXT NOT NULL);
      ${["source", "alert_id", "status", "importance", "due_at"]
        .map(
          (c) =>
            `CREATE TRIGGER w_${c} AFTER UPDATE OF ${c} ON alerts BEGIN INSERT INTO column_writes VALUES ('${c}'); END;`,
        )
        .join("\n")}`);
    const written = (): string[] => {
      const cols = (raw.prepare("SELECT col FROM column_writes").all() as Array<{ col: string }>).map((r) => r.col);
      raw.exec("DELETE FROM column_writes");
      return cols.sort();
    };
    try {
      ingestUpdate(store, update("web1", [alert("disk", { summary: "97% full" })]), pubsub("web1"), T0);
      written();
      ingestUpdate(store, update("web1", [alert("disk", { summary: "98% full" })]), pubsub("web1"), T0 + 1_000);
      assert.deepEqual(written(), [], "a new summary touches no indexed column");
      assert.equal(store.alerts.find("web1", "disk")?.summary, "98% full");
      ingestUpdate(store, update("web1", [alert("disk", { clearTimeS: T0 / 1000 + 2 })]), pubsub("web1"), T0 + 2_000);
      assert.deepEqual(written(), ["due_at", "status"], "a clear moves the status and the due time, not the key");
      const rec = store.alerts.find("web1", "disk")!;
      assert.equal(rec.status, "cleared");
      store.alerts.setPolicyDue(rec, rec.policyDueAt);
      assert.deepEqual(written(), [], "the same due time is not written again");
    } finally {
      raw.close();
    }
  });

  it("refuses a damaged file with a clear error", () => {
    store.close();
    writeFileSync(path, "this is not a database, it is a text file of sufficient length to matter".repeat(100));
    rmSync(path + "-wal", { force: true });
    assert.throws(() => Store.open(path), /not a database|integrity/);
    store = Store.open(join(dir, "other.sqlite"));
  });

  it("prunes old transmissions, keeping each source's newest whatever their age", () => {
    for (let i = 1; i <= 5; i++)
      ingestUpdate(store, update("web1", [alert("a")], { transmissionId: BigInt(i) }), pubsub("web1"), T0 + i);
    ingestUpdate(store, update("db1", [alert("a")], { transmissionId: 100n }), pubsub("db1"), T0);
    assert.equal(store.transmissions.prune("web1", T0 + 100, 2, 1), 1, "at most the batch's limit");
    assert.equal(store.transmissions.seen("web1", 1n), false, "the oldest goes first");
    assert.equal(store.transmissions.prune("web1", T0 + 100, 2, 100), 2);
    assert.deepEqual(
      [2n, 3n, 4n, 5n].map((id) => store.transmissions.seen("web1", id)),
      [false, false, true, true],
      "the newest two are kept",
    );
    assert.equal(store.transmissions.prune("web1", T0 + 4, 1, 100), 0, "none newer than the cut goes");
    assert.equal(store.transmissions.prune("db1", T0 + 100, 2, 100), 0, "a source with fewer than the kept count");
    assert.equal(store.transmissions.seen("db1", 100n), true);
    assert.equal(
      ingestUpdate(store, update("web1", [alert("a")], { transmissionId: 5n }), pubsub("web1"), T0 + 200).status,
      "duplicate",
      "a kept transmission is still refused",
    );
  });

  describe("source names: one rule, look-alikes refused, nothing stored lost", () => {
    const udp = { via: "udp" as const };
    const LOOKALIKES = [
      "web1 ",
      " web1",
      "we b1",
      "web1\u200b",
      "w\u0435b1",
      "web1\t",
      "WEB1",
      "Web1",
      "web1/x",
      "web1\u00a0",
      // ASCII that fonts draw alike.
      "webl",
      "WEBI",
      "vveb1",
    ];

    it("refuses, from UDP and from pubsub alike, every look-alike of a known source; the real one keeps working", () => {
      assert.equal(ingestUpdate(store, update("web1", [alert("disk")]), udp, T0).status, "applied");
      for (const fake of LOOKALIKES) {
        const out = ingestUpdate(store, update(fake, [alert("disk", { summary: "fake" })]), udp, T0 + 1);
        assert.equal(out.status, "rejected", JSON.stringify(fake));
        assert.match(
          (out as { reason: string }).reason,
          /source ".*" (has .* at character \d+|differs only in letter case from the known source "web1"|reads like the known source "web1")/,
        );
      }
      // A pubsub origin cannot even name a node for a broken name: refused before the node check.
      const viaPubsub = ingestUpdate(
        store,
        update("web1 ", [alert("disk")]),
        { via: "pubsub", node: "mauve/alerts/web1 ", publisher: "x@y" },
        T0 + 2,
      );
      assert.deepEqual(viaPubsub, {
        status: "rejected",
        reason:
          'source "web1 " has a space at character 5: a source name is made of ASCII letters, digits, ".", "-" and "_" only',
      });
      assert.deepEqual(
        store.sources.all().map((s) => s.source),
        ["web1"],
      );
      assert.equal(
        ingestUpdate(store, update("web1", [alert("disk", { clearTimeS: 1 })]), udp, T0 + 3).status,
        "applied",
      );
      assert.equal(store.alerts.find("web1", "disk")?.status, "cleared");
    });

    it("keeps what a database from before the rule holds: its alerts stay, only new updates for a broken name are refused", () => {
      // Written as an older bot would have stored them: "web1 " and "WEB1" beside "web1".
      const raw = new Database(path);
      for (const source of ["web1", "web1 ", "WEB1"]) {
        raw
          .prepare("INSERT INTO sources (source, node, owner_jid, first_seen_at, last_seen_at) VALUES (?, ?, '', ?, ?)")
          .run(source, `mauve/alerts/${source}`, T0, T0);
      }
      raw.close();
      for (const source of ["web1", "web1 ", "WEB1"])
        assert.equal(ingestUpdate(store, update(source, [alert("disk")]), { via: "bot" }, T0).status, "applied");
      assert.deepEqual(
        store.sources
          .all()
          .map((s) => s.source)
          .sort(),
        ["WEB1", "web1", "web1 "],
      );
      assert.equal(
        ingestUpdate(store, update("web1 ", [alert("disk", { clearTimeS: 1 })]), udp, T0 + 1).status,
        "rejected",
      );
      // A case variant that was already stored is a known source: it goes on being heard.
      assert.equal(
        ingestUpdate(store, update("WEB1", [alert("disk", { clearTimeS: 1 })]), udp, T0 + 1).status,
        "applied",
      );
      assert.equal(store.alerts.find("web1 ", "disk")?.status, "raised", "the stored alert is kept");
      // The bot's own updates (host down) may still name it.
      assert.equal(
        ingestUpdate(store, update("web1 ", [alert("disk", { clearTimeS: 1 })]), { via: "bot" }, T0 + 2).status,
        "applied",
      );
    });
  });
});
