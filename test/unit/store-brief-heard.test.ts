// The dispatcher's one read of the alerts it looks at before sending (AlertStore.briefHeardEach)
// against the two reads it replaced (briefEach and PolicyStore.heardOf), on real SQLite.
import assert from "node:assert/strict";
import { Store } from "../../src/store/store.js";
import { ingestUpdate } from "../../src/ingest/ingest-update.js";
import { DIGEST_RANKED, buildDigest } from "../../src/notify/message.js";
import { alert, update } from "../helpers/updates.js";

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const M = 60_000;

describe("AlertStore.briefHeardEach", () => {
  let store: Store;
  beforeEach(() => {
    store = Store.open(":memory:");
  });
  afterEach(() => store.close());

  const apply = (id: string, at: number, fields: Parameters<typeof alert>[1] = {}): number => {
    ingestUpdate(store, update("web1", [alert(id, fields)]), { via: "udp" }, at);
    return store.alerts.find("web1", id)!.shortId;
  };
  const page = (person: string, shortId: number, at: number): number => {
    store.policy.addDeliveries([{ person, shortId, kind: "raised" }], at);
    const id = store.policy.pendingAbout(person, [shortId]).at(-1)!.id;
    store.policy.markHeard(person, [{ shortId, id }]);
    return id;
  };

  it("reads each alert brief with who heard of its raise, as briefEach and heardOf read them apart", () => {
    const quiet = apply("quiet", T0, { detail: `<p>${"x".repeat(2000)}</p>` });
    const heard = apply("heard", T0);
    page("alice", heard, T0);
    page("bob", heard, T0);
    const again = apply("again", T0);
    page("alice", again, T0);
    apply("again", T0 + M, { clearTimeS: (T0 + M) / 1000 });
    apply("again", T0 + 2 * M, { raiseTimeS: (T0 + 2 * M) / 1000 });
    page("carol", again, T0 + 2 * M);
    const cleared = apply("cleared", T0);
    apply("cleared", T0 + M, { clearTimeS: (T0 + M) / 1000 });

    const ids = [again, 999, quiet, heard, cleared, heard];
    const looks = store.alerts.briefHeardEach(ids);
    const briefs = new Map(store.alerts.briefEach(ids).map((a) => [a.shortId, a]));
    const raises = store.policy.heardOf(ids);
    assert.deepEqual([...looks.keys()].sort(), [...briefs.keys()].sort(), "an unknown number is left out");
    for (const [shortId, look] of looks) {
      assert.deepEqual(look.alert, briefs.get(shortId), `#${shortId} read as briefEach reads it`);
      assert.deepEqual(look.raise, raises.get(shortId), `#${shortId}'s raise as heardOf reads it`);
    }
    assert.equal(looks.get(quiet)!.alert.detail, "", "without the detail");
    assert.deepEqual(looks.get(heard)!.raise, { floor: 0, heard: ["alice", "bob"], heardBefore: null });
    assert.deepEqual(looks.get(again)!.raise.heard, ["carol"]);
    assert.deepEqual(looks.get(again)!.raise.heardBefore, ["alice"]);
    assert.equal(looks.get(cleared)!.alert.status, "cleared");
    assert.equal(store.alerts.briefHeardEach([]).size, 0);
  });

  it("marks who heard of each alert of a digest's list, an alert named twice on either side of its raise", () => {
    const one = apply("one", T0);
    const two = apply("two", T0);
    const three = apply("three", T0);
    const old = page("alice", two, T0);
    apply("two", T0 + M, { clearTimeS: (T0 + M) / 1000 });
    apply("two", T0 + 2 * M, { raiseTimeS: (T0 + 2 * M) / 1000 });
    store.policy.addDeliveries(
      [one, two, three, one].map((shortId) => ({ person: "bob", shortId, kind: "raised" })),
      T0 + 2 * M,
    );
    const ids = store.policy.pendingAbout("bob", [one, two, three]).map((d) => d.id);
    assert.equal(ids.length, 4);
    // Bob's notices of this raise, his old notice of two's raise before, one named twice, and a
    // number the store does not hold; alice's notice of three, then again (listed once).
    store.policy.markHeard("bob", [
      { shortId: one, id: ids[0]! },
      { shortId: two, id: ids[1]! },
      { shortId: two, id: old },
      { shortId: 999, id: ids[2]! },
      { shortId: one, id: ids[3]! },
    ]);
    store.policy.markHeard("alice", [
      { shortId: three, id: ids[2]! },
      { shortId: three, id: ids[2]! },
    ]);
    const raises = store.policy.heardOf([one, two, three]);
    assert.deepEqual(raises.get(one), { floor: 0, heard: ["bob"], heardBefore: null });
    assert.deepEqual(raises.get(two)!.heard, ["bob"]);
    assert.deepEqual(raises.get(two)!.heardBefore, ["alice", "bob"]);
    assert.deepEqual(raises.get(three), { floor: 0, heard: ["alice"], heardBefore: null });
    store.policy.markHeard("carol", []);
  });

  it("answerHeardEach reads whether each alert wants an answer, and its raise, as briefHeardEach does", () => {
    const raised = apply("raised", T0);
    page("alice", raised, T0);
    const acked = apply("acked", T0);
    const stored = store.alerts.get(acked)!;
    store.alerts.save({ ...stored, ack: { by: "bob", at: T0, until: T0 + 60 * M, note: "" } }, stored);
    const cleared = apply("cleared", T0);
    apply("cleared", T0 + M, { clearTimeS: (T0 + M) / 1000 });
    const again = apply("again", T0);
    page("carol", again, T0);
    apply("again", T0 + M, { clearTimeS: (T0 + M) / 1000 });
    apply("again", T0 + 2 * M, { raiseTimeS: (T0 + 2 * M) / 1000 });

    const ids = [raised, acked, 999, cleared, again, raised];
    const answers = store.alerts.answerHeardEach(ids);
    const wholes = store.alerts.briefHeardEach(ids);
    assert.deepEqual([...answers.keys()].sort(), [...wholes.keys()].sort(), "an unknown number is left out");
    for (const [shortId, whole] of wholes)
      assert.deepEqual(
        answers.get(shortId),
        { answerWanted: whole.alert.status === "raised" && whole.alert.ack === null, raise: whole.raise },
        `#${shortId}`,
      );
    assert.deepEqual(
      [raised, acked, cleared, again].map((id) => answers.get(id)!.answerWanted),
      [true, false, false, true],
    );
    assert.equal(store.alerts.answerHeardEach([]).size, 0);
  });

  it("mostUrgentOf reads a digest's first alerts in the order it lists them, and counts them all", () => {
    // Importance running against the numbers, ties, cleared ones among them, and numbers not held.
    const ids: number[] = [];
    for (let i = 0; i < 600; i++) {
      const id = apply(`c${i}`, T0, { importance: (i * 37) % 11 });
      if (i % 7 === 0) apply(`c${i}`, T0 + M, { clearTimeS: (T0 + M) / 1000, importance: (i * 37) % 11 });
      ids.push(id);
    }
    const asked = [...ids.slice(300), 99_999, ...ids.slice(0, 300), ids[5]!];
    const all = store.alerts.briefEach([...new Set(asked)]);
    const expected = buildDigest(all, { show: 3 });
    for (const limit of [1, 3, DIGEST_RANKED]) {
      const got = store.alerts.mostUrgentOf(asked, limit);
      assert.deepEqual(
        got.alerts.map((a) => a.shortId),
        expected.alerts!.slice(0, limit).map((a) => a.shortId),
        `the first ${limit}, in the digest's order`,
      );
      assert.deepEqual(got.alerts, expected.alerts!.slice(0, limit), "read as briefEach reads them");
      assert.deepEqual(
        got.shortIds,
        [...new Set(asked)].filter((id) => id !== 99_999),
        "those held, in the order asked",
      );
      assert.equal(got.raised, all.filter((a) => a.status === "raised").length);
    }
    // A digest of a few, all of them read (and ranked without SQLite's sort).
    const few = [ids[9]!, 99_999, ids[7]!, ids[0]!, ids[14]!, ids[7]!, ids[3]!];
    const fewAll = store.alerts.briefEach([...new Set(few)]);
    for (const limit of [3, 5, DIGEST_RANKED]) {
      const got = store.alerts.mostUrgentOf(few, limit);
      assert.deepEqual(got.alerts, buildDigest(fewAll).alerts!.slice(0, limit), `a few, the first ${limit}`);
      assert.deepEqual(got.shortIds, [ids[9]!, ids[7]!, ids[0]!, ids[14]!, ids[3]!], "those held, in the order asked");
      assert.equal(got.raised, fewAll.filter((a) => a.status === "raised").length);
    }
    // A digest of some dozens (ranked here, not by SQLite), read the same.
    const some = [...ids.slice(200, 260), 99_999, ...ids.slice(0, 40), ids[205]!];
    const someAll = store.alerts.briefEach([...new Set(some)]);
    for (const limit of [1, 3, DIGEST_RANKED]) {
      const got = store.alerts.mostUrgentOf(some, limit);
      assert.deepEqual(got.alerts, buildDigest(someAll).alerts!.slice(0, limit), `some, the first ${limit}`);
      assert.deepEqual(
        got.shortIds,
        [...new Set(some)].filter((id) => id !== 99_999),
        "those held, in the order asked",
      );
      assert.equal(got.raised, someAll.filter((a) => a.status === "raised").length);
    }
    const counted = store.alerts.mostUrgentOf(asked, 3);
    const digest = buildDigest(counted.alerts, {
      show: 3,
      counts: { alerts: counted.shortIds.length, raised: counted.raised },
    });
    assert.equal(digest.text, expected.text, "the digest reads the same from its first three and the counts");
    assert.equal(digest.alertCount, 600);
    assert.deepEqual(store.alerts.mostUrgentOf([], 3), { alerts: [], shortIds: [], raised: 0 });
  });
});
