// An alert's history head (alerts.history_head, its newest line) and each line's link to the one
// before it are kept by whoever writes the lines (AlertStore, since schema 15), not by a trigger:
// right after every way a line is written, held back or not, and in a file from before.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import Database from "better-sqlite3";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AlertEvent } from "../../src/alerts/types.js";
import { raiseOwnAlert, clearOwnAlert } from "../../src/bot/own-alert.js";
import { ingestUpdate } from "../../src/ingest/ingest-update.js";
import { openDatabase } from "../../src/store/database.js";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { Store } from "../../src/store/store.js";
import { alert, update } from "../helpers/updates.js";

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

/** Alerts whose head is not their newest line, and lines not linked to their alert's line before. */
function wrongLinks(path: string): { heads: unknown[]; links: unknown[] } {
  const db = new Database(path, { readonly: true });
  try {
    return {
      heads: db
        .prepare(
          `SELECT short_id, history_head FROM alerts a
          WHERE history_head IS NOT (SELECT max(id) FROM alert_history h WHERE h.short_id = a.short_id)`,
        )
        .all(),
      links: db
        .prepare(
          `SELECT id, short_id, prev_id FROM alert_history h
          WHERE prev_id IS NOT (SELECT max(p.id) FROM alert_history p WHERE p.short_id = h.short_id AND p.id < h.id)`,
        )
        .all(),
    };
  } finally {
    db.close();
  }
}

describe("AlertStore: an alert's history head", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "mauve-history-head-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const line = (n: number): AlertEvent => ({ kind: "noted", at: T0 + n, actor: "bot", detail: `note ${n}` });
  const none = { heads: [], links: [] };

  /** Writes lines every way there is, checking heads and links after each. */
  function everyWriter(store: Store, path: string): void {
    const raised = (n: number) => alert(`a${n}`, { raiseTimeS: T0 / 1000, summary: `alert ${n}` });
    // An update's lines, held back and written as it ends; then one changing some and adding more.
    ingestUpdate(
      store,
      update(
        "web1",
        Array.from({ length: 150 }, (_, i) => raised(i)),
      ),
      { via: "udp" },
      T0,
    );
    assert.deepEqual(wrongLinks(path), none);
    ingestUpdate(
      store,
      update("web1", [
        ...Array.from({ length: 60 }, (_, i) => alert(`a${i}`, { clearTimeS: T0 / 1000 + 1 })),
        ...Array.from({ length: 60 }, (_, i) => raised(200 + i)),
      ]),
      { via: "udp" },
      T0 + 1000,
    );
    assert.deepEqual(wrongLinks(path), none);
    // A line on its own, outside any held span.
    store.alerts.record(3, [line(1)]);
    store.alerts.record(3, [line(2), line(3)]);
    assert.deepEqual(wrongLinks(path), none);
    // Held by hand: several lines an alert, alerts again and again, past a statement's hundred.
    store.transactionHoldingWrites(() => {
      for (let round = 0; round < 3; round++)
        for (let shortId = 1; shortId <= 80; shortId++) store.alerts.record(shortId, [line(round), line(round + 1)]);
    });
    assert.deepEqual(wrongLinks(path), none);
    // The same line for many alerts, some named twice, past a statement's hundred, held and not.
    store.alerts.recordEach([5, 9, 5, ...Array.from({ length: 140 }, (_, i) => 10 + i)], line(7));
    store.transactionHoldingWrites(() => store.alerts.recordEach([2, 4, 2], line(8)));
    assert.deepEqual(wrongLinks(path), none);
    // AlertBot's own alert, raised and cleared.
    raiseOwnAlert(
      store,
      "alertbot.x.org",
      "link",
      { subject: "", summary: "link down", importance: 50 },
      T0 + 2000,
      T0 + 2000,
    );
    clearOwnAlert(store, "alertbot.x.org", "link", "link up", T0 + 3000);
    assert.deepEqual(wrongLinks(path), none);
  }

  it("is right after every writer of history, held back or not", () => {
    const path = join(dir, "bot.sqlite");
    const store = Store.open(path);
    try {
      everyWriter(store, path);
      assert.ok(store.alerts.historyCount() > 800);
    } finally {
      store.close();
    }
  });

  it("upgrades a file from schema 14: its heads kept, the trigger gone, and kept right after", () => {
    const path = join(dir, "bot.sqlite");
    const v14 = openDatabase(
      path,
      MIGRATIONS.filter((m) => m.version <= 14),
    );
    v14.exec(
      `INSERT INTO alerts (source, alert_id, status, importance, updated_at) VALUES ('web1', 'a0', 'raised', 1, 0), ('web1', 'x', 'raised', 1, 0)`,
    );
    const write = v14.prepare(
      `INSERT INTO alert_history (short_id, kind, at, actor, detail, prev_id)
         VALUES (?, 'noted', 0, 'bot', '', (SELECT history_head FROM alerts WHERE short_id = ?))`,
    );
    for (const shortId of [1, 2, 1, 1, 2]) write.run(shortId, shortId);
    assert.deepEqual(v14.prepare("SELECT short_id, history_head FROM alerts ORDER BY short_id").raw().all(), [
      [1, 4],
      [2, 5],
    ]);
    v14.close();

    const store = Store.open(path);
    try {
      assert.equal(store.schemaVersion(), MIGRATIONS.at(-1)!.version);
      const db = new Database(path, { readonly: true });
      assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'alert_history_head'").pluck().get(), 0);
      db.close();
      assert.deepEqual(wrongLinks(path), none);
      assert.deepEqual(store.alerts.history(1).length, 3);
      everyWriter(store, path);
      assert.ok(store.alerts.history(2).length > 2);
    } finally {
      store.close();
    }
  });
});
