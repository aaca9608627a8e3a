import assert from "node:assert/strict";
import type { BotCore } from "../../src/bot/bot-core.js";
import { UNREAD_NODE_KEEP_MS, catchUp, catchUpHolding, inSenderOrder } from "../../src/bot/catch-up.js";
import { handleItem, type IncomingItem } from "../../src/bot/item-handler.js";
import { LiveEventGate } from "../../src/bot/live-event-gate.js";
import { AGENT_NODE_MAX_ITEMS } from "../../src/codec/source-name.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { wrapPayload } from "../../src/codec/payload.js";
import { sourceToNodeName } from "../../src/codec/source-name.js";
import type { AlertUpdate } from "../../src/codec/types.js";
import type { UpdateOrigin } from "../../src/ingest/ingest-update.js";
import { createLogger } from "../../src/log.js";
import { Store } from "../../src/store/store.js";
import type { Pubsub, PubsubItem } from "../../src/xmpp/pubsub.js";
import { RecordingChat, chatOnly, fakeClockCore } from "../helpers/fake-clock-core.js";
import { alert, update } from "../helpers/updates.js";
import { testConfig } from "../helpers/test-config.js";

const config = testConfig(
  `people:
  - { name: alice, jid: alice@mauve.localhost }
`,
);
const node = sourceToNodeName("web1");

// `count` updates of web1 sent one after another from t0: each flips one alert and names itself in
// its summary ("u1", "u2", …), so the history shows which were applied, and in which order.
function flapUpdates(count: number, t0: number): IncomingItem[] {
  return Array.from({ length: count }, (_, i) => {
    const n = i + 1;
    const at = t0 + n;
    const flip = n % 2 === 1 ? { raiseTimeS: at } : { clearTimeS: at };
    return {
      node,
      itemId: `i${n}`,
      publisher: "web1@mauve.localhost",
      payload: wrapPayload(
        update("web1", [alert("flap", { ...flip, summary: `u${n}` })], { sequence: BigInt(n), transmissionTimeS: at }),
      ),
    };
  });
}

// The summaries the flapping alert was told with, in the order applied.
function flapSummaries(store: Store): string[] {
  const flap = store.alerts.find("web1", "flap");
  if (!flap) return [];
  const told = store.alerts
    .history(flap.shortId)
    .filter((h) => h.kind === "raised" || h.kind === "updated")
    .map((h) => h.detail);
  return [...new Set(told)];
}

// Only getItems is reached by catch-up: a server that returns the retained items as given.
function serverReturning(items: PubsubItem[]): Pubsub {
  return { getItems: () => Promise.resolve({ ok: true, items }) } as unknown as Pubsub;
}

describe("catch-up applies retained items in the sender's order", () => {
  const t0 = 1_700_000_000;
  // Three updates, each raising a different alert: only their order tells which came first.
  const sent = [1, 2, 3].map((n) => ({
    itemId: `i${n}`,
    publisher: "web1@mauve.localhost",
    payload: wrapPayload(
      update("web1", [alert(`check${n}`, { summary: `check ${n} failed` })], {
        sequence: BigInt(n),
        transmissionTimeS: t0 + n,
      }),
    ),
  }));

  for (const [server, items] of [
    ["oldest first (Prosody, ejabberd Mnesia)", sent],
    ["newest first (ejabberd's SQL backend)", [...sent].reverse()],
  ] as const) {
    it(`applies every update when the server lists them ${server}`, async () => {
      const clock = new FakeClock(t0 * 1000 + 10_000);
      const store = Store.open(":memory:");
      const chat = new RecordingChat();
      const core = fakeClockCore({
        store,
        clock,
        policy: config,
        channels: chatOnly(chat),
      });
      await core.start();
      try {
        const log = createLogger({ level: "error" });
        assert.deepEqual(
          await catchUp({ core, log, pubsub: serverReturning([...items]), service: "pubsub.mauve.localhost" }, [node]),
          [],
        );
        await core.idle();
        const raised = [...store.alerts.each("raised")].map((a) => a.alertId).sort();
        assert.deepEqual(raised, ["check1", "check2", "check3"]);
      } finally {
        core.stop();
        store.close();
      }
    });
  }
});

