// The status node's board in a storm: its title counts the silenced among every raised alert, a
// match per alert, so with tens of thousands raised and a silence in force a board a second took
// most of the bot's time and held its one thread. The board now waits longer the more it counts
// (the history items do not), and counts a slice at a time with the event loop let in between.
import assert from "node:assert/strict";
import { AuditFeed, AUDIT_NODE, STATUS_NODE } from "../../src/bot/audit-feed.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { ingestUpdate } from "../../src/ingest/ingest-update.js";
import { createLogger } from "../../src/log.js";
import { Store } from "../../src/store/store.js";
import type { PlainElement } from "../../src/xmpp/payload.js";
import type { Pubsub } from "../../src/xmpp/pubsub.js";
import { alert, update } from "../helpers/updates.js";

const T0 = 1_700_000_000_000;
const S = 1000;

function textOf(entry: PlainElement, name: string): string {
  const child = (entry.children ?? []).find((c): c is PlainElement => typeof c !== "string" && c.name === name);
  return (child?.children ?? []).filter((c): c is string => typeof c === "string").join("");
}
const titleOf = (entry: PlainElement): string => textOf(entry, "title");

/** The feed over `store`; `order` records each publish by node (with the board's title) and whatever else is pushed. */
function feedOver(store: Store, clock: FakeClock, boardMsPerRaised?: number, refuseBoards = 0) {
  const order: string[] = [];
  const boards: PlainElement[] = [];
  let refusals = refuseBoards;
  const pubsub = {
    publishForeign: (_service: string, node: string, entry: PlainElement) => {
      if (node === STATUS_NODE && refusals > 0) {
        refusals--;
        order.push("board refused");
        return Promise.resolve({ ok: false, condition: "internal-server-error" });
      }
      if (node === STATUS_NODE) boards.push(entry);
      order.push(node === STATUS_NODE ? `board: ${titleOf(entry)}` : node);
      return Promise.resolve({ ok: true });
    },
  } as unknown as Pubsub;
  const feed = new AuditFeed({
    store,
    clock,
    log: createLogger({ level: "error", sink: () => undefined }),
    pubsub,
    service: "pubsub.mauve.localhost",
    readers: [],
    ...(boardMsPerRaised === undefined ? {} : { boardMsPerRaised }),
  });
  return { feed, order, boards };
}

const raise = (store: Store, source: string, count: number, at: number): void => {
  const alerts = Array.from({ length: count }, (_, i) => alert(`check${i}`, { summary: `check ${i} failed` }));
  assert.equal(ingestUpdate(store, update(source, alerts), { via: "udp" }, at).status, "applied");
};

