// How the audit and status nodes name alerts, read in any XMPP client: by source and id, a sender's
// subject only marked as its words (source x9 may write "web1" there, issue #11), and a board cut
// to its lines says how to see the rest. The real server's side is in test/integration/audit-status.test.ts.
import assert from "node:assert/strict";
import { AuditFeed, STATUS_NODE } from "../../src/bot/audit-feed.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { ingestUpdate } from "../../src/ingest/ingest-update.js";
import { createLogger } from "../../src/log.js";
import { Store } from "../../src/store/store.js";
import type { PlainElement } from "../../src/xmpp/payload.js";
import type { Pubsub } from "../../src/xmpp/pubsub.js";
import { alert, update } from "../helpers/updates.js";

const NOW = 1_700_000_000_000;

/** The feed over `store`, keeping every entry it publishes as { node, title, summary }. */
function feedOver(store: Store) {
  const entries: Array<{ node: string; title: string; summary: string }> = [];
  const text = (entry: PlainElement, name: string): string => {
    const child = (entry.children ?? []).find((c): c is PlainElement => typeof c !== "string" && c.name === name);
    return (child?.children ?? []).filter((c): c is string => typeof c === "string").join("");
  };
  const pubsub = {
    publishForeign: (_service: string, node: string, entry: PlainElement) => {
      entries.push({ node, title: text(entry, "title"), summary: text(entry, "summary") });
      return Promise.resolve({ ok: true });
    },
  } as unknown as Pubsub;
  const feed = new AuditFeed({
    store,
    clock: new FakeClock(NOW),
    log: createLogger({ level: "error", sink: () => undefined }),
    pubsub,
    service: "pubsub.mauve.localhost",
    readers: [],
  });
  return { feed, entries };
}

describe("audit and status nodes: how they name alerts", () => {
  it("the board names each alert by source and id, a sender's subject after them marked as its words", async () => {
    const store = Store.open(":memory:");
    ingestUpdate(store, update("web1", [alert("disk", { summary: "Disk / is 97% full" })]), { via: "udp" }, NOW);
    ingestUpdate(store, update("x9", [alert("disk2", { subject: "web1" })]), { via: "udp" }, NOW);
    ingestUpdate(store, update("x9", [alert("load", { subject: "web1", summary: "load 40" })]), { via: "udp" }, NOW);
    ingestUpdate(store, update("db1", [alert("log", { summary: "x".repeat(1024) })]), { via: "udp" }, NOW);
    const id = (source: string, alertId: string): number => store.alerts.find(source, alertId)!.shortId;
    const { feed, entries } = feedOver(store);
    await feed.flush();
    const board = entries.find((e) => e.node === STATUS_NODE)!;
    assert.equal(board.title, "4 raised, 0 acked, 0 silenced");
    assert.deepEqual(board.summary.split("\n").sort(), [
      `#${id("web1", "disk")} web1 disk: Disk / is 97% full`,
      `#${id("x9", "disk2")} x9 disk2 (subject 'web1')`,
      `#${id("x9", "load")} x9 load (subject 'web1'): load 40`,
      // A summary is cut as show cuts it.
      `#${id("db1", "log")} db1 log: ${"x".repeat(119)}…`,
    ]);
    // The history items lead with the number, source and id too.
    for (const e of entries.filter((e) => e.node !== STATUS_NODE))
      assert.match(e.title, /^(\d+ events, )?#\d+ (web1 disk|x9 disk2|x9 load) raised by /, e.title);
    store.close();
  });

  it("a board cut to its 50 lines says how many are left out and where to see them", async () => {
    const store = Store.open(":memory:");
    const alerts = Array.from({ length: 80 }, (_, i) => alert(`check${i}`, { summary: `check ${i} failed` }));
    ingestUpdate(store, update("web1", alerts), { via: "udp" }, NOW);
    const { feed, entries } = feedOver(store);
    await feed.flush();
    const lines = entries.find((e) => e.node === STATUS_NODE)!.summary.split("\n");
    assert.equal(lines.length, 51);
    assert.equal(
      lines[50],
      '…and 30 more: say "show 100" to AlertBot for up to 100 of them; its web board, when on, lists them all',
    );
    store.close();
  });
});