describe("catch-up with live events held meanwhile", () => {
  const t0 = 1_700_000_000;
  // An agent's backlog longer than its node retains, published as the bot comes back.
  const BACKLOG = AGENT_NODE_MAX_ITEMS * 2;
  const published = flapUpdates(BACKLOG, t0);
  const retained = published.slice(-AGENT_NODE_MAX_ITEMS).map(({ node: _, ...item }) => item);

  for (const [when, liveFirst] of [
    ["the live events arrive before the retained items are read", BACKLOG],
    ["half the live events arrive before, half while the retained items are being read", BACKLOG / 2],
  ] as const) {
    it(`applies every update once, in order, when ${when}`, async () => {
      const clock = new FakeClock((t0 + BACKLOG + 60) * 1000);
      const store = Store.open(":memory:");
      const core = fakeClockCore({ store, clock, policy: config, channels: chatOnly(new RecordingChat()) });
      await core.start();
      const log = createLogger({ level: "error" });
      try {
        // Wired as run-bot wires it: live events go through the gate, the catch-up takes the node's.
        const gate = new LiveEventGate<IncomingItem>(
          (item) => handleItem(core, log, item).then(() => undefined),
          (err) => assert.fail(String(err)),
          (item) => item.node,
        );
        const late = published.slice(liveFirst);
        const server = {
          getItems: async () => {
            for (const item of late) await gate.offer(item);
            return { ok: true, items: retained };
          },
        } as unknown as Pubsub;
        gate.hold();
        for (const item of published.slice(0, liveFirst)) await gate.offer(item);
        const unread = await catchUp({ core, log, pubsub: server, service: "pubsub.mauve.localhost" }, [node], gate);
        await gate.release();
        await core.idle();
        assert.deepEqual(unread, []);
        const flap = store.alerts.find("web1", "flap")!;
        assert.deepEqual(
          flapSummaries(store),
          published.map((_, i) => `u${i + 1}`),
          "every update's summary, in the order sent",
        );
        assert.equal(flap.status, "cleared");
        assert.equal(flap.summary, `u${BACKLOG}`);
      } finally {
        core.stop();
        store.close();
      }
    });
  }
});

