// The audit feed's cursor: it moves only past items the server confirmed, and is stored once for
// the lines read together (each store was a commit of its own). The real server's side is in
// test/integration/audit-status.test.ts.
import assert from "node:assert/strict";
import { AuditFeed, CURSOR_KEY } from "../../src/bot/audit-feed.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { ingestUpdate } from "../../src/ingest/ingest-update.js";
import { createLogger } from "../../src/log.js";
import { Store } from "../../src/store/store.js";
import type { Pubsub } from "../../src/xmpp/pubsub.js";
import { LogLines } from "../helpers/spine.js";
import { alert, update } from "../helpers/updates.js";

describe("audit feed cursor", () => {
  // 60 raises: three items of 20 lines.
  function storeWithLines(): Store {
    const store = Store.open(":memory:");
    const alerts = Array.from({ length: 60 }, (_, i) => alert(`check${i}`, { summary: `check ${i} failed` }));
    const outcome = ingestUpdate(store, update("web1", alerts), { via: "udp" }, 1_700_000_000_000);
    assert.equal(outcome.status, "applied");
    return store;
  }

  function feedOver(
    store: Store,
    answers: Array<"ok" | "refused" | "throws">,
    clock = new FakeClock(),
    log?: LogLines,
  ) {
    const published: string[] = [];
    const pubsub = {
      publishForeign: (_service: string, _node: string, _entry: unknown, itemId: string) => {
        const answer = answers.shift() ?? "ok";
        if (answer === "throws") return Promise.reject(new Error("stream closed"));
        if (answer === "refused") return Promise.resolve({ ok: false, condition: "remote-server-timeout" });
        published.push(itemId);
        return Promise.resolve({ ok: true });
      },
    } as unknown as Pubsub;
    const writes: string[] = [];
    const setBotState = store.policy.setBotState.bind(store.policy);
    store.policy.setBotState = (key, value) => {
      if (key === CURSOR_KEY) writes.push(value);
      setBotState(key, value);
    };
    const feed = new AuditFeed({
      store,
      clock,
      log: log?.logger ?? createLogger({ level: "error", sink: () => undefined }),
      pubsub,
      service: "pubsub.mauve.localhost",
      readers: [],
    });
    return { feed, published, writes };
  }

  const lineIds = (store: Store): number[] => store.alerts.historySince(0, 1000).map((l) => l.id);

  it("stores the cursor once for the lines read together, past the last of them", async () => {
    const store = storeWithLines();
    const { feed, published, writes } = feedOver(store, []);
    await feed.flush();
    const ids = lineIds(store);
    assert.equal(published.length, 4, "three items of lines, then the board");
    assert.deepEqual(writes, [String(ids.at(-1))]);
    store.close();
  });

  for (const failure of ["refused", "throws"] as const) {
    it(`a publish ${failure === "refused" ? "refused" : "that throws"} leaves the cursor past the last item confirmed, and the next flush goes on from there`, async () => {
      const store = storeWithLines();
      const { feed, published, writes } = feedOver(store, ["ok", "ok", failure]);
      await feed.flush();
      const ids = lineIds(store);
      assert.deepEqual(writes, [String(ids[39])], "past the second item's last line");
      assert.equal(published.length, 2);
      await feed.flush();
      assert.deepEqual(published.slice(2, 3), [`h${ids[40]}-${ids[59]}`], "the third item, once more");
      assert.equal(store.policy.botState(CURSOR_KEY), String(ids[59]));
      store.close();
    });
  }

  it("publishes nothing again while the database refuses its cursor, tries it every 10 s, and says so once", async () => {
    const store = storeWithLines();
    const clock = new FakeClock();
    const log = new LogLines();
    const { feed, published, writes } = feedOver(store, [], clock, log);
    const setBotState = store.policy.setBotState.bind(store.policy);
    let full = true;
    store.policy.setBotState = (key, value) => {
      if (full)
        throw Object.assign(new Error("database or disk is full"), { name: "SqliteError", code: "SQLITE_FULL" });
      setBotState(key, value);
    };
    await feed.flush();
    assert.equal(published.length, 3, "the lines went out once; the cursor could not follow");
    for (let s = 0; s < 9; s++) {
      clock.advance(1_000);
      await feed.flush();
    }
    assert.equal(published.length, 3, "not again every poll while the cursor cannot move");
    assert.deepEqual(
      log.lines.filter((l) => String(l["msg"]).startsWith("audit feed paused")).map((l) => [l["msg"], l["reason"]]),
      [["audit feed paused until AlertBot can write its database", "database or disk is full (SQLITE_FULL)"]],
    );
    full = false;
    clock.advance(1_000);
    await feed.flush();
    assert.equal(log.withMsg("audit feed resumed: AlertBot can write its database again").length, 1);
    assert.equal(published.length, 7, "the three items again (at least once), then the board");
    assert.equal(store.policy.botState(CURSOR_KEY), String(lineIds(store).at(-1)));
    assert.equal(writes.length, 2, "the try that found it writable, then the cursor past the lines");
    store.close();
  });

  it("says once that publishing fails (AlertBot cut off, the server refusing) until a publish goes through", async () => {
    const store = storeWithLines();
    const log = new LogLines();
    // Cut off for ten polls, the server refusing for two more, then through; later refusing again.
    const answers: Array<"ok" | "refused" | "throws"> = [...Array<"throws">(10).fill("throws"), "refused", "refused"];
    const { feed, published } = feedOver(store, answers, new FakeClock(), log);
    const warned = () => log.lines.filter((l) => l["level"] === "warn").map((l) => l["msg"]);
    for (let poll = 0; poll < 12; poll++) await feed.flush();
    assert.deepEqual(warned(), ["audit feed paused; will retry"], "one warning, not one per poll");
    assert.equal(log.lines.filter((l) => l["level"] === "debug").length, 11, "the rest at debug");
    await feed.flush();
    assert.equal(published.length, 4, "three items of lines, then the board");
    assert.equal(log.withMsg("audit feed publishing again").length, 1);
    answers.push("refused");
    ingestUpdate(store, update("web2", [alert("disk")]), { via: "udp" }, 1_700_000_001_000);
    await feed.flush();
    assert.deepEqual(warned(), ["audit feed paused; will retry", "audit publish failed; will retry"], "said again");
    store.close();
  });

  it("a publish cut short by a stop is no failure to report", async () => {
    const store = storeWithLines();
    const log = new LogLines();
    let cut: (() => void) | undefined;
    const pubsub = {
      publishForeign: () =>
        new Promise((_resolve, reject) => (cut = () => reject(new Error("the XMPP session was stopped")))),
    } as unknown as Pubsub;
    const feed = new AuditFeed({
      store,
      clock: new FakeClock(),
      log: log.logger,
      pubsub,
      service: "pubsub.mauve.localhost",
      readers: [],
    });
    const flushing = feed.flush();
    for (let i = 0; i < 10 && !cut; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(cut, "a publish on its way");
    feed.stop();
    cut();
    await flushing;
    assert.deepEqual(
      log.lines.filter((l) => l["level"] === "warn" || l["level"] === "error").map((l) => l["msg"]),
      [],
    );
    store.close();
  });
});
