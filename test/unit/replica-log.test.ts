// The standby's side of the replica log (src/bot/replica-log.ts): batches applied once and in
// order; one that cannot be applied leaves the file needing a snapshot, said, not a catch-up that
// fails again at every try with the file never seen to be behind.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { ReplicaFollower, ReplicaPublisher, REPLICA_NODE } from "../../src/bot/replica-log.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { Store } from "../../src/store/store.js";
import { NS_MAUVE_REPLICA } from "../../src/xmpp/namespaces.js";
import type { Pubsub, PubsubItem } from "../../src/xmpp/pubsub.js";
import { LogLines } from "../helpers/spine.js";

describe("replica log: the standby's follower", () => {
  it("a batch that cannot be applied leaves the file behind, needing a snapshot, and says so", async () => {
    const active = Store.open(":memory:", { replicated: true });
    const standby = Store.open(":memory:", { replicated: true });
    try {
      active.replica!.startCapture(() => undefined);
      active.transaction(() => active.policy.setBotState("k", "1"));
      const good = active.replica!.take(100)!;
      const batch = (seq: number, text: string): PubsubItem => ({
        itemId: String(seq),
        unknownPayload: `{${NS_MAUVE_REPLICA}}batch`,
        text,
      });
      const items = [batch(1, "eJzLSM3JyQcABiwCFQ=="), batch(2, good.data)];
      const pubsub = {
        getItems: async (_service: string, node: string) => {
          assert.equal(node, REPLICA_NODE);
          return { ok: true, items };
        },
      } as unknown as Pubsub;
      const log = new LogLines();
      const follower = new ReplicaFollower({
        pubsub,
        service: "pubsub.x.org",
        journal: standby.replica!,
        clock: new FakeClock(),
        log: log.logger,
      });
      await follower.catchUp();
      assert.deepEqual(follower.state(), { seq: 0, gap: true }, "behind the log: the takeover path sees it");
      assert.equal(
        log.withMsg("replica log: a batch cannot be applied; this file needs a snapshot of the active's")[0]?.["seq"],
        1,
      );
    } finally {
      active.close();
      standby.close();
    }
  });
});

describe("replica log: the active's publisher", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "mauve-replica-pub-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("a batch published whose number cannot be written to the file (disk full) neither ends the process nor has its number used again", async () => {
    const path = join(dir, "active.sqlite");
    const store = Store.open(path, { replicated: true });
    // A second connection to the same file: makes the journal's own write fail, as a full disk does.
    const other = new Database(path);
    const clock = new FakeClock();
    const published: string[] = [];
    const pubsub = {
      createNode: async () => ({ ok: true }),
      setAffiliation: async () => ({ ok: true }),
      publishForeign: async (_s: string, node: string, _el: unknown, itemId: string) => {
        assert.equal(node, REPLICA_NODE);
        published.push(itemId);
        return { ok: true };
      },
    } as unknown as Pubsub;
    const log = new LogLines();
    const publisher = new ReplicaPublisher({
      pubsub,
      service: "pubsub.x.org",
      journal: store.replica!,
      clock,
      log: log.logger,
      standbyJid: "standby.x.org",
      retainedItems: 100,
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown): void => void unhandled.push(err);
    process.on("unhandledRejection", onUnhandled);
    try {
      await publisher.start();
      const write = async (v: string): Promise<void> => {
        store.transaction(() => store.policy.setBotState("k", v));
        await publisher.flushed();
        await new Promise((resolve) => setImmediate(resolve));
      };
      await write("1");
      other.exec(
        "CREATE TRIGGER full BEFORE UPDATE ON replica_state BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END",
      );
      await write("2");
      await write("3");
      assert.deepEqual(published, ["1", "2", "3"], "every batch under a number of its own, none reused");
      assert.deepEqual(unhandled, []);
      assert.deepEqual(
        log.lines.filter((l) => l["level"] === "error").map((l) => l["seq"]),
        [2],
        "the failed write said once, as an error",
      );
      assert.equal((other.prepare("SELECT seq FROM replica_state").get() as { seq: number }).seq, 1);
      other.exec("DROP TRIGGER full");
      clock.advance(60_000);
      assert.equal(
        (other.prepare("SELECT seq FROM replica_state").get() as { seq: number }).seq,
        3,
        "the number is written once the file can be written again",
      );
      await write("4");
      assert.deepEqual(published, ["1", "2", "3", "4"]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
      publisher.stop();
      other.close();
      store.close();
    }
  });
});