describe("catch-up of a node whose retained items could not be read", () => {
  const t0 = 1_700_000_000;
  // Ten updates published while the bot was away (the node retains them all), then five live ones
  // after a pass that could not read the node.
  const published = flapUpdates(15, t0);
  const live = published.slice(10);
  const retainedOf = (items: IncomingItem[]): PubsubItem[] =>
    items.map((item) => ({ itemId: item.itemId, publisher: item.publisher!, payload: item.payload! }));

  // Wired as run-bot wires it; `reads` answers each pass's read of the node in turn.
  async function setUp(reads: Array<PubsubItem[] | "timeout">) {
    const clock = new FakeClock((t0 + 600) * 1000);
    const store = Store.open(":memory:");
    const core = fakeClockCore({ store, clock, policy: config, channels: chatOnly(new RecordingChat()) });
    await core.start();
    const lines: Array<{ level: string; msg: string; node?: string }> = [];
    const log = createLogger({
      level: "warn",
      sink: (line) => lines.push(JSON.parse(line) as { level: string; msg: string; node?: string }),
    });
    const gate = new LiveEventGate<IncomingItem>(
      (item) => handleItem(core, log, item).then(() => undefined),
      (err) => assert.fail(String(err)),
      (item) => item.node,
    );
    const pubsub = {
      getItems: () => {
        const answer = reads.shift() ?? "timeout";
        return Promise.resolve(
          answer === "timeout" ? { ok: false, condition: "remote-server-timeout" } : { ok: true, items: answer },
        );
      },
    } as unknown as Pubsub;
    const pass = () =>
      catchUpHolding(gate, { core, log, pubsub, service: "pubsub.mauve.localhost", now: () => clock.now() }, () =>
        Promise.resolve({ fresh: [node], complete: true }),
      );
    const summaries = (): string[] => flapSummaries(store);
    const done = (): void => {
      core.stop();
      store.close();
    };
    return { clock, core, gate, lines, pass, summaries, done };
  }

  it("keeps the node's live events back until a later pass reads it, then applies every update once, in order", async () => {
    const t = await setUp(["timeout", retainedOf(published)]);
    try {
      assert.deepEqual((await t.pass()).unread, [node]);
      for (const item of live) await t.gate.offer(item);
      await t.core.idle();
      assert.deepEqual(t.summaries(), [], "nothing of the node applied before its older updates are read");
      assert.deepEqual((await t.pass()).unread, []);
      await t.core.idle();
      assert.deepEqual(
        t.summaries(),
        published.map((_, i) => `u${i + 1}`),
        "every update's summary, in the order sent",
      );
      assert.deepEqual([...t.gate.keptSince().keys()], [], "kept no longer");
      assert.deepEqual(
        t.lines.filter((l) => l.level === "error").map((l) => l.msg),
        ["cannot read retained items; will retry"],
      );
    } finally {
      t.done();
    }
  });

  it(`gives up after ${UNREAD_NODE_KEEP_MS / 60_000} minutes unread: the live events are applied and an error names the node`, async () => {
    const t = await setUp(["timeout", "timeout"]);
    try {
      await t.pass();
      for (const item of live) await t.gate.offer(item);
      t.clock.advance(UNREAD_NODE_KEEP_MS);
      await t.pass();
      await t.core.idle();
      assert.deepEqual(
        t.summaries(),
        live.map((_, i) => `u${i + 11}`),
      );
      const gaveUp = t.lines.find((l) => l.msg.startsWith("retained items still unreadable"));
      assert.equal(gaveUp?.node, node);
      assert.deepEqual([...t.gate.keptSince().keys()], []);
    } finally {
      t.done();
    }
  });
});

