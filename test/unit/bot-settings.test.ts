// The one settings holder, commands' declared effects and host-down's own transitions, on a fake
// clock and a real SQLite store: a reload replaces the settings in one place and every consumer
// reads the new values; a command's effects are acted on whichever door it came through; host-down
// writes its transitions as AlertBot, with no transmission of its own.
import assert from "node:assert/strict";
import { BotCore } from "../../src/bot/bot-core.js";
import { offerFormCommands } from "../../src/bot/command-runner.js";
import { Settings, settingsFromConfig, type BotSettings } from "../../src/bot/settings.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import type { BotConfig } from "../../src/config/bot-config.js";
import type { Channel } from "../../src/notify/channel.js";
import { Store } from "../../src/store/store.js";
import type { Adhoc, AdhocCommand } from "../../src/xmpp/disco.js";
import { LogLines } from "../helpers/spine.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { RecordingChannel, advanceCore, channelsOf } from "../helpers/fake-clock-core.js";
import { testConfig } from "../helpers/test-config.js";

const MIN = 60_000;
const load = (yaml: string): BotConfig => testConfig(yaml, "x.org");
const origin = pubsubOrigin("web1", "x.org");

const settingsOf = (config: BotConfig, chat: Channel): BotSettings => settingsFromConfig(config, channelsOf(chat));