describe("audit feed: the status board in a storm", () => {
  it("waits longer the more alerts it counts; the history goes out meanwhile, and the board catches up", async () => {
    const store = Store.open(":memory:");
    const clock = new FakeClock(T0);
    // 5 raised at 1 s each: the board waits 5 s after each publish.
    const { feed, order } = feedOver(store, clock, 1000);
    raise(store, "web1", 5, clock.now());
    await feed.flush();
    assert.deepEqual(order.splice(0), [AUDIT_NODE, "board: 5 raised, 0 acked, 0 silenced"]);

    clock.advance(S);
    raise(store, "web2", 2, clock.now());
    await feed.flush();
    assert.deepEqual(order.splice(0), [AUDIT_NODE], "the history goes out; the board waits");

    clock.advance(3 * S);
    await feed.flush();
    assert.deepEqual(order.splice(0), [], "still within the board's wait, and nothing new");

    clock.advance(S);
    await feed.flush();
    assert.deepEqual(order.splice(0), ["board: 7 raised, 0 acked, 0 silenced"], "owed: out once its wait is over");

    clock.advance(60 * S);
    await feed.flush();
    assert.deepEqual(order.splice(0), [], "nothing new, nothing owed");
    store.close();
  });

  it("a few raised alerts: a board at every poll with news, as before", async () => {
    const store = Store.open(":memory:");
    const clock = new FakeClock(T0);
    const { feed, order } = feedOver(store, clock);
    for (let i = 0; i < 3; i++) {
      raise(store, `web${i}`, 1, clock.now());
      await feed.flush();
      assert.deepEqual(order.splice(0), [AUDIT_NODE, `board: ${i + 1} raised, 0 acked, 0 silenced`]);
      clock.advance(S);
    }
    store.close();
  });

  it("counts the silenced among thousands a slice at a time, letting the event loop in between", async () => {
    const store = Store.open(":memory:");
    const clock = new FakeClock(T0);
    for (let i = 0; i < 5; i++) raise(store, `quiet${i}`, 1000, clock.now());
    raise(store, "web1", 500, clock.now());
    store.policy.addSilence({ source: ["quiet*"] }, T0 + 3600 * S, "carol", "maintenance", T0);
    const { feed, order } = feedOver(store, clock);
    // The history first, so that the board is what the next turn finds under way.
    await feed.flush();
    order.splice(0);
    clock.advance(10 * S);
    raise(store, "web2", 1, clock.now());
    const flushed = feed.flush();
    setImmediate(() => order.push("a person's command"));
    await flushed;
    assert.deepEqual(order, [AUDIT_NODE, "a person's command", "board: 5501 raised, 0 acked, 5000 silenced"]);
    store.close();
  });

  it("with no silence in force, counts and ranks thousands a slice at a time too", async () => {
    const store = Store.open(":memory:");
    const clock = new FakeClock(T0);
    for (let i = 0; i < 5; i++) raise(store, `web${i}`, 1000, clock.now());
    const { feed, order } = feedOver(store, clock);
    await feed.flush();
    order.splice(0);
    clock.advance(10 * S);
    raise(store, "web9", 1, clock.now());
    const flushed = feed.flush();
    setImmediate(() => order.push("a person's command"));
    await flushed;
    assert.deepEqual(order, [AUDIT_NODE, "a person's command", "board: 5001 raised, 0 acked, 0 silenced"]);
    store.close();
  });

  it("lists the most urgent raised alerts from every slice, as SQLite sorts them, and counts the acked", async () => {
    const store = Store.open(":memory:");
    const clock = new FakeClock(T0);
    // Urgency against the numbers: importance scattered, and the later sources raised earlier.
    for (let s = 0; s < 5; s++) {
      const alerts = Array.from({ length: 1000 }, (_, i) =>
        alert(`check${i}`, { summary: `check ${i} failed`, importance: ((s * 1000 + i) * 7919) % 97 }),
      );
      assert.equal(ingestUpdate(store, update(`web${s}`, alerts), { via: "udp" }, T0 + (5 - s) * S).status, "applied");
    }
    const ackedIds = store.alerts.list("raised", 3).map((a) => a.shortId);
    for (const shortId of [...ackedIds, 4321])
      store.alerts.save({ ...store.alerts.get(shortId)!, ack: { by: "bob", at: T0, until: T0 + 3600 * S, note: "" } });
    store.policy.addSilence({ source: ["web3"] }, T0 + 3600 * S, "carol", "maintenance", T0);
    clock.advance(10 * S);
    const { feed, boards } = feedOver(store, clock);
    await feed.flush();
    const board = boards.at(-1)!;
    assert.equal(titleOf(board), "5000 raised, 4 acked, 1000 silenced");
    const lines = textOf(board, "summary").split("\n");
    assert.deepEqual(
      lines.slice(0, 50).map((l) => Number(/^#(\d+) /.exec(l)?.[1])),
      store.alerts.page("raised", 50).alerts.map((a) => a.shortId),
    );
    assert.match(lines[0]!, /\(acked by bob\)$/);
    assert.equal(
      lines[50],
      '…and 4950 more: say "show 100" to AlertBot for up to 100 of them; its web board, when on, lists them all',
    );
    store.close();
  });

  it("a board the server refused stays owed and goes out at the next poll past its wait", async () => {
    const store = Store.open(":memory:");
    const clock = new FakeClock(T0);
    const { feed, order } = feedOver(store, clock, undefined, 1);
    raise(store, "web1", 2, clock.now());
    await feed.flush();
    assert.deepEqual(order.splice(0), [AUDIT_NODE, "board refused"]);
    clock.advance(S);
    await feed.flush();
    assert.deepEqual(order.splice(0), ["board: 2 raised, 0 acked, 0 silenced"], "no new history, but owed");
    store.close();
  });

  it("stopped while counting, the board is not published", async () => {
    const store = Store.open(":memory:");
    const clock = new FakeClock(T0);
    for (let i = 0; i < 3; i++) raise(store, `quiet${i}`, 1000, clock.now());
    store.policy.addSilence({ source: ["quiet*"] }, T0 + 3600 * S, "carol", "maintenance", T0);
    const { feed, order } = feedOver(store, clock);
    const flushed = feed.flush();
    setImmediate(() => feed.stop());
    await flushed;
    assert.ok(!order.some((o) => o.startsWith("board")), order.join(", "));
    store.close();
  });
});
