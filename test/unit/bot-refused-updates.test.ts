// AlertBot's own alert about updates it refuses (src/bot/refused-updates.ts), through BotCore on a
// fake clock with a real SQLite store: a sender whose every update is refused is heard of.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BotCore } from "../../src/bot/bot-core.js";
import type { BotMetrics } from "../../src/http/metrics.js";
import { catchUp } from "../../src/bot/catch-up.js";
import { handleItem } from "../../src/bot/item-handler.js";
import { wrapPayload, type UpdatePayload } from "../../src/codec/payload.js";
import { REFUSED_ALERT_ID } from "../../src/bot/refused-updates.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { StorageUnavailableError } from "../../src/errors.js";
import { createLogger } from "../../src/log.js";
import { Store } from "../../src/store/store.js";
import type { Pubsub, PubsubItem } from "../../src/xmpp/pubsub.js";
import { advanceCore, chatOnly, fakeClockCore, RecordingChat } from "../helpers/fake-clock-core.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { testConfig } from "../helpers/test-config.js";

const M = 60_000;
const OWN = "alertbot.mauve.localhost";
const config = testConfig(`people:
  - { name: alice, jid: alice@mauve.localhost }
`);

describe("AlertBot's own alert about updates it refuses", () => {
  let dir: string;
  let clock: FakeClock;
  let store: Store;
  let chat: RecordingChat;
  let core: BotCore;
  const log = createLogger({ level: "error", sink: () => {} });

  /** Every refusal /metrics was told of, as "via: reason". */
  let counted: string[];
  /** Every update's outcome /metrics was told of (mauve_updates_total), as "via: outcome". */
  let ingested: string[];
  const metrics: BotMetrics = {
    updateIngested: (via, outcome) => ingested.push(`${via}: ${outcome.status}`),
    noticeAttempt: () => {},
    commandRun: () => {},
    xmppReconnected: () => {},
    updateRefused: (via, reason) => counted.push(`${via}: ${reason}`),
  };

  const boot = async (): Promise<void> => {
    store = Store.open(join(dir, "bot.sqlite"));
    core = fakeClockCore({ store, clock, policy: config, channels: chatOnly(chat), ownSource: OWN, log, metrics });
    await core.start();
  };
  const own = () => store.alerts.find(OWN, REFUSED_ALERT_ID);
  const now = () => Math.floor(clock.now() / 1000);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "mauve-refused-"));
    clock = new FakeClock(Date.UTC(2026, 2, 2, 10, 0));
    chat = new RecordingChat();
    counted = [];
    ingested = [];
    await boot();
  });
  afterEach(() => {
    core.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is raised by the first refusal, told like any alert, names the senders, and clears after an hour without", async () => {
    await core.applyUpdate(update("web1", [alert("disk", { raiseTimeS: now() })]), pubsubOrigin("web1"));
    await advanceCore(clock, core, 1000);
    chat.take();
    // A look-alike over UDP: refused, and nobody would know but the log.
    const outcome = await core.applyUpdate(update("WEB1", [alert("disk", { clearTimeS: now() })]), { via: "udp" });
    assert.equal(outcome.status, "rejected");
    await advanceCore(clock, core, 1000);
    assert.equal(own()?.status, "raised");
    assert.match(own()!.summary, /^AlertBot refuses updates from WEB1 \(udp\): /);
    assert.deepEqual(chat.take(), [`alice: RAISED #2 ${OWN} ${REFUSED_ALERT_ID}: ${own()!.summary}`]);
    // A flood of refusals from many senders is one alert, not one each, and one note of them.
    for (let i = 0; i < 50; i++)
      await core.applyUpdate(update(`Web${i === 0 ? "1" : `1-${i}`}`, [alert("x")]), pubsubOrigin("web1"));
    await advanceCore(clock, core, 30 * M);
    const notes = chat.take();
    assert.equal(notes.length, 1, notes.join("\n"));
    assert.match(
      notes[0]!,
      /^alice: NOTE #2 .*refused-updates: AlertBot refuses updates from Web1-49 \(pubsub\) and 50 other senders: /,
    );
    assert.equal(store.alerts.list("all").filter((a) => a.source === OWN).length, 1);
    // An hour after the last refusal, it clears.
    await advanceCore(clock, core, 29 * M);
    assert.equal(own()?.status, "raised");
    await advanceCore(clock, core, 2 * M);
    assert.equal(own()?.status, "cleared");
    assert.deepEqual(chat.take(), [`alice: CLEARED #2 ${OWN} ${REFUSED_ALERT_ID}: no update refused for an hour`]);
  });

  it("is raised by an item AlertBot cannot read on an agent's node, and still clears after a restart", async () => {
    const outcome = await handleItem(core, log, {
      node: "mauve/alerts/web1",
      itemId: "1",
      publisher: "web1@mauve.localhost",
      payload: { data: "not base64 protobuf!", text: "" },
    });
    assert.equal(outcome.status, "rejected");
    await advanceCore(clock, core, 1000);
    assert.match(own()?.summary ?? "", /^AlertBot refuses updates from web1 \(pubsub\): /);
    core.stop();
    store.close();
    await boot();
    await advanceCore(clock, core, 59 * M);
    assert.equal(own()?.status, "raised");
    await advanceCore(clock, core, 2 * M);
    assert.equal(own()?.status, "cleared", "an hour after the restart, with no refusal since");
  });
  it("is raised once the database takes it again, when the round that was to raise it could not be stored", async () => {
    const save = store.alerts.save.bind(store.alerts);
    let failing = true;
    store.alerts.save = (state, stored, escalation) => {
      if (failing && state.alertId === REFUSED_ALERT_ID) throw new StorageUnavailableError("disk full (SQLITE_FULL)");
      return save(state, stored, escalation);
    };
    const refusal = () => core.applyUpdate(update("WEB1", [alert("disk")]), { via: "udp" });
    await core.applyUpdate(update("web1", [alert("disk", { raiseTimeS: now() })]), pubsubOrigin("web1"));
    assert.equal((await refusal()).status, "rejected");
    await advanceCore(clock, core, 1000);
    assert.equal(own(), undefined, "not written while the disk is full");
    failing = false;
    // The sender goes on being refused: its alert must not wait for a quiet hour, nor a restart.
    for (let i = 0; i < 5; i++) {
      assert.equal((await refusal()).status, "rejected");
      await advanceCore(clock, core, M);
    }
    assert.equal(own()?.status, "raised");
    assert.match(own()!.summary, /^AlertBot refuses updates from WEB1 \(udp\): /);
  });

  it("clears once the database takes it again, when the round that was to clear it could not be stored", async () => {
    await core.applyUpdate(update("web1", [alert("disk", { raiseTimeS: now() })]), pubsubOrigin("web1"));
    assert.equal((await core.applyUpdate(update("WEB1", [alert("disk")]), { via: "udp" })).status, "rejected");
    await advanceCore(clock, core, 1000);
    assert.equal(own()?.status, "raised");
    const save = store.alerts.save.bind(store.alerts);
    let failing = true;
    store.alerts.save = (state, stored, escalation) => {
      if (failing && state.alertId === REFUSED_ALERT_ID) throw new Error("disk I/O error");
      return save(state, stored, escalation);
    };
    await advanceCore(clock, core, 61 * M);
    assert.equal(own()?.status, "raised", "that round was rolled back");
    failing = false;
    await advanceCore(clock, core, M);
    assert.equal(own()?.status, "cleared", "cleared at a later round, not left raised until a restart");
  });

  it("an item's alert no receiver could key is refused alone: the item's others are applied, and the refusal raises it", async () => {
    const outcome = await handleItem(core, log, {
      node: "mauve/alerts/web1",
      itemId: "1",
      publisher: "web1@mauve.localhost",
      payload: wrapPayload(update("web1", [alert("disk", { raiseTimeS: now() }), alert(" \u0007 "), alert("mem")])),
    });
    assert.equal(outcome.status, "applied");
    await advanceCore(clock, core, 1000);
    assert.equal(store.alerts.find("web1", "disk")?.status, "raised");
    assert.ok(store.alerts.find("web1", "mem"));
    assert.equal(own()?.status, "raised");
    assert.match(own()!.summary, /^AlertBot refuses updates from web1 \(pubsub\): alert\[1\] has an empty id/);
  });

  it("is raised by an agent's updates refused as stale (restored from a backup), naming the sequences", async () => {
    await core.applyUpdate(
      update("web1", [alert("disk", { raiseTimeS: now() })], { sequence: 900n }),
      pubsubOrigin("web1"),
    );
    await advanceCore(clock, core, 1000);
    chat.take();
    const outcome = await core.applyUpdate(
      update("web1", [alert("disk", { clearTimeS: now() })], { sequence: 40n }),
      pubsubOrigin("web1"),
    );
    assert.equal(outcome.status, "stale");
    await advanceCore(clock, core, 1000);
    assert.match(
      own()?.summary ?? "",
      /^AlertBot refuses updates from web1 \(pubsub\): refused as stale: sequence 40 is not past 900/,
    );
  });

  it("rewrites its text as refusals go on, at most every five minutes, and tells those it reached of a new sender though acked", async () => {
    await core.applyUpdate(update("web1", [alert("disk", { raiseTimeS: now() })]), pubsubOrigin("web1"));
    await core.applyUpdate(update("WEB1", [alert("disk")]), { via: "udp" });
    await advanceCore(clock, core, 1000);
    assert.match(own()!.summary, /^AlertBot refuses updates from WEB1 \(udp\): /);
    await core.handleChat("alice@mauve.localhost/phone", "ack 2 because looking at web1");
    assert.notEqual(own()?.ack, null);
    chat.take();
    // Another sender is refused now: whoever acked the alert for WEB1 must hear of it.
    await core.applyUpdate(update("db1", [alert("x")]), pubsubOrigin("web1"));
    await advanceCore(clock, core, 1000);
    assert.match(own()!.summary, /^AlertBot refuses updates from WEB1 /, "not rewritten within five minutes");
    await advanceCore(clock, core, 5 * M);
    assert.match(own()!.summary, /^AlertBot refuses updates from db1 \(pubsub\) and 1 other sender: source "db1"/);
    assert.match(own()!.detail, /^2 refused since this alert was raised /);
    assert.notEqual(own()!.ack, null, "still acked: a changed text is not a new alert");
    const notes = chat.take();
    assert.equal(notes.length, 1, notes.join("\n"));
    assert.match(notes[0]!, /^alice: NOTE #2 .*AlertBot refuses updates from db1/);
    // A storm from a sender already named: counted in the text, a rewrite every five minutes, no note.
    const rewrites = () => store.alerts.history(own()!.shortId).filter((h) => h.kind === "updated").length;
    const before = rewrites();
    for (let minute = 0; minute < 10; minute++) {
      for (let i = 0; i < 20; i++) await core.applyUpdate(update("db1", [alert("x")]), pubsubOrigin("web1"));
      await advanceCore(clock, core, M);
    }
    assert.deepEqual(chat.take(), []);
    assert.match(own()!.detail, /^202 refused since/);
    assert.ok(rewrites() - before <= 3, `${rewrites() - before} rewrites in ten minutes`);
  });

  it("cleared by hand, is raised again by the next refusal, not an hour of quiet later", async () => {
    await core.applyUpdate(update("web1", [alert("disk", { raiseTimeS: now() })]), pubsubOrigin("web1"));
    // A look-alike of web1: refused.
    await core.applyUpdate(update("WEB1", [alert("disk")]), { via: "udp" });
    await advanceCore(clock, core, 1000);
    assert.equal(own()?.status, "raised");
    await core.handleChat("alice@mauve.localhost/phone", "clear 2 because looking at it");
    assert.equal(own()?.status, "cleared");
    chat.take();
    // Nothing refused since: it stays clear.
    await advanceCore(clock, core, 10 * M);
    assert.equal(own()?.status, "cleared");
    // The sender is still refused: heard of again at once, counted from the clear.
    await core.applyUpdate(update("WEB1", [alert("disk")]), { via: "udp" });
    await advanceCore(clock, core, 1000);
    assert.equal(own()?.status, "raised");
    assert.match(own()!.detail, /^1 refused since this alert was raised /);
    assert.deepEqual(chat.take(), [`alice: RAISED #2 ${OWN} ${REFUSED_ALERT_ID}: ${own()!.summary}`]);
    // A refusal that comes before AlertBot has looked since the clear raises it again too.
    await core.handleChat("alice@mauve.localhost/phone", "clear 2");
    assert.equal(own()?.status, "cleared");
    await advanceCore(clock, core, 1000);
    core.refusedUpdate("", "udp", "malformed datagram from 10.0.0.7: invalid wire type 7");
    await advanceCore(clock, core, 1000);
    assert.equal(own()?.status, "raised");
    assert.match(own()!.summary, /malformed datagram from 10\.0\.0\.7/);
    // And the hour of quiet still clears it.
    await advanceCore(clock, core, 61 * M);
    assert.equal(own()?.status, "cleared");
  });

  it("counts every refusal in /metrics, an alert refused alone included", async () => {
    await handleItem(core, log, {
      node: "mauve/alerts/web1",
      itemId: "1",
      publisher: "web1@mauve.localhost",
      payload: wrapPayload(update("web1", [alert("disk"), alert(" \u0007 ")])),
    });
    await core.applyUpdate(update("WEB1", [alert("disk")]), { via: "udp" });
    assert.equal(counted.length, 2, counted.join("\n"));
    assert.equal(counted[0], "pubsub: alert[1] has an empty id");
    assert.match(counted[1]!, /^udp: .*WEB1/);
  });

  it("is raised by a malformed datagram the UDP listener tells of, naming where it came from", async () => {
    core.refusedUpdate("", "udp", "malformed datagram from 10.0.0.7: invalid wire type 7");
    await advanceCore(clock, core, 1000);
    assert.equal(own()?.status, "raised");
    assert.match(
      own()!.summary,
      /^AlertBot refuses updates from \(no source\) \(udp\): malformed datagram from 10\.0\.0\.7/,
    );
  });

  describe("items refused before, read again from their node", () => {
    const NODE = "mauve/alerts/web1";
    const item = (itemId: string, payload: UpdatePayload, publisher = "web1@mauve.localhost"): PubsubItem => ({
      itemId,
      publisher,
      payload,
    });
    // What web1's node retains: a good update, a malformed item, an update with an alert AlertBot
    // cannot key beside a good one, and an update published by an account that does not own web1.
    const retained = (): PubsubItem[] => [
      item("i1", wrapPayload(update("web1", [alert("disk", { raiseTimeS: now() })], { sequence: 1n }))),
      item("i2", { data: "not base64 protobuf!", text: "" }),
      item("i3", wrapPayload(update("web1", [alert("mem"), alert(" \u0007 ")], { sequence: 2n }))),
      item("i4", wrapPayload(update("web1", [alert("cpu")], { sequence: 3n })), "intruder@mauve.localhost"),
    ];
    // Only getItems is reached by catch-up: a server that returns the retained items as given.
    const catchUpOn = async (items: PubsubItem[]): Promise<void> => {
      const pubsub = { getItems: () => Promise.resolve({ ok: true, items }) } as unknown as Pubsub;
      assert.deepEqual(await catchUp({ core, log, pubsub, service: "pubsub.mauve.localhost" }, [NODE]), []);
      await core.idle();
    };
    const history = () => store.alerts.history(store.alerts.find("web1", "mem")!.shortId).length;

    it("tells nothing again at a reconnection's catch-up nor after a restart, and tells an item never refused before", async () => {
      const items = retained();
      await catchUpOn(items);
      assert.equal(counted.length, 3, counted.join("\n"));
      await advanceCore(clock, core, 1000);
      assert.equal(own()?.status, "raised");
      await advanceCore(clock, core, 61 * M);
      assert.equal(own()?.status, "cleared", "an hour without a refusal");
      chat.take();
      const memLines = history();

      // A reconnection's catch-up reads the same items again: in mauve_updates_total, duplicates.
      assert.deepEqual(ingested, ["pubsub: applied", "pubsub: applied", "pubsub: rejected"]);
      ingested.length = 0;
      await catchUpOn(items);
      await advanceCore(clock, core, 1000);
      assert.equal(counted.length, 3, counted.join("\n"));
      assert.deepEqual(ingested, ["pubsub: duplicate", "pubsub: duplicate", "pubsub: duplicate"]);
      assert.equal(own()?.status, "cleared");

      // A restart: the store closed and opened again, a new core, the node's items read again.
      core.stop();
      store.close();
      await boot();
      await catchUpOn(items);
      await advanceCore(clock, core, 1000);
      assert.equal(counted.length, 3, counted.join("\n"));
      assert.equal(own()?.status, "cleared", "not raised again by what was told before");
      assert.deepEqual(chat.take(), []);
      // The update whose good alert was applied and whose bad one refused is a duplicate, whole.
      assert.equal((await handleItem(core, log, { ...items[2]!, node: NODE })).status, "duplicate");
      assert.equal(history(), memLines);
      assert.equal(store.alerts.find("web1", "cpu"), undefined, "the intruder's update is still refused");
      assert.equal(counted.length, 3, counted.join("\n"));

      // An item never refused before is told as ever; so is one published again under an id
      // refused before, carrying something else (a publisher may reuse its item ids).
      await catchUpOn([...items, item("i5", { data: "still not protobuf!", text: "" })]);
      assert.equal(counted.length, 4, counted.join("\n"));
      await catchUpOn([item("i2", { data: "another thing, not protobuf either!", text: "" })]);
      assert.equal(counted.length, 5, counted.join("\n"));
      await advanceCore(clock, core, 1000);
      assert.equal(own()?.status, "raised");
    });
  });
});