describe("catch-up of many nodes: a node's live events wait for its own catch-up only", () => {
  const t0 = 1_700_000_000;
  const nodes = ["web1", "web2"].map((source) => sourceToNodeName(source));
  const item = (source: string, n: number): IncomingItem => ({
    node: sourceToNodeName(source),
    itemId: `${source}-${n}`,
    publisher: `${source}@mauve.localhost`,
    payload: wrapPayload(
      update(source, [alert(`check${n}`, { summary: `${source} check ${n}` })], {
        sequence: BigInt(n),
        transmissionTimeS: t0 + n,
      }),
    ),
  });

  it("applies a live event of a node already caught up while a later node is still being read", async () => {
    const clock = new FakeClock((t0 + 60) * 1000);
    const store = Store.open(":memory:");
    const core = fakeClockCore({ store, clock, policy: config, channels: chatOnly(new RecordingChat()) });
    await core.start();
    const log = createLogger({ level: "error" });
    const gate = new LiveEventGate<IncomingItem>(
      (i) => handleItem(core, log, i).then(() => undefined),
      (err) => assert.fail(String(err)),
      (i) => i.node,
    );
    const raised = (source: string): string[] =>
      [...store.alerts.each("raised")]
        .filter((a) => a.source === source)
        .map((a) => a.alertId)
        .sort();
    let seenWhileReadingWeb2: string[] = [];
    const pubsub = {
      getItems: async (_service: string, node: string) => {
        const source = node === nodes[0] ? "web1" : "web2";
        if (source === "web2") {
          // web1 was caught up: its new event goes through now; web2's waits for web2's catch-up.
          await gate.offer(item("web1", 2));
          await gate.offer(item("web2", 2));
          await core.idle();
          seenWhileReadingWeb2 = [...raised("web1"), ...raised("web2")];
        }
        const { node: _, ...retained } = item(source, 1);
        return { ok: true, items: [retained] };
      },
    } as unknown as Pubsub;
    try {
      const adoption = await catchUpHolding(
        gate,
        { core, log, pubsub, service: "pubsub.mauve.localhost", now: () => clock.now() },
        () => Promise.resolve({ fresh: [...nodes], complete: true }),
      );
      await core.idle();
      assert.deepEqual(adoption.unread, []);
      assert.deepEqual(seenWhileReadingWeb2, ["check1", "check2"], "web1's two, web2's none yet");
      assert.deepEqual(raised("web2"), ["check1", "check2"]);
      assert.deepEqual([...gate.keptSince().keys()], []);
    } finally {
      core.stop();
      store.close();
    }
  });

  it("a newcomer's pass during a resync leaves the nodes the resync has still to read kept", async () => {
    const clock = new FakeClock((t0 + 60) * 1000);
    const store = Store.open(":memory:");
    const core = fakeClockCore({ store, clock, policy: config, channels: chatOnly(new RecordingChat()) });
    await core.start();
    const lines: Array<{ msg: string }> = [];
    const log = createLogger({ level: "info", sink: (line) => lines.push(JSON.parse(line) as { msg: string }) });
    const gate = new LiveEventGate<IncomingItem>(
      (i) => handleItem(core, log, i).then(() => undefined),
      (err) => assert.fail(String(err)),
      (i) => i.node,
    );
    const web3 = sourceToNodeName("web3");
    const retained = (source: string, upTo: number): PubsubItem[] =>
      Array.from({ length: upTo }, (_, i) => {
        const { node: _node, ...rest } = item(source, i + 1);
        return rest as PubsubItem;
      });
    const deps = (pubsub: unknown) => ({
      core,
      log,
      pubsub: pubsub as Pubsub,
      service: "pubsub.mauve.localhost",
      now: () => clock.now(),
    });
    const newcomer = { getItems: () => Promise.resolve({ ok: true, items: retained("web3", 1) }) };
    const resync = {
      getItems: async (_service: string, node: string) => {
        if (node === nodes[0]) {
          // While web1 is read: web2's newest update comes live, and a newcomer's pass runs whole.
          await gate.offer(item("web2", 4));
          await catchUpHolding(gate, deps(newcomer), () => Promise.resolve({ fresh: [web3], complete: true }));
          return { ok: true, items: retained("web1", 1) };
        }
        return { ok: true, items: retained("web2", 3) };
      },
    };
    try {
      await catchUpHolding(gate, deps(resync), () => Promise.resolve({ fresh: [...nodes], complete: true }));
      await core.idle();
      const raised = [...store.alerts.each("raised")].filter((a) => a.source === "web2").map((a) => a.alertId);
      assert.deepEqual(raised.sort(), ["check1", "check2", "check3", "check4"]);
      assert.deepEqual(
        lines.filter((l) => /stale|no longer listed/.test(l.msg)).map((l) => l.msg),
        [],
      );
    } finally {
      core.stop();
      store.close();
    }
  });
});

