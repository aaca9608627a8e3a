// The standby's side of the replica log (src/bot/replica-log.ts): batches applied once and in
// order; one that cannot be applied leaves the file needing a snapshot, said, not a catch-up that
// fails again at every try with the file never seen to be behind.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { ReplicaFollower, ReplicaPublisher, REPLICA_NODE, type SchemaMismatch } from "../../src/bot/replica-log.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { Store } from "../../src/store/store.js";
import { NS_MAUVE_REPLICA } from "../../src/xmpp/namespaces.js";
import type { PlainElement } from "../../src/xmpp/payload.js";
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
        attrs: { schema: String(good.schema) },
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
      assert.deepEqual(
        follower.state(),
        { seq: 0, gap: true, mismatch: null },
        "behind the log: the takeover path sees it",
      );
      assert.equal(
        log.withMsg("replica log: a batch cannot be applied; this file needs a snapshot of the active's")[0]?.["seq"],
        1,
      );
    } finally {
      active.close();
      standby.close();
    }
  });

  it("a file behind the log with no batch applied between two checks subscribes again and catches up; one that gains batches does not", async () => {
    const active = Store.open(":memory:", { replicated: true });
    const standby = Store.open(":memory:", { replicated: true });
    try {
      active.replica!.startCapture(() => undefined);
      const items: PubsubItem[] = [];
      const write = (v: string): void => {
        active.transaction(() => active.policy.setBotState("k", v));
        const b = active.replica!.take(100)!;
        active.replica!.published(b.seq);
        items.push({
          itemId: String(b.seq),
          unknownPayload: `{${NS_MAUVE_REPLICA}}batch`,
          text: b.data,
          attrs: { schema: String(b.schema) },
        });
      };
      let subscribes = 0;
      const pubsub = {
        subscribe: async () => (subscribes++, { ok: true }),
        getItems: async (_service: string, _node: string, max?: number) => ({
          ok: true,
          items: max === undefined ? items : items.slice(-max),
        }),
      } as unknown as Pubsub;
      const log = new LogLines();
      const follower = new ReplicaFollower({
        pubsub,
        service: "pubsub.x.org",
        journal: standby.replica!,
        clock: new FakeClock(),
        log: log.logger,
      });
      write("1");
      await follower.start();
      assert.equal(standby.replica!.seq, 1);
      assert.equal(subscribes, 1);

      // Batches come as items: a check finds the file level, or behind and gaining.
      write("2");
      await follower.check();
      follower.onItem(items[1]!);
      write("3");
      await follower.check();
      assert.equal(subscribes, 1, "behind at one check only: items are on their way");

      // No item comes any more (the subscription is gone): the second check sees it.
      write("4");
      await follower.check();
      await follower.check();
      assert.equal(subscribes, 2, "subscribed again");
      assert.equal(standby.replica!.seq, 4, "and caught up");
      assert.equal(
        log.withMsg("replica log: no batch came, though the log holds newer ones; subscribing again").length,
        1,
      );
      await follower.check();
      assert.equal(subscribes, 2, "level again: nothing more");
    } finally {
      active.close();
      standby.close();
    }
  });
});