describe("bot: one settings holder", () => {
  let clock: FakeClock;
  let store: Store;
  let log: LogLines;
  let core: BotCore;
  let holder: Settings<BotSettings>;
  const boot = (initial: BotSettings): void => {
    holder = new Settings(initial);
    core = new BotCore({
      settings: holder,
      store,
      clock,
      log: log.logger,
      retry: { attempts: 1 },
      inputs: { presence: () => "online", down: () => store.sources.down() },
    });
  };

  beforeEach(() => {
    clock = new FakeClock(Date.UTC(2026, 0, 5, 10));
    store = Store.open(":memory:");
    log = new LogLines();
  });
  afterEach(() => {
    core.stop();
    store.close();
  });

  it("a reload reaches every consumer at once: people, permissions, ack default, channels and the clock-skew bound", async () => {
    const before = new RecordingChannel("xmpp");
    const after = new RecordingChannel("xmpp");
    boot(settingsOf(load("people:\n  - { name: alice, jid: alice@x.org }\nalerts: { ack_default: 1h }\n"), before));
    await core.start();
    await core.applyUpdate(update("web1", [alert("disk")]), origin);
    await core.idle();
    assert.deepEqual(before.sent, ["alice: RAISED #1 web1 disk"]);
    assert.match(
      (await core.handleChat("bob@x.org", "show")) ?? "",
      /only take commands from the people in my configuration/,
    );

    await holder.replace(
      settingsOf(
        load(`people:
  - { name: alice, jid: alice@x.org }
  - { name: bob, jid: bob@x.org }
alerts: { ack_default: 2h, max_clock_skew: 10s }
permissions:
  "*": { ack: [bob] }
`),
        after,
      ),
    );
    await core.idle();
    // Commands: the new person is recognised, the new permissions and ack default hold.
    assert.match((await core.handleChat("alice@x.org", "ack 1")) ?? "", /you may not acknowledge/);
    assert.equal(await core.handleChat("bob@x.org/phone", "ack 1"), "#1 web1 disk acknowledged for 2h by bob");
    // The clock-skew watch: a minute off is past the new bound of 10s.
    await core.applyUpdate(
      update("web1", [alert("load")], { transmissionTimeS: Math.floor(clock.now() / 1000) - 60 }),
      origin,
    );
    await advanceCore(clock, core, 0);
    const [skew] = log.withMsg("sender's clock is far from AlertBot's: its times were shifted to AlertBot's clock");
    assert.equal(skew?.["maxClockSkewMs"], 10_000);
    // The dispatcher: the new alert goes to both people on the new channel, none on the old one.
    assert.deepEqual(before.sent, ["alice: RAISED #1 web1 disk"], "the old channel sends nothing more");
    assert.deepEqual(after.sent.filter((l) => l.includes("load")).sort(), [
      "alice: RAISED #2 web1 load",
      "bob: RAISED #2 web1 load",
    ]);
  });

  it("subscribers run once per change, in order, after the value is current", async () => {
    const seen: string[] = [];
    const settings = new Settings(1);
    settings.onChange((next, previous) => void seen.push(`a ${previous}->${next} now ${settings.current()}`));
    settings.onChange(async (next) => {
      await Promise.resolve();
      seen.push(`b ${next}`);
    });
    await settings.replace(2);
    assert.deepEqual(seen, ["a 1->2 now 2", "b 2"]);
  });

  it("a subscriber that throws keeps none after it from acting on the change; the change still reports the failure", async () => {
    const seen: string[] = [];
    const settings = new Settings(1);
    settings.onChange(() => {
      throw new Error("disk I/O error");
    });
    settings.onChange((next) => void seen.push(`rooms joined, people asked for presence, for ${next}`));
    await assert.rejects(settings.replace(2), /disk I\/O error/);
    assert.deepEqual(seen, ["rooms joined, people asked for presence, for 2"]);
  });

  it("acts on a command's declared effects from an ad-hoc form as from chat: an ack is told to the others at once", async () => {
    const chat = new RecordingChannel("xmpp");
    boot(settingsOf(load("people:\n  - { name: alice, jid: alice@x.org }\n  - { name: bob, jid: bob@x.org }\n"), chat));
    await core.start();
    const forms = new Map<string, AdhocCommand>();
    const adhoc = { onAdhoc: (c: AdhocCommand) => (forms.set(c.node, c), () => undefined) } as unknown as Adhoc;
    offerFormCommands(adhoc, core.commands, (effects) => core.applyEffects(effects));
    await core.applyUpdate(update("web1", [alert("disk")]), origin);
    await core.idle();
    chat.sent = [];

    const outcome = await forms.get("ack")!.run(new Map([["ids", ["1"]]]), "bob@x.org/laptop");
    assert.equal(outcome.ok, true);
    await core.idle();
    assert.ok(
      chat.sent.some((l) => /^alice: ACKED #1 web1 disk/.test(l)),
      `alice hears of bob's ack without the clock moving: ${JSON.stringify(chat.sent)}`,
    );
  });
});

describe("bot: host-down writes its own transitions", () => {
  let clock: FakeClock;
  let store: Store;
  let core: BotCore;
  let chat: RecordingChannel;

  beforeEach(async () => {
    clock = new FakeClock(Date.UTC(2026, 0, 5, 10));
    store = Store.open(":memory:");
    chat = new RecordingChannel("xmpp");
    const config = load("people:\n  - { name: alice, jid: alice@x.org }\nhost_down: { grace: 5m }\n");
    core = new BotCore({
      settings: new Settings(settingsOf(config, chat)),
      store,
      clock,
      log: new LogLines().logger,
      retry: { attempts: 1 },
      inputs: { presence: () => "online", down: () => store.sources.down() },
    });
    await core.start();
  });
  afterEach(() => {
    core.stop();
    store.close();
  });

  it("raises after the grace and clears when the agent is back, as AlertBot, leaving no transmission record", async () => {
    await core.applyUpdate(update("web1", [alert("disk")]), origin);
    await core.idle();
    // Everything remembered so far is the agent's own update.
    assert.equal(store.transmissions.count(), 1);
    chat.sent = [];

    await core.agentAway("web1@x.org");
    await advanceCore(clock, core, 4 * MIN);
    assert.equal(store.alerts.find("web1", "mauve-host-down"), undefined, "within the grace: nothing yet");
    await advanceCore(clock, core, 2 * MIN);
    const down = store.alerts.find("web1", "mauve-host-down");
    assert.equal(down?.status, "raised");
    assert.equal(down.importance, 100);
    assert.deepEqual(chat.sent, [
      `alice: RAISED #${down.shortId} web1 mauve-host-down: web1's agent has been unreachable since 2026-01-05T10:00:00.000Z`,
    ]);

    await core.agentBack("web1@x.org");
    await core.idle();
    const back = store.alerts.get(down.shortId)!;
    assert.equal(back.status, "cleared");
    assert.equal(back.summary, "web1's agent is back");
    assert.deepEqual(chat.sent.slice(1), [
      `alice: CLEARED #${down.shortId} web1 mauve-host-down: web1's agent is back`,
    ]);

    const transitions = store.alerts.history(down.shortId).filter((h) => h.kind === "raised" || h.kind === "cleared");
    assert.deepEqual(
      transitions.map((h) => [h.kind, h.actor]),
      [
        ["raised", "AlertBot"],
        ["cleared", "AlertBot"],
      ],
    );
    assert.match(transitions[0]!.detail, /web1's agent has been unreachable since/);
    assert.equal(transitions[1]!.detail, "web1's agent is back");
    assert.equal(store.transmissions.count(), 1, "host-down sent no transmission of its own");
  });
});
