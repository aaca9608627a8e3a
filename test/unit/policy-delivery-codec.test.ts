// The stored form of a delivery in the outbox: compact, exact, and readable from what older code stored.
import assert from "node:assert/strict";
import type { Delivery } from "../../src/policy/delivery.js";
import { decodeDelivery, DeliveryCodecError, DELIVERY_FORM, encodeDelivery } from "../../src/policy/delivery-codec.js";
import { sourceToNodeName } from "../../src/codec/source-name.js";
import { ingestUpdate } from "../../src/ingest/ingest-update.js";
import { Store } from "../../src/store/store.js";
import { alert, update } from "../helpers/updates.js";

const T0 = Date.parse("2026-01-05T10:00:00Z");

const raised: Delivery = {
  person: "alice",
  kind: "raised",
  level: "normal",
  shortId: 7,
  channels: ["xmpp"],
  fallbacks: [],
  why: "step 1 of ops/normal: on call",
};

const paging: Delivery = {
  person: "bob",
  kind: "escalated",
  level: "urgent",
  shortId: 42,
  channels: ["xmpp", "sms"],
  fallbacks: [
    { after: 300_000, channels: ["email"] },
    { after: 900_000, channels: ["sms", "email_digest"] },
  ],
  why: "step 2 of dba/urgent: next on call",
};

/** Through the store: encoded, written as JSON text, read back with the row's person and alert. */
const stored = (d: Delivery): Delivery =>
  decodeDelivery(JSON.parse(JSON.stringify(encodeDelivery(d))), d.person, d.shortId);

describe("policy: the stored form of a delivery", () => {
  it("comes back exactly", () => {
    for (const d of [raised, paging]) assert.deepEqual(stored(d), d);
  });

  it("leaves out what the row's columns hold, and a plain notice takes less than half the object's room", () => {
    const size = (x: unknown): number => JSON.stringify(x).length;
    assert.doesNotMatch(JSON.stringify(encodeDelivery(paging)), /bob|42/);
    assert.ok(size(encodeDelivery(paging)) < size(paging));
    assert.ok(size(encodeDelivery(raised)) * 2 < size(raised), JSON.stringify(encodeDelivery(raised)));
  });

  it("reads a delivery stored as an object by older code, and refuses a form it does not know", () => {
    assert.deepEqual(decodeDelivery(JSON.parse(JSON.stringify(paging)), "bob", 42), paging);
    assert.throws(() => decodeDelivery([9, "raised"], "alice", 1), DeliveryCodecError);
  });

  it("goes through the outbox: waiting rows from before and after read alike", () => {
    const store = Store.open(":memory:");
    try {
      const published = { via: "pubsub" as const, node: sourceToNodeName("web1"), publisher: "web1@x.org" };
      ingestUpdate(store, update("web1", [alert("disk"), alert("load")]), published, T0);
      const older = { ...paging, shortId: 1 };
      const newer = { ...raised, person: "bob", shortId: 2 };
      // A row written by older code: the object, person and alert included.
      store.policy.addDeliveries([older], T0);
      store.policy.addDeliveries([newer], T0, null, DELIVERY_FORM);
      assert.deepEqual(
        store.policy.pending("bob", T0, DELIVERY_FORM).map((r) => r.delivery),
        [older, newer],
      );
      assert.deepEqual(
        store.policy.deliveriesOf(2, DELIVERY_FORM).map((r) => r.delivery),
        [newer],
      );
    } finally {
      store.close();
    }
  });

  it("reads rows sharing a body each as its own delivery, about its own alert", () => {
    const store = Store.open(":memory:");
    try {
      const published = { via: "pubsub" as const, node: sourceToNodeName("web1"), publisher: "web1@x.org" };
      ingestUpdate(store, update("web1", [alert("disk"), alert("load"), alert("swap")]), published, T0);
      // A storm's reminders: one body for all (the person and the alert are the row's columns).
      const alike = [1, 2, 3, 2].map((shortId) => ({ ...paging, person: "alice", shortId }));
      store.policy.addDeliveries(alike, T0, null, DELIVERY_FORM);
      for (const read of [
        store.policy.pending("alice", T0, DELIVERY_FORM),
        store.policy.pendingAbout("alice", [3, 2, 1], DELIVERY_FORM),
      ]) {
        assert.deepEqual(
          read.map((r) => r.delivery),
          alike,
        );
        assert.deepEqual(
          read.map((r) => r.shortId),
          [1, 2, 3, 2],
        );
        assert.equal(
          new Set(read.map((r) => r.delivery)).size,
          4,
          "a delivery object per row (the dispatcher keys on it)",
        );
      }
    } finally {
      store.close();
    }
  });
});
