import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { sourceToNodeName } from "../../src/codec/source-name.js";
import { ingestUpdate } from "../../src/ingest/ingest-update.js";
import { createLogger } from "../../src/log.js";
import { Retention } from "../../src/bot/retention.js";
import { Store } from "../../src/store/store.js";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../src/util/duration.js";
import { AGENT_NODE_MAX_ITEMS } from "../../src/codec/source-name.js";
import { alert, update } from "../helpers/updates.js";

const SOURCES = ["web1", "web2", "db1", "db2", "mail1"];
const BEAT_MS = 30 * MINUTE_MS;
const origin = (source: string) => ({ via: "pubsub" as const, node: sourceToNodeName(source), publisher: "" });
const sec = (ms: number): number => Math.floor(ms / 1000);

describe("retention: steady traffic leaves the store a steady size (real SQLite file, days on a fake clock)", () => {
  let dir: string;
  let store: Store;
  let clock: FakeClock;
  let retention: Retention;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mauve-retention-"));
    store = Store.open(join(dir, "bot.sqlite"));
    clock = new FakeClock();
    retention = new Retention({
      store,
      clock,
      log: createLogger({ level: "error" }),
      config: () => ({ historyMs: 2 * DAY_MS, transmissionsMs: DAY_MS, everyMs: HOUR_MS }),
      sendsNeededMs: () => HOUR_MS,
    });
  });
  afterEach(() => {
    retention.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const beat = (source: string) => {
    const now = clock.now();
    return ingestUpdate(
      store,
      update(source, [alert("heartbeat", { clearTimeS: sec(now), raiseTimeS: sec(now) + 3600 })]),
      origin(source),
      now,
    );
  };
  const flap = (raise: boolean) =>
    ingestUpdate(
      store,
      update("web1", [alert("disk", raise ? { raiseTimeS: sec(clock.now()) } : { clearTimeS: sec(clock.now()) })]),
      origin("web1"),
      clock.now(),
    );

  /** Heartbeats from every source every BEAT_MS, web1's disk flapping every 3 h, and one pass an hour. */
  async function run(days: number): Promise<void> {
    for (let t = 0; t < days * DAY_MS; t += BEAT_MS) {
      clock.advance(BEAT_MS);
      for (const s of SOURCES) assert.equal(beat(s).status, "applied");
      if (clock.now() % (3 * HOUR_MS) === 0) flap(Math.floor(clock.now() / (3 * HOUR_MS)) % 2 === 0);
      if (clock.now() % HOUR_MS === 0) await retention.pruneOnce();
    }
  }

  it("stops the rows from growing under steady heartbeats and a flapping alert", async () => {
    const open = ingestUpdate(
      store,
      update("db1", [alert("raid", { summary: "degraded" })]),
      origin("db1"),
      clock.now(),
    );
    assert.equal(open.status, "applied");
    const openId = open.status === "applied" ? open.changes[0]!.alert.shortId : -1;
    const openHistory = store.alerts.history(openId).length;

    await run(4);
    const after4 = { history: store.alerts.historyCount(), transmissions: store.transmissions.count() };
    await run(4);
    const after8 = { history: store.alerts.historyCount(), transmissions: store.transmissions.count() };

    // A day of transmissions: 5 sources × 48 beats, and web1's flaps (8 a day), give or take a pass.
    assert.ok(after8.transmissions <= SOURCES.length * 49 + 9, `transmissions bounded: ${after8.transmissions}`);
    assert.ok(after8.transmissions >= SOURCES.length * 47, `a day's worth is kept: ${after8.transmissions}`);
    assert.ok(Math.abs(after8.transmissions - after4.transmissions) <= 10, JSON.stringify({ after4, after8 }));
    // Heartbeats write no history once armed; the flapping alert's lines beyond two days go.
    assert.ok(Math.abs(after8.history - after4.history) <= 2, JSON.stringify({ after4, after8 }));
    assert.ok(after8.history < 2 * 8 + SOURCES.length + 5, `history bounded: ${after8.history}`);
    assert.equal(store.alerts.history(openId).length, openHistory, "the open alert keeps its whole history");
    assert.ok(openHistory > 0);
    // Each alert's history, walked back from its newest line, is every line of it kept, in order.
    const kept = store.alerts.historySince(0, Number.MAX_SAFE_INTEGER);
    for (const a of store.alerts.list("all"))
      assert.deepEqual(
        store.alerts.history(a.shortId),
        kept.filter((h) => h.shortId === a.shortId).map(({ source: _s, alertId: _a, ...h }) => h),
        `#${a.shortId} ${a.source}/${a.alertId}`,
      );
  });

  it("still refuses a replay within the window, and each source's newest transmissions whatever their age", async () => {
    const t0 = clock.now();
    const first = update("mail1", [alert("queue", { raiseTimeS: sec(t0) })]);
    assert.equal(ingestUpdate(store, first, origin("mail1"), t0).status, "applied");
    // A quiet source (mauvesend, no sequence): fewer updates than its node retains, for days.
    for (let i = 1; i < AGENT_NODE_MAX_ITEMS; i++) {
      clock.advance(HOUR_MS);
      ingestUpdate(
        store,
        update("mail1", [alert("queue", { clearTimeS: sec(clock.now()) })]),
        origin("mail1"),
        clock.now(),
      );
    }
    clock.advance(5 * DAY_MS);
    const recent = update("web1", [alert("disk", { raiseTimeS: sec(clock.now()) })]);
    assert.equal(ingestUpdate(store, recent, origin("web1"), clock.now()).status, "applied");
    clock.advance(HOUR_MS);
    await retention.pruneOnce();

    assert.equal(ingestUpdate(store, recent, origin("web1"), clock.now()).status, "duplicate", "within the window");
    assert.equal(
      ingestUpdate(store, first, origin("mail1"), clock.now()).status,
      "duplicate",
      "a node's retained item, days old, replayed at a start",
    );
    assert.equal(store.alerts.find("mail1", "queue")?.status, "cleared", "the old raise did not apply again");

    // One more from mail1 pushes its oldest out of the newest kept: only then is it forgotten.
    ingestUpdate(store, update("mail1", [alert("other")]), origin("mail1"), clock.now());
    await retention.pruneOnce();
    assert.equal(store.transmissions.seen("mail1", first.transmissionId), false);
    assert.equal(store.transmissions.seen("web1", recent.transmissionId), true);
  });

  it("runs a pass on its own timer, on the injected clock", async () => {
    for (let i = 0; i < 3; i++) {
      beat("web1");
      clock.advance(BEAT_MS);
    }
    for (let i = 0; i < AGENT_NODE_MAX_ITEMS + 10; i++) {
      beat("web2");
      clock.advance(MINUTE_MS);
    }
    const before = store.transmissions.count();
    retention.start();
    clock.advance(HOUR_MS);
    await retention.idle();
    assert.equal(store.transmissions.count(), before, "nothing is a day old yet");
    // The next pass is armed when this one ends, an hour on: the beats are two days old by then.
    clock.advance(2 * DAY_MS);
    await retention.idle();
    clock.advance(HOUR_MS);
    await retention.idle();
    assert.equal(before - store.transmissions.count(), 10, "web2's ten beyond its newest went; web1 has fewer");
  });
});