describe("replica log: an active of another version (schema)", () => {
  const MISMATCH_MSG =
    "replica log: the active runs another version of mauve-xmpp; its writes are not applied to this file, which stays as it is and cannot take over up to date. Run the same version on both bots (docs/failover.md)";

  /** A follower of an empty standby file, over a log whose retained items the test sets. */
  function follow() {
    const active = Store.open(":memory:", { replicated: true });
    const standby = Store.open(":memory:", { replicated: true });
    active.replica!.startCapture(() => undefined);
    let n = 0;
    const nextBatch = (): string => {
      active.transaction(() => active.policy.setBotState("k", String(++n)));
      return active.replica!.take(100)!.data;
    };
    const items: PubsubItem[] = [];
    const pubsub = { getItems: async () => ({ ok: true, items }) } as unknown as Pubsub;
    const log = new LogLines();
    const told: Array<SchemaMismatch | null> = [];
    const follower = new ReplicaFollower({
      pubsub,
      service: "pubsub.x.org",
      journal: standby.replica!,
      clock: new FakeClock(),
      log: log.logger,
      onMismatch: (m) => told.push(m),
    });
    const item = (seq: number, schema: string | undefined): PubsubItem => ({
      itemId: String(seq),
      unknownPayload: `{${NS_MAUVE_REPLICA}}batch`,
      text: nextBatch(),
      ...(schema === undefined ? {} : { attrs: { schema } }),
    });
    const own = standby.replica!.schema;
    // The active's writes that reached this file: its value of "k", and the batches applied.
    const stateRows = (): number => (standby.policy.botState("k") === undefined ? 0 : 1) + standby.replica!.seq;
    const close = (): void => {
      active.close();
      standby.close();
    };
    return { follower, items, item, log, told, own, stateRows, close, standby };
  }

  it("applies no batch of an active that does not say its schema (a version older than the check), says so once, and tells once", async () => {
    const t = follow();
    try {
      t.follower.onItem(t.item(1, undefined));
      t.follower.onItem(t.item(2, undefined));
      assert.equal(t.stateRows(), 0, "nothing of the active's writes in this file");
      const state = t.follower.state();
      assert.deepEqual(state.mismatch, { activeSchema: null, ownSchema: t.own, seq: 1 });
      assert.equal(state.gap, true, "behind the log: the takeover path sees it");
      assert.equal(t.log.withMsg(MISMATCH_MSG).length, 1, "said once, as an error");
      assert.equal(t.log.withMsg(MISMATCH_MSG)[0]?.["level"], "error");
      assert.deepEqual(t.told, [{ activeSchema: null, ownSchema: t.own, seq: 1 }], "told once");
    } finally {
      t.close();
    }
  });

  it("applies no batch written for another schema, at catch-up too, and never a later one of its own schema on top", async () => {
    const t = follow();
    try {
      t.items.push(t.item(1, String(t.own + 1)), t.item(2, String(t.own + 1)));
      await t.follower.catchUp();
      assert.equal(t.stateRows(), 0);
      assert.deepEqual(t.follower.state().mismatch, { activeSchema: t.own + 1, ownSchema: t.own, seq: 1 });
      assert.equal(t.follower.state().gap, true);
      // The active is upgraded to this schema: its batches are this file's again, but batches 1 and
      // 2 can never be applied here, so the file needs a snapshot (a gap), not a mismatch.
      t.items.push(t.item(3, String(t.own)));
      t.follower.onItem(t.items.at(-1)!);
      await t.follower.catchUp();
      assert.equal(t.stateRows(), 0, "batch 3 is not applied over the missing 1 and 2");
      assert.deepEqual(t.follower.state(), { seq: 0, gap: true, mismatch: null });
      assert.deepEqual(t.told, [{ activeSchema: t.own + 1, ownSchema: t.own, seq: 1 }, null], "its end told once");
      assert.equal(t.log.withMsg("replica log: the active's batches are for this file's schema again").length, 1);
    } finally {
      t.close();
    }
  });

  it("applies batches of its own schema, and a schema said in a form it cannot read counts as another", async () => {
    const t = follow();
    try {
      t.follower.onItem(t.item(1, String(t.own)));
      assert.equal(t.standby.replica!.seq, 1);
      t.follower.onItem(t.item(2, ` ${t.own}`));
      assert.equal(t.standby.replica!.seq, 1);
      assert.equal(t.follower.state().mismatch?.activeSchema, null);
      assert.deepEqual(t.told, [{ activeSchema: null, ownSchema: t.own, seq: 2 }]);
    } finally {
      t.close();
    }
  });

  it("the active marks each batch with its file's schema", async () => {
    const store = Store.open(":memory:", { replicated: true });
    const sent: PlainElement[] = [];
    const pubsub = {
      createNode: async () => ({ ok: true }),
      setAffiliation: async () => ({ ok: true }),
      publishForeign: async (_s: string, _node: string, el: PlainElement) => {
        sent.push(el);
        return { ok: true };
      },
    } as unknown as Pubsub;
    const publisher = new ReplicaPublisher({
      pubsub,
      service: "pubsub.x.org",
      journal: store.replica!,
      clock: new FakeClock(),
      log: new LogLines().logger,
      standbyJid: "standby.x.org",
      retainedItems: 100,
    });
    try {
      await publisher.start();
      store.transaction(() => store.policy.setBotState("k", "1"));
      await publisher.flushed();
      assert.equal(sent.length, 1);
      assert.deepEqual(sent[0]?.attrs, { schema: String(store.schemaVersion()) });
      assert.ok(store.schemaVersion() > 0);
    } finally {
      publisher.stop();
      store.close();
    }
  });
});

/** Lets the promise callbacks now due run (a publish answered, a waiter resolved). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A publisher of `store`'s journal on `clock` through a pubsub service that answers each publish
 * with `publish` (node and item id); every create of the node succeeds, after `onCreate`.
 */
function publisherOf(
  store: Store,
  clock: FakeClock,
  log: LogLines,
  publish: (node: string, itemId: string) => { ok: true } | { ok: false; condition: string },
  options: { holdLimitMs?: number; maxHeldWrites?: number; onCreate?: () => void } = {},
): ReplicaPublisher {
  const pubsub = {
    createNode: async () => (options.onCreate?.(), { ok: true }),
    setAffiliation: async () => ({ ok: true }),
    publishForeign: async (_s: string, node: string, _el: unknown, itemId: string) => publish(node, itemId),
  } as unknown as Pubsub;
  return new ReplicaPublisher({
    pubsub,
    service: "pubsub.x.org",
    journal: store.replica!,
    clock,
    log: log.logger,
    standbyJid: "standby.x.org",
    retainedItems: 100,
    ...(options.holdLimitMs !== undefined ? { holdLimitMs: options.holdLimitMs } : {}),
    ...(options.maxHeldWrites !== undefined ? { maxHeldWrites: options.maxHeldWrites } : {}),
  });
}

