// The dispatcher's one read of the alerts it looks at before sending (AlertStore.briefHeardEach)
// against the two reads it replaced (briefEach and PolicyStore.heardOf), on real SQLite.
import assert from "node:assert/strict";
import { Store } from "../../src/store/store.js";
import { ingestUpdate } from "../../src/ingest/ingest-update.js";
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
});
