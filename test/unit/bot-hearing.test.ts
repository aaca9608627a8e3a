// AlertBot's own outage is not its senders' silence (src/bot/hearing.ts): scheduled raises that fell
// due while it could not hear wait for a grace from when it could again, and an agent unheard past
// that grace counts as down. On a fake clock, with the core as run-bot drives it.
import assert from "node:assert/strict";
import type { BotCore } from "../../src/bot/bot-core.js";
import { AGENT_RETURN_MS, Hearing, SILENCE_HELD_MAX_MS, agentReturnGraceMs } from "../../src/bot/hearing.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { sourceToNodeName } from "../../src/codec/source-name.js";
import { HOST_DOWN_ALERT_ID } from "../../src/policy/inhibit.js";
import { Store } from "../../src/store/store.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { RecordingChat, advanceCore, chatOnly, fakeClockCore } from "../helpers/fake-clock-core.js";
import { testConfig } from "../helpers/test-config.js";

const GRACE_MS = 60_000;
/** What an agent gets after AlertBot could hear it again: the grace, at least its reconnection backoff. */
const RETURN_MS = agentReturnGraceMs(GRACE_MS);
const config = testConfig(
  `people:
  - { name: alice, jid: alice@mauve.localhost }
host_down: { grace: 1m }
`,
);

// A core as run-bot starts one: it heard nobody before now (startedHearing), then acts on what is due.
async function newCore(
  store: Store,
  clock: FakeClock,
  chat: RecordingChat,
  policy = config,
  realClock = new FakeClock(),
): Promise<BotCore> {
  const core = fakeClockCore({
    store,
    clock,
    realClock,
    policy,
    channels: chatOnly(chat),
    inputs: { presence: () => "online", down: () => store.sources.down() },
  });
  core.startedHearing();
  await core.start();
  return core;
}

