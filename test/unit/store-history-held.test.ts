// History lines recorded while held back (AlertStore.holdHistory, an update's alerts) are written as
// it returns: the same lines, numbered and linked as when recorded one at a time; none when it throws.
import assert from "node:assert/strict";
import type { AlertEvent } from "../../src/alerts/types.js";
import { Store } from "../../src/store/store.js";
import { ingestUpdate } from "../../src/ingest/ingest-update.js";
import { alert, update } from "../helpers/updates.js";
import { dumpTables } from "../helpers/db-dump.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

describe("AlertStore.holdHistory", () => {
  const stores: Array<{ store: Store; dir: string }> = [];
  afterEach(() =>
    stores.splice(0).forEach(({ store, dir }) => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }),
  );
  const paths = new Map<Store, string>();
  const dump = (store: Store): Record<string, unknown[]> => dumpTables(paths.get(store)!, ["transmissions"]);

  /** A store with `count` alerts, numbered 1 to count, each with its "raised" line. */
  const withAlerts = (count: number): Store => {
    const dir = mkdtempSync(join(tmpdir(), "mauve-history-held-"));
    const store = Store.open(join(dir, "bot.sqlite"));
    stores.push({ store, dir });
    paths.set(store, join(dir, "bot.sqlite"));
    const alerts = Array.from({ length: count }, (_, i) => alert(`a${i}`, { raiseTimeS: T0 / 1000 }));
    ingestUpdate(store, update("web1", alerts), { via: "udp" }, T0);
    return store;
  };
  const line = (n: number): AlertEvent => ({ kind: "noted", at: T0 + n, actor: `p${n % 3}`, detail: `note ${n} é ✓` });
  /** Alert by alert and back again, 1 to 3 lines a call, some alerts several times: 230 lines. */
  const recordAll = (store: Store, count: number): void => {
    let n = 0;
    for (let round = 0; round < 2; round++)
      for (let shortId = 1; shortId <= count; shortId++)
        store.alerts.record(
          shortId,
          Array.from({ length: 1 + ((shortId + round) % 3) }, () => line(n++)),
        );
  };

  it("writes what it held as the same lines, numbered and linked as one at a time, past a statement's hundred", () => {
    const count = 40;
    const oneByOne = withAlerts(count);
    recordAll(oneByOne, count);
    const held = withAlerts(count);
    const returned = held.alerts.holdHistory(() => {
      recordAll(held, count);
      // Nothing written until it returns.
      assert.equal(held.alerts.history(1).length, 1);
      return "done";
    });
    assert.equal(returned, "done");
    assert.ok(oneByOne.alerts.historyCount() > 200);
    // Every line with its number and link, every alert's head: the files alike row for row.
    assert.deepEqual(dump(held), dump(oneByOne));
    assert.deepEqual(held.alerts.history(7), oneByOne.alerts.history(7));
  });

  it("one line each, links each to its alert's head", () => {
    const oneByOne = withAlerts(5);
    const held = withAlerts(5);
    for (const store of [oneByOne, held])
      store.alerts.holdHistory(() => {
        for (const shortId of [3, 1, 5]) store.alerts.record(shortId, [line(shortId)]);
      });
    oneByOne.alerts.record(2, [line(9)]);
    held.alerts.record(2, [line(9)]);
    assert.deepEqual(dump(held), dump(oneByOne));
  });

  it("writes none of what it held when it throws, and records at once again after", () => {
    const store = withAlerts(2);
    assert.throws(
      () =>
        store.alerts.holdHistory(() => {
          store.alerts.record(1, [line(1)]);
          throw new Error("boom");
        }),
      /boom/,
    );
    assert.equal(store.alerts.historyCount(), 2);
    store.alerts.record(2, [line(2)]);
    assert.deepEqual(
      store.alerts.history(2).map((h) => h.kind),
      ["raised", "noted"],
    );
  });
});