describe("catch-up of a node holding an update with a time no Date can hold", () => {
  it("applies it with its times read as 9999-12-31, and goes on to the next node", async () => {
    const t0 = 1_700_000_000;
    const clock = new FakeClock(t0 * 1000);
    const store = Store.open(":memory:");
    const core = fakeClockCore({ store, clock, policy: config, channels: chatOnly(new RecordingChat()) });
    await core.start();
    try {
      // The wire carries times up to 2^53 s; a JavaScript Date ends in the year 275760.
      const far = 10_000_000_000_000;
      const items = new Map<string, PubsubItem[]>([
        [
          sourceToNodeName("web1"),
          [
            {
              itemId: "far",
              publisher: "web1@mauve.localhost",
              payload: wrapPayload(
                update(
                  "web1",
                  [alert("hb", { clearTimeS: t0, raiseTimeS: far }), alert("quiet", { suppressUntilS: far })],
                  {
                    transmissionTimeS: t0,
                  },
                ),
              ),
            },
          ],
        ],
        [
          sourceToNodeName("web2"),
          [
            {
              itemId: "next",
              publisher: "web2@mauve.localhost",
              payload: wrapPayload(update("web2", [alert("disk")])),
            },
          ],
        ],
      ]);
      const pubsub = {
        getItems: (_service: string, n: string) => Promise.resolve({ ok: true, items: items.get(n) ?? [] }),
      } as unknown as Pubsub;
      const log = createLogger({ level: "error" });
      await catchUp({ core, log, pubsub, service: "pubsub.mauve.localhost" }, [...items.keys()]);
      await core.idle();
      assert.equal(store.alerts.find("web1", "hb")?.scheduledRaiseAt, Date.UTC(9999, 11, 31, 23, 59, 59));
      assert.equal(store.alerts.find("web1", "quiet")?.suppressUntil, Date.UTC(9999, 11, 31, 23, 59, 59));
      assert.equal(store.alerts.find("web2", "disk")?.status, "raised", "the next node is caught up too");
    } finally {
      core.stop();
      store.close();
    }
  });
});

describe("catch-up past an item that fails to apply", () => {
  it("logs the item and goes on with the next item and node", async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const store = Store.open(":memory:");
    const core = fakeClockCore({ store, clock, policy: config, channels: chatOnly(new RecordingChat()) });
    await core.start();
    try {
      // A bug met by one update (not the database, which the caller retries) must not stop the rest.
      const failing = Object.assign(Object.create(core) as BotCore, {
        applyUpdate: (u: AlertUpdate, o: UpdateOrigin) =>
          u.alerts[0]?.id === "bad" ? Promise.reject(new Error("a bug")) : core.applyUpdate(u, o),
      });
      const item = (source: string, id: string, itemId: string): PubsubItem => ({
        itemId,
        publisher: `${source}@mauve.localhost`,
        payload: wrapPayload(update(source, [alert(id)])),
      });
      const items = new Map<string, PubsubItem[]>([
        [sourceToNodeName("web1"), [item("web1", "bad", "a"), item("web1", "disk", "b")]],
        [sourceToNodeName("web2"), [item("web2", "disk", "c")]],
      ]);
      const pubsub = {
        getItems: (_service: string, n: string) => Promise.resolve({ ok: true, items: items.get(n) ?? [] }),
      } as unknown as Pubsub;
      const lines: string[] = [];
      const log = createLogger({ level: "error", sink: (line: string) => lines.push(line) });
      await catchUp({ core: failing, log, pubsub, service: "pubsub.mauve.localhost" }, [...items.keys()]);
      await core.idle();
      assert.equal(store.alerts.find("web1", "disk")?.status, "raised");
      assert.equal(store.alerts.find("web2", "disk")?.status, "raised");
      assert.match(lines.join("\n"), /cannot apply a retained item.*"itemId":"a"/);
    } finally {
      core.stop();
      store.close();
    }
  });
});

describe("retained items in their sender's order", () => {
  it("orders an item with an alert refused alone by its sequence, as it is applied, not ahead of the older ones", () => {
    const item = (sequence: bigint, ids: string[]): IncomingItem => ({
      node,
      itemId: String(sequence),
      payload: wrapPayload(
        update(
          "web1",
          ids.map((id) => alert(id)),
          { sequence },
        ),
      ),
    });
    // Newest first, as some servers list them: put ahead, the newest was applied first, and the
    // older ones were refused as stale.
    const items = [item(3n, ["disk", "  "]), item(2n, ["disk"]), item(1n, ["disk"])];
    assert.deepEqual(
      inSenderOrder(items).map((i) => i.itemId),
      ["1", "2", "3"],
    );
  });
});