describe("AlertBot's hearing", () => {
  let clock: FakeClock;
  let chat: RecordingChat;
  let store: Store;
  let core: BotCore;
  /** The clock a freeze of AlertBot's process is judged by: it leaps only when a test freezes the process. */
  let realClock: FakeClock;
  const s = () => Math.floor(clock.now() / 1000);
  const advance = (ms: number): Promise<void> => advanceCore(clock, core, ms);
  let sequence = 1n;
  // A mauve-agent's update: sequenced (mauvesend's are not).
  const heartbeat = async (source: string, inS: number): Promise<void> => {
    const hb = alert("heartbeat", { clearTimeS: s(), raiseTimeS: s() + inS });
    await core.applyUpdate(update(source, [hb], { sequence: sequence++ }), pubsubOrigin(source));
    await core.idle();
  };

  beforeEach(async () => {
    clock = new FakeClock(1_000_000);
    chat = new RecordingChat();
    store = Store.open(":memory:");
    for (const source of ["web1", "web2", "cron1"])
      store.sources.claim(source, sourceToNodeName(source), `${source}@mauve.localhost`, clock.now());
    realClock = new FakeClock();
    core = await newCore(store, clock, chat, config, realClock);
    // Two agents publish their state; cron1 is an account only mauvesend publishes with (unsequenced).
    for (const source of ["web1", "web2"]) {
      await core.applyUpdate(update(source, [], { replace: true, sequence: sequence++ }), pubsubOrigin(source));
      await core.publishedLive(source);
    }
    await core.applyUpdate(update("cron1", [alert("backup", { clearTimeS: s() })]), pubsubOrigin("cron1"));
    await core.idle();
    await core.hearingAgents();
    await core.publishedLive("web1");
    await core.publishedLive("web2");
  });
  afterEach(() => {
    core.stop();
    store.close();
  });

  it("a heartbeat armed while AlertBot hears raises when due", async () => {
    await heartbeat("web1", 30);
    await advance(30_000);
    assert.deepEqual(chat.take(), ["alice: RAISED #2 web1 heartbeat"]);
  });

  // A VM paused 45 s under AlertBot, its links up: its timers fired first when it ran again, and the
  // heartbeat of an agent whose beats sat unread in the socket was paged, then cleared a moment later.
  it("its own process frozen past a heartbeat's due time (a VM paused): the heartbeat waits for its agent's word, and a silent agent is still raised", async () => {
    await heartbeat("web1", 30);
    await heartbeat("web2", 30);
    // Frozen: the real clock leaps with nothing of the process run; then what fell due runs first.
    realClock.set(realClock.now() + 45_000);
    await advance(45_000);
    assert.deepEqual(chat.take(), [], "frozen: nobody's silence");
    await heartbeat("web1", 3600); // its beats, read once the process runs again
    await advance(RETURN_MS);
    assert.deepEqual(chat.take(), ["alice: RAISED #3 web2 heartbeat"], "web2 said nothing since: raised, once");
    await advance(10 * 60_000);
    assert.deepEqual(chat.take(), []);
  });

  it("holds an agent's heartbeat while the link is down, and the agent heard again once back pages nobody", async () => {
    await heartbeat("web1", 30);
    core.cannotHearAgents();
    await advance(10 * 60_000);
    assert.deepEqual(chat.take(), [], "cut off ten minutes: nobody's silence");
    assert.equal(store.alerts.find("web1", "heartbeat")?.status, "cleared");
    await core.hearingAgents();
    await advance(GRACE_MS / 2);
    await heartbeat("web1", 90); // its full state, republished once greeted
    await core.publishedLive("web1");
    await core.publishedLive("web2");
    await advance(GRACE_MS / 2);
    assert.deepEqual(chat.take(), [], "both spoke within the grace");
    await advance(60_000);
    assert.deepEqual(chat.take(), ["alice: RAISED #2 web1 heartbeat"], "its silence after counts as ever");
  });

  it("an agent's heartbeat held while the link was down, its agent heard but the heartbeat not refreshed, raises a grace after the link is back, once", async () => {
    await heartbeat("web1", 30);
    core.cannotHearAgents();
    await advance(10 * 60_000);
    await core.hearingAgents();
    await core.agentBack("web1@mauve.localhost"); // its presence: there, but its heartbeat says nothing new
    await core.publishedLive("web2");
    await advance(RETURN_MS - 1);
    assert.deepEqual(chat.take(), []);
    await advance(1);
    assert.deepEqual(chat.take(), ["alice: RAISED #2 web1 heartbeat"]);
    await advance(60 * 60_000);
    assert.deepEqual(chat.take(), [], "held a grace at a time while cut off, fired once");
  });

  it("an agent unheard past the grace is still counted down when the round that found it could not be stored", async () => {
    core.cannotHearAgents();
    await advance(10 * 60_000);
    const backAt = clock.now();
    await core.hearingAgents();
    await core.publishedLive("web1");
    const markDown = store.sources.markDown.bind(store.sources);
    let failing = true;
    store.sources.markDown = (owner, since) => {
      if (failing) throw new Error("disk I/O error");
      markDown(owner, since);
    };
    await advance(RETURN_MS);
    assert.deepEqual(store.sources.down(), new Map(), "that round was rolled back");
    failing = false;
    await advance(1_000);
    assert.deepEqual(store.sources.down(), new Map([["web2", backAt]]), "counted down at the next round");
    assert.equal(store.alerts.find("web2", HOST_DOWN_ALERT_ID)?.status, "raised");
  });

  it("an agent unheard past the grace after the link is back is raised as down, once", async () => {
    await heartbeat("web1", 30);
    await heartbeat("web2", 30);
    core.cannotHearAgents();
    await advance(10 * 60_000);
    const backAt = clock.now();
    await core.hearingAgents();
    await heartbeat("web1", 600);
    await core.publishedLive("web1");
    await advance(RETURN_MS - 1);
    assert.deepEqual(chat.take(), []);
    await advance(1);
    assert.deepEqual(store.sources.down(), new Map([["web2", backAt]]), "cron1 is no agent: never awaited");
    assert.equal(store.alerts.find("web2", HOST_DOWN_ALERT_ID)?.status, "raised");
    // Its heartbeat falls due at the same moment and is held by the host-down alert: one page.
    const pages = chat.take();
    assert.equal(pages.length, 1, pages.join("\n"));
    assert.match(pages[0]!, /^alice: RAISED #\d+ web2 mauve-host-down: web2's agent has been unreachable since/);
  });

  it("an agent that went away before the outage gets a fresh grace from the link's return, and is cleared when heard", async () => {
    await core.agentAway("web2@mauve.localhost");
    core.cannotHearAgents();
    await advance(10 * 60_000);
    assert.equal(store.alerts.find("web2", HOST_DOWN_ALERT_ID), undefined, "nothing raised while cut off");
    await core.hearingAgents();
    await advance(GRACE_MS / 2);
    await core.publishedLive("web2");
    await core.publishedLive("web1");
    assert.deepEqual(store.sources.down(), new Map(), "an update published live: it is there");
    await advance(GRACE_MS);
    assert.deepEqual(chat.take(), []);
  });

  it("awaits word of agents from the link's return until each is heard (a live update's sender is looked up only then)", async () => {
    assert.equal(core.awaitingAgents, false, "both agents heard at the start");
    await core.hearingAgents();
    assert.equal(core.awaitingAgents, true);
    await core.publishedLive("web1");
    await core.publishedLive("cron1"); // not an agent: awaited by nobody
    assert.equal(core.awaitingAgents, true, "web2 not heard yet");
    await core.publishedLive("web2");
    assert.equal(core.awaitingAgents, false);
  });

  it("after a start, a sender's raise armed before it waits a grace; one armed after does not", () => {
    const hearing = new Hearing();
    const soon = (at: number) => at + 1_000; // due a second after it was armed: within any grace
    assert.equal(hearing.raiseNotBefore(false, 0, soon(0), GRACE_MS), null, "not started by run-bot: nothing held");
    assert.equal(hearing.holdsUntil(GRACE_MS), null);
    hearing.started(100_000);
    assert.equal(hearing.raiseNotBefore(false, 99_999, soon(99_999), GRACE_MS), 160_000);
    assert.equal(hearing.raiseNotBefore(false, 100_000, soon(100_000), GRACE_MS), null);
    hearing.deaf();
    assert.equal(hearing.raiseNotBefore(true, 200_000, soon(200_000), GRACE_MS), Infinity, "an agent's, while cut off");
    assert.equal(hearing.raiseNotBefore(false, 200_000, soon(200_000), GRACE_MS), null, "UDP still heard");
    hearing.listening(300_000, ["web1@mauve.localhost"]);
    assert.equal(hearing.raiseNotBefore(true, 200_000, soon(200_000), GRACE_MS), 300_000 + RETURN_MS);
    assert.equal(hearing.nextAt(GRACE_MS), 300_000 + RETURN_MS);
    assert.equal(hearing.heard("web1@mauve.localhost"), true);
    assert.equal(hearing.nextAt(GRACE_MS), null);
    hearing.deafToAll(); // the database cannot be written: nothing heard is kept
    assert.equal(hearing.raiseNotBefore(false, 400_000, soon(400_000), GRACE_MS), Infinity);
    assert.equal(hearing.agentNotBefore(0, GRACE_MS), Infinity);
    assert.equal(hearing.holdsUntil(GRACE_MS), Infinity);
    hearing.started(500_000);
    assert.equal(hearing.raiseNotBefore(false, 400_000, soon(400_000), GRACE_MS), 560_000);
    assert.equal(hearing.raiseNotBefore(true, 400_000, soon(400_000), GRACE_MS), 500_000 + RETURN_MS);
  });

  it("a UDP sender's raise waits its own timeout from the start when that is longer than the grace, at most SILENCE_HELD_MAX_MS", () => {
    const hearing = new Hearing();
    hearing.started(1_000_000);
    hearing.listening(1_000_000, []); // its link up and the agents' nodes read at once
    const armedAt = 100_000;
    const tenMinutes = 10 * 60_000;
    assert.equal(hearing.raiseNotBefore(false, armedAt, armedAt + tenMinutes, GRACE_MS), 1_000_000 + tenMinutes);
    assert.equal(
      hearing.raiseNotBefore(true, armedAt, armedAt + tenMinutes, GRACE_MS),
      1_000_000 + RETURN_MS,
      "an agent's node is read again at the reconnection: the grace does",
    );
    assert.equal(
      hearing.raiseNotBefore(false, armedAt, armedAt + 25 * SILENCE_HELD_MAX_MS, GRACE_MS),
      1_000_000 + SILENCE_HELD_MAX_MS,
      "a raise scheduled a day ahead waits no day more",
    );
    assert.equal(hearing.holdsUntil(GRACE_MS), 1_000_000 + SILENCE_HELD_MAX_MS);
  });

  it("a raise may be held exactly when some sender's raise armed then would be (mayHold, asked before looking its source up)", () => {
    const hearing = new Hearing();
    const armed = [0, 99_999, 100_000, 199_999, 200_000, 299_999, 300_000, 399_999, 400_000, 500_000];
    const check = (when: string): void => {
      for (const at of armed) {
        const held = [true, false].some((agent) => hearing.raiseNotBefore(agent, at, at + 1_000, GRACE_MS) !== null);
        assert.equal(hearing.mayHold(at), held, `${when}, armed at ${at}`);
      }
    };
    check("not started by run-bot");
    hearing.started(100_000);
    check("started");
    hearing.deaf();
    check("cut off");
    hearing.listening(300_000, ["web1@mauve.localhost"]);
    check("link back");
    hearing.deafToAll();
    check("nothing heard is kept");
    hearing.started(400_000);
    check("started again, cut off still");
    hearing.listening(500_000, []);
    check("link back again");
  });
});

// At a restart of the XMPP server every agent comes back on its own reconnection backoff, up to a
// whole step (a minute) after AlertBot is back; AlertBot is cut off too (a component of the same
// server), and the shutdown may have told it the agents left. With a host-down grace shorter than
// that step, the agents whose next try fell late were paged host-down, then cleared: after a
// restart of the server, possibly every agent it served.
describe("AlertBot's hearing with a grace shorter than the agents' reconnection backoff", () => {
  const SHORT_GRACE_MS = 10_000;
  const shortGrace = testConfig(
    `people:
  - { name: alice, jid: alice@mauve.localhost }
host_down: { grace: 10s }
`,
  );
  // An agent's next try after the server is back, late within the backoff's last step.
  const LATE_MS = 55_000;
  // Longer than an agent's return after the restart: only a silent agent's falls due.
  const HEARTBEAT_TIMEOUT_S = 120;
  let clock: FakeClock;
  let chat: RecordingChat;
  let store: Store;
  let core: BotCore;
  let sequence = 1n;
  const s = () => Math.floor(clock.now() / 1000);
  const advance = (ms: number): Promise<void> => advanceCore(clock, core, ms);
  // Greeted after its login, an agent republishes its full state: here, its heartbeat.
  const republish = async (source: string): Promise<void> => {
    const hb = alert("heartbeat", { clearTimeS: s(), raiseTimeS: s() + HEARTBEAT_TIMEOUT_S });
    await core.applyUpdate(update(source, [hb], { sequence: sequence++, replace: true }), pubsubOrigin(source));
    await core.publishedLive(source);
    await core.idle();
  };
  // The server stops (AlertBot cut off; its shutdown told AlertBot that web2 left), stays down
  // `downMs` and is back: AlertBot reconnects and has read the agents' nodes again.
  const serverRestart = async (downMs: number): Promise<number> => {
    await core.agentAway("web2@mauve.localhost");
    core.cannotHearAgents();
    await advance(downMs);
    await core.hearingAgents();
    return clock.now();
  };

  beforeEach(async () => {
    clock = new FakeClock(1_000_000);
    chat = new RecordingChat();
    store = Store.open(":memory:");
    for (const source of ["web1", "web2", "web3"])
      store.sources.claim(source, sourceToNodeName(source), `${source}@mauve.localhost`, clock.now());
    core = await newCore(store, clock, chat, shortGrace);
    await core.hearingAgents();
    for (const source of ["web1", "web2", "web3"]) await republish(source);
  });
  afterEach(() => {
    core.stop();
    store.close();
  });

  it("pages no agent that comes back within its backoff after the server is back, however short the grace", async () => {
    await serverRestart(5 * 60_000);
    await republish("web1"); // its try came as the server came back
    await advance(LATE_MS);
    await core.agentBack("web2@mauve.localhost");
    await republish("web2"); // left at the shutdown, back late within the backoff
    await republish("web3"); // unheard until now, back late within the backoff
    await advance(60 * 60_000 - LATE_MS);
    assert.deepEqual(
      chat.take().filter((line) => !/heartbeat/.test(line)),
      [],
      "no host-down",
    );
    assert.deepEqual(store.sources.down(), new Map());
    for (const source of ["web1", "web2", "web3"])
      assert.equal(store.alerts.find(source, HOST_DOWN_ALERT_ID), undefined, source);
  });

  it("holds a heartbeat that fell due in the outage until the agent could be back, then pages it if still silent", async () => {
    const backAt = await serverRestart(5 * 60_000);
    await republish("web1");
    await core.agentBack("web2@mauve.localhost");
    await republish("web2");
    await advance(AGENT_RETURN_MS - 1);
    assert.deepEqual(chat.take(), [], "web3's heartbeat waits as long as web3 may take to come back");
    await advance(1);
    const pages = chat.take();
    assert.equal(pages.length, 1, pages.join("\n"));
    assert.match(
      pages[0]!,
      /^alice: RAISED #\d+ web3 mauve-host-down: /,
      "one page: its host-down holds its heartbeat",
    );
    assert.deepEqual(store.sources.down(), new Map([["web3", backAt]]));
  });

  it("raises an agent dead through the restart once its backoff is past, and one that left at the shutdown too", async () => {
    const backAt = await serverRestart(5 * 60_000);
    await republish("web1");
    await advance(AGENT_RETURN_MS - 1);
    assert.deepEqual(chat.take(), []);
    await advance(1);
    assert.deepEqual(
      chat
        .take()
        .map((line) => /RAISED #\d+ (\S+) mauve-host-down/.exec(line)?.[1])
        .sort(),
      ["web2", "web3"],
    );
    assert.ok(store.sources.down().get("web2")! < backAt, "web2 down since it left, before the restart");
  });

  it("with the link up, an agent that goes away, even just after a reconnection, is raised after the grace as set", async () => {
    for (const afterReconnectionMs of [AGENT_RETURN_MS, 5_000, 0]) {
      await serverRestart(60_000);
      for (const source of ["web1", "web2", "web3"]) await republish(source);
      chat.take();
      await advance(afterReconnectionMs);
      await core.agentAway("web2@mauve.localhost");
      await advance(SHORT_GRACE_MS - 1);
      assert.deepEqual(chat.take(), [], `gone ${afterReconnectionMs} ms after AlertBot was back`);
      await advance(1);
      const pages = chat.take();
      assert.equal(pages.length, 1, pages.join("\n"));
      assert.match(pages[0]!, /^alice: RAISED #\d+ web2 mauve-host-down: /);
      await core.agentBack("web2@mauve.localhost");
      await republish("web2");
      chat.take();
    }
  });

  // A link that keeps dropping and coming back sooner than the agents' return grace: each return
  // used to give every unheard agent that grace afresh, and a dead one was never paged.
  for (const [how, dies] of [
    ["went away while AlertBot heard it", (): Promise<void> => core.agentAway("web2@mauve.localhost")],
    ["died while AlertBot was cut off", (): Promise<void> => Promise.resolve()],
  ] as const)
    it(`a dead agent (${how}) is paged although AlertBot's link drops every 80 s`, async () => {
      await advance(AGENT_RETURN_MS);
      await dies();
      let first = true;
      for (let flap = 0; flap < 6; flap++) {
        core.cannotHearAgents();
        await advance(2_000);
        await core.hearingAgents();
        await republish("web1");
        await republish("web3");
        if (first) await core.agentBack("web1@mauve.localhost");
        first = false;
        for (let s = 0; s < 80; s += 10) await advance(10_000); // the link up 80 s at a time
      }
      const pages = chat.take().filter((line) => / web2 mauve-host-down: /.test(line));
      assert.equal(pages.length, 1, "web2 paged, once");
      assert.deepEqual(chat.take(), []);
      assert.ok(store.sources.down().has("web2"));
      assert.ok(!store.sources.down().has("web1") && !store.sources.down().has("web3"), "the live ones are not down");
    });
});

// Mauve's UDP senders (the Ruby mauvesend, from cron) say nothing AlertBot can read again later:
// what they sent while it was not running is lost. One whose heartbeat comes less often than the
// host-down grace was paged after every restart of AlertBot that lasted past its timeout.
describe("AlertBot's hearing of a UDP sender across its restart", () => {
  const TIMEOUT_S = 10 * 60; // heartbeats every five minutes, raised after ten: longer than the grace
  let clock: FakeClock;
  let chat: RecordingChat;
  let store: Store;
  let core: BotCore;
  const s = () => Math.floor(clock.now() / 1000);
  // AlertBot (re)started, its link up and its agents' nodes read again.
  const started = async (): Promise<BotCore> => {
    const next = await newCore(store, clock, chat);
    await next.hearingAgents();
    return next;
  };
  const heartbeat = async (): Promise<void> => {
    const hb = alert("heartbeat", { clearTimeS: s(), raiseTimeS: s() + TIMEOUT_S });
    await core.applyUpdate(update("cron9", [hb]), { via: "udp" });
    await core.idle();
  };
  const advance = (ms: number): Promise<void> => advanceCore(clock, core, ms);

  beforeEach(async () => {
    clock = new FakeClock(1_000_000);
    chat = new RecordingChat();
    store = Store.open(":memory:");
    core = await started();
    await heartbeat();
    await advance(5 * 60_000);
    await heartbeat();
    // AlertBot stops for half an hour: two heartbeats are lost, and the last one's timeout passes.
    core.stop();
    clock.advance(30 * 60_000);
    core = await started();
  });
  afterEach(() => {
    core.stop();
    store.close();
  });

  it("pages nobody when the sender is heard within its timeout after the start", async () => {
    await advance(GRACE_MS);
    assert.deepEqual(chat.take(), [], "past the grace, within the sender's timeout");
    await advance(4 * 60_000);
    await heartbeat();
    await advance(TIMEOUT_S * 1000 - 1);
    assert.deepEqual(chat.take(), []);
    assert.equal(store.alerts.find("cron9", "heartbeat")?.status, "cleared");
  });

  it("raises the sender still silent a whole timeout after the start, then, once", async () => {
    await advance(TIMEOUT_S * 1000 - 1);
    assert.deepEqual(chat.take(), []);
    await advance(1);
    assert.deepEqual(chat.take(), ["alice: RAISED #1 cron9 heartbeat"]);
    await advance(60 * 60_000);
    assert.deepEqual(chat.take(), [], "held once, fired once");
  });

  it("restarted during the hold, raises the sender still silent a whole timeout after the latest start, once", async () => {
    await advance(5 * 60_000);
    core.stop();
    clock.advance(2 * 60_000);
    core = await started();
    await advance(TIMEOUT_S * 1000 - 1);
    assert.deepEqual(chat.take(), []);
    await advance(1);
    assert.deepEqual(chat.take(), ["alice: RAISED #1 cron9 heartbeat"]);
    await advance(60 * 60_000);
    assert.deepEqual(chat.take(), []);
  });

  it("an update of another of the sender's alerts during the hold leaves the held raise as it was", async () => {
    await advance(GRACE_MS);
    await core.applyUpdate(update("cron9", [alert("backup", { clearTimeS: s() })]), { via: "udp" });
    await core.idle();
    await advance(TIMEOUT_S * 1000 - GRACE_MS - 1);
    assert.deepEqual(chat.take(), []);
    await advance(1);
    assert.deepEqual(chat.take(), ["alice: RAISED #1 cron9 heartbeat"], "its heartbeat was not refreshed");
  });

  it("looks no source up for a raise armed since the start that falls due within the hour raises may be held", async () => {
    await advance(TIMEOUT_S * 1000);
    assert.deepEqual(chat.take(), ["alice: RAISED #1 cron9 heartbeat"], "the one armed before the start, held");
    await heartbeat(); // heard again: it clears, and arms its raise anew
    assert.deepEqual(chat.take(), ["alice: CLEARED #1 cron9 heartbeat"]);
    const looked: string[] = [];
    const get = store.sources.get.bind(store.sources);
    store.sources.get = (source) => {
      looked.push(source);
      return get(source);
    };
    await advance(TIMEOUT_S * 1000);
    assert.deepEqual(chat.take(), ["alice: RAISED #1 cron9 heartbeat"], "silent again for its whole timeout");
    assert.deepEqual(looked, [], "armed after the start: never held, whoever sent it");
  });
});
