// Deliveries queued while held back (PolicyStore.holdDeliveries, an update's alerts) are written as
// they return, as the same rows with the same numbers as queued one at a time; none when it throws.
import assert from "node:assert/strict";
import { Store } from "../../src/store/store.js";
import { ingestUpdate } from "../../src/ingest/ingest-update.js";
import { alert, update } from "../helpers/updates.js";

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

interface Queued {
  person: string;
  shortId: number;
  kind: string;
  n: number;
}

describe("PolicyStore.holdDeliveries", () => {
  const stores: Store[] = [];
  afterEach(() => stores.splice(0).forEach((s) => s.close()));

  /** A store with `count` alerts, numbered 1 to count. */
  const withAlerts = (count: number): Store => {
    const store = Store.open(":memory:");
    stores.push(store);
    const alerts = Array.from({ length: count }, (_, i) => alert(`a${i}`, { raiseTimeS: T0 / 1000 }));
    ingestUpdate(store, update("web1", alerts), { via: "udp" }, T0);
    return store;
  };
  /** Every delivery kept, by number, as the web board reads each alert's. */
  const everyDelivery = (store: Store, count: number): unknown[] =>
    Array.from({ length: count }, (_, i) => store.policy.deliveriesOf(i + 1)).flat();
  /** Alert by alert, in the order a batch of alerts would queue them: 1, 2 or 3 at a time. */
  const queueAll = (store: Store, count: number): void => {
    let n = 0;
    for (let shortId = 1; shortId <= count; shortId++) {
      const batch: Queued[] = Array.from({ length: 1 + (shortId % 3) }, (_, j) => ({
        person: ["alice", "bob", "carol"][j]!,
        shortId,
        kind: "raised",
        n: n++,
      }));
      store.policy.addDeliveries(batch, T0 + shortId, shortId % 4 === 0 ? T0 + 60_000 : null);
    }
  };

  it("writes what it held as the same rows, numbered as queued one at a time, past a statement's hundred", () => {
    const count = 120;
    const oneByOne = withAlerts(count);
    queueAll(oneByOne, count);
    const held = withAlerts(count);
    const returned = held.policy.holdDeliveries(() => {
      queueAll(held, count);
      // Nothing written until it returns.
      assert.deepEqual(held.policy.pendingAbout("alice", [1, 2, 3]), []);
      return "done";
    });
    assert.equal(returned, "done");
    const expected = everyDelivery(oneByOne, count);
    assert.equal(expected.length, 240);
    assert.deepEqual(everyDelivery(held, count), expected);
    assert.deepEqual(
      held.policy.pending("bob", T0 + 120_000).map((d) => [d.id, d.shortId, d.delivery, d.notBefore]),
      oneByOne.policy.pending("bob", T0 + 120_000).map((d) => [d.id, d.shortId, d.delivery, d.notBefore]),
    );
  });

  it("writes none of what it held when it throws, and queues at once again after", () => {
    const store = withAlerts(3);
    assert.throws(
      () =>
        store.policy.holdDeliveries(() => {
          store.policy.addDeliveries([{ person: "alice", shortId: 1, kind: "raised" }], T0);
          throw new Error("boom");
        }),
      /boom/,
    );
    assert.deepEqual(everyDelivery(store, 3), []);
    store.policy.addDeliveries([{ person: "alice", shortId: 2, kind: "raised" }], T0);
    assert.deepEqual(
      store.policy.pendingAbout("alice", [1, 2, 3]).map((d) => d.shortId),
      [2],
    );
  });

  it("nested, writes when the outermost returns", () => {
    const store = withAlerts(2);
    store.policy.holdDeliveries(() => {
      store.policy.holdDeliveries(() =>
        store.policy.addDeliveries([{ person: "alice", shortId: 1, kind: "raised" }], T0),
      );
      assert.deepEqual(store.policy.pendingAbout("alice", [1]), []);
      store.policy.addDeliveries([{ person: "alice", shortId: 2, kind: "raised" }], T0);
    });
    assert.deepEqual(
      store.policy.pendingAbout("alice", [1, 2]).map((d) => d.shortId),
      [1, 2],
    );
  });
});