/** A publisher of `store` whose server refuses every batch while `server.refuse` is set; `server.published` lists the rest. */
function refusablePublisher(
  store: Store,
  clock: FakeClock,
  log: LogLines,
  options: { holdLimitMs?: number; maxHeldWrites?: number },
): { publisher: ReplicaPublisher; server: { refuse: boolean; published: string[] } } {
  const server = { refuse: false, published: [] as string[] };
  const publisher = publisherOf(
    store,
    clock,
    log,
    (_node, itemId) => {
      if (server.refuse) return { ok: false, condition: "internal-server-error" };
      server.published.push(itemId);
      return { ok: true };
    },
    options,
  );
  return { publisher, server };
}

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
    const log = new LogLines();
    const publisher = publisherOf(store, clock, log, (node, itemId) => {
      assert.equal(node, REPLICA_NODE);
      published.push(itemId);
      return { ok: true };
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown): void => void unhandled.push(err);
    process.on("unhandledRejection", onUnhandled);
    try {
      await publisher.start();
      const write = async (v: string): Promise<void> => {
        store.transaction(() => store.policy.setBotState("k", v));
        await publisher.flushed();
        await settle();
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

  it("a log refused for longer than the hold limit stops holding sends, says so once, and holds them again once it takes batches", async () => {
    const store = Store.open(join(dir, "active.sqlite"), { replicated: true });
    const clock = new FakeClock();
    const log = new LogLines();
    const told: string[] = [];
    const { publisher, server } = refusablePublisher(store, clock, log, { holdLimitMs: 30_000 });
    const resolvedYet = (p: Promise<void>): Promise<boolean> => {
      let done = false;
      void p.then(() => (done = true));
      return settle().then(() => done);
    };
    try {
      await publisher.start();
      publisher.listen({
        stuck: (since, condition) => told.push(`stuck ${since} ${condition}`),
        flowing: () => told.push("flowing"),
      });
      store.transaction(() => store.policy.setBotState("k", "1"));
      await publisher.flushedOrStuck();
      assert.deepEqual(told, ["flowing"], "the first batch of a process says the log flows (an old alert may clear)");

      server.refuse = true;
      const refusedAt = clock.now();
      store.transaction(() => store.policy.setBotState("k", "2"));
      const send = publisher.flushedOrStuck();
      const strict = publisher.flushed();
      await settle();
      clock.advance(29_000);
      await settle();
      assert.equal(await resolvedYet(send), false, "a send waits for the log up to the limit");
      clock.advance(1_000);
      assert.equal(await resolvedYet(send), true, "past the limit the send goes");
      assert.equal(
        await resolvedYet(strict),
        false,
        "what must know the log is complete (a snapshot, a stop) still waits",
      );
      assert.deepEqual(told, ["flowing", `stuck ${refusedAt} internal-server-error`]);
      store.transaction(() => store.policy.setBotState("k", "3"));
      assert.equal(await resolvedYet(publisher.flushedOrStuck()), true, "while stuck, sends do not wait");
      clock.advance(120_000);
      await settle();
      assert.equal(
        log.lines.filter((l) => l["level"] === "error").length,
        1,
        "stuck said once as an error, however many tries",
      );

      server.refuse = false;
      for (let i = 0; i < 5 && !(await resolvedYet(strict)); i++) {
        clock.advance(60_000);
        await settle();
      }
      assert.equal(await resolvedYet(strict), true, "the writes held go once the log takes them");
      assert.deepEqual(server.published, ["1", "2", "3"], "in order, none lost");
      assert.deepEqual(told.at(-1), "flowing");
      server.refuse = true;
      store.transaction(() => store.policy.setBotState("k", "4"));
      assert.equal(await resolvedYet(publisher.flushedOrStuck()), false, "a fresh refusal holds sends again");
    } finally {
      publisher.stop();
      store.close();
    }
  });

  it("a log stuck with more writes held than the limit gives them up: memory stays bounded, waits end, and the log goes on after a gap", async () => {
    const store = Store.open(join(dir, "active.sqlite"), { replicated: true });
    const clock = new FakeClock();
    const log = new LogLines();
    const { publisher, server } = refusablePublisher(store, clock, log, { holdLimitMs: 30_000, maxHeldWrites: 5 });
    const write = (v: string): void => store.transaction(() => store.policy.setBotState("k", v));
    const givenUp = (): Array<Record<string, unknown>> =>
      log.withMsg(
        "replica log: refused for so long that the writes held for it were given up; the standby will rebuild from a snapshot once the log takes batches again",
      );
    try {
      await publisher.start();
      write("1");
      await publisher.flushed();
      server.refuse = true;
      write("2");
      let strictDone = false;
      void publisher.flushed().then(() => (strictDone = true));
      await settle();
      for (let v = 3; v <= 5; v++) write(String(v));
      clock.advance(60_000);
      await settle();
      assert.deepEqual(givenUp(), [], "not while sends still wait for the log, nor within the limit");
      for (let v = 6; v <= 8; v++) write(String(v));
      clock.advance(60_000);
      await settle();
      assert.equal(givenUp().length, 1, "past the limit, once stuck: given up, said as an error");
      assert.equal(givenUp()[0]?.["dropped"], 7, "the batch under way and the six after it");
      assert.equal(store.replica!.backlog, 0, "nothing held in memory any more");
      assert.equal(strictDone, true, "a wait for the whole log (a snapshot, a stop) ends: they will never be in it");

      write("9");
      server.refuse = false;
      for (let i = 0; i < 5 && server.published.length < 2; i++) {
        clock.advance(60_000);
        await settle();
      }
      assert.deepEqual(
        server.published,
        ["1", "3"],
        "the log goes on after a gap (batch 2 given up), so a follower rebuilds",
      );
    } finally {
      publisher.stop();
      store.close();
    }
  });

  it("a file whose held writes were given up is not marked clean at a stop until a batch of its new line is in the log", () => {
    const active = Store.open(join(dir, "active.sqlite"), { replicated: true });
    const standby = Store.open(join(dir, "standby.sqlite"), { replicated: true });
    try {
      const j = active.replica!;
      j.startCapture(() => undefined);
      active.transaction(() => active.policy.setBotState("k", "1"));
      const first = j.take(100)!;
      j.published(first.seq);
      active.transaction(() => active.policy.setBotState("k", "2"));
      j.take(100);
      active.transaction(() => active.policy.setBotState("k", "3"));
      assert.equal(j.dropHeld(), 1, "the write committed after the batch under way");
      assert.equal(j.drained, true);
      j.stopCapture();
      assert.equal(j.clean, false, "the file holds writes no log batch has: another bot's batch 2 is not this one");

      j.startCapture(() => undefined);
      active.transaction(() => active.policy.setBotState("k", "4"));
      const next = j.take(100)!;
      assert.equal(next.seq, 3, "numbered after the batch given up");
      j.published(next.seq);
      j.stopCapture();
      assert.equal(j.clean, true, "a batch of the new line is in the log: the file follows it");

      assert.equal(standby.replica!.apply(first.seq, first.data), "applied");
      assert.equal(standby.replica!.apply(next.seq, next.data), "gap", "a follower of the old line needs a snapshot");
    } finally {
      active.close();
      standby.close();
    }
  });

  it("a node that is gone is made again and takes the batch at once; refused again, the batch waits its turn", async () => {
    const store = Store.open(join(dir, "active.sqlite"), { replicated: true });
    const clock = new FakeClock();
    let exists = true;
    let creates = 0;
    let remakeWorks = true;
    const published: string[] = [];
    const log = new LogLines();
    const publisher = publisherOf(
      store,
      clock,
      log,
      (_node, itemId) => {
        if (!exists) return { ok: false, condition: "item-not-found" };
        published.push(itemId);
        return { ok: true };
      },
      {
        onCreate: () => {
          creates++;
          if (remakeWorks) exists = true;
        },
      },
    );
    try {
      await publisher.start();
      assert.equal(creates, 1);
      exists = false; // an admin deleted it
      store.transaction(() => store.policy.setBotState("k", "1"));
      await publisher.flushed();
      assert.deepEqual(published, ["1"]);
      assert.equal(creates, 2, "made again");
      assert.equal(log.withMsg("replica log: its node was gone; made again").length, 1);
      assert.equal(log.withMsg("replica log: publish failed; sends wait for it").length, 0, "nothing held to say");

      // A server that says it made the node and still has none: one try at once, then backoff.
      exists = false;
      remakeWorks = false;
      store.transaction(() => store.policy.setBotState("k", "2"));
      for (let i = 0; i < 5; i++) await settle();
      assert.equal(creates, 3, "no loop of makes without a wait");
      assert.equal(log.withMsg("replica log: publish failed; sends wait for it").length, 1);
      remakeWorks = true;
      clock.advance(2_000);
      await publisher.flushed();
      assert.deepEqual(published, ["1", "2"]);
    } finally {
      publisher.stop();
      store.close();
    }
  });
});
