// AlertBot's pings to the agents it believes online: one whose session the server holds for
// resumption (the agent died without closing its stream) answers nothing, and counts as gone since
// the first unanswered ping; never on the strength of one lost ping, an error reply, or a server
// that is itself silent.
import assert from "node:assert/strict";
import { AgentProbe, PROBE_MISSES, probeTimeoutMs } from "../../src/bot/agent-probe.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { createLogger } from "../../src/log.js";
import type { PingOutcome } from "../../src/xmpp/ping.js";

const WEB1 = "web1@mauve.localhost/agent";
const WEB2 = "web2@mauve.localhost/agent";
const EVERY_MS = 60_000;

/** What a pinged entity does: answers, answers with an error, or lets the ping time out. */
type Behaviour = "answers" | "error" | "silent";

function setUp(options: { everyMs?: number | null; saved?: string | undefined; agents?: Set<string> } = {}) {
  const clock = new FakeClock(0);
  const stored = { json: options.saved };
  const behaviour = new Map<string, Behaviour>();
  let server: Behaviour = "answers";
  let everyMs: number | null = options.everyMs === undefined ? EVERY_MS : options.everyMs;
  const pings: Array<{ jid: string; atMs: number }> = [];
  const events: Array<{ what: "gone" | "back"; jid: string; atMs: number; since?: number }> = [];
  const lines: Array<{ msg: string; level: string }> = [];
  const answer = (b: Behaviour, timeoutMs: number): Promise<PingOutcome> =>
    b === "silent"
      ? new Promise((resolve) => clock.setTimer(timeoutMs, () => resolve("no-answer")))
      : Promise.resolve(b === "answers" ? "answered" : "unavailable");
  const probe = new AgentProbe({
    clock,
    log: createLogger({ level: "info", sink: (l) => lines.push(JSON.parse(l) as { msg: string; level: string }) }),
    everyMs: () => everyMs,
    ping: (jid, timeoutMs) => {
      pings.push({ jid, atMs: clock.now() });
      return answer(behaviour.get(jid) ?? "answers", timeoutMs);
    },
    pingServer: (timeoutMs) => answer(server, timeoutMs),
    gone: (jid, since) => {
      events.push({ what: "gone", jid, atMs: clock.now(), since });
      return Promise.resolve();
    },
    back: (jid) => {
      events.push({ what: "back", jid, atMs: clock.now() });
      return Promise.resolve();
    },
    isAgent: (bare) => options.agents?.has(bare) ?? true,
    remembered: {
      load: () => stored.json,
      save: (json) => (stored.json = json),
    },
    random: () => 0,
  });
  /** Moves the clock on a second at a time, letting each ping's answer be acted on. */
  const run = async (ms: number): Promise<void> => {
    for (let left = ms; left > 0; left -= 1_000) {
      clock.advance(Math.min(1_000, left));
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  /** web1 seen online, then silent until it is counted gone. */
  const web1Gone = async (): Promise<void> => {
    probe.seen(WEB1);
    behaviour.set(WEB1, "silent");
    await run(3 * EVERY_MS);
    assert.deepEqual(
      events.map((e) => e.what),
      ["gone"],
    );
  };
  return {
    clock,
    stored,
    web1Gone,
    probe,
    pings,
    events,
    lines,
    run,
    set: (jid: string, b: Behaviour) => behaviour.set(jid, b),
    setServer: (b: Behaviour) => (server = b),
    setEvery: (ms: number | null) => (everyMs = ms),
  };
}

describe("AgentProbe", () => {
  it("counts an agent that stops answering as gone after two unanswered pings, since the first of them, and says so once", async () => {
    const { probe, pings, events, lines, run, set } = setUp();
    probe.seen(WEB1);
    await run(1_000);
    assert.equal(pings.length, 1, "pinged at once (random 0 puts its first ping at the start)");
    await run(EVERY_MS);
    set(WEB1, "silent"); // SIGKILL: the server holds its session, and the pings with it
    await run(EVERY_MS); // the first unanswered ping at 120 s
    assert.equal(events.length, 0, "one lost ping is not an outage");
    await run(EVERY_MS + probeTimeoutMs(EVERY_MS));
    assert.equal(PROBE_MISSES, 2);
    assert.deepEqual(
      events.map((e) => ({ what: e.what, since: e.since })),
      [{ what: "gone", since: 120_000 }],
      "gone since the first ping it did not answer",
    );
    await run(5 * EVERY_MS);
    assert.equal(events.length, 1, "told once, however many more go unanswered");
    assert.equal(lines.filter((l) => l.msg === "agent does not answer pings; counted as gone").length, 1);
    assert.ok(pings.filter((p) => p.atMs > 200_000).length >= 4, "still pinged: its answer says it is back");
  });

  it("says an agent counted gone is back when it answers again (its session resumed), and counts a later silence again", async () => {
    const { events, run, set, web1Gone } = setUp();
    await web1Gone();
    set(WEB1, "answers");
    await run(EVERY_MS);
    assert.deepEqual(
      events.map((e) => e.what),
      ["gone", "back"],
    );
    set(WEB1, "silent");
    await run(3 * EVERY_MS);
    assert.deepEqual(
      events.map((e) => e.what),
      ["gone", "back", "gone"],
    );
  });

  it("counts nothing while AlertBot's own server does not answer either", async () => {
    const { probe, events, lines, run, set, setServer } = setUp();
    probe.seen(WEB1);
    set(WEB1, "silent");
    setServer("silent");
    await run(5 * EVERY_MS);
    assert.equal(events.length, 0);
    assert.ok(lines.some((l) => l.msg === "an agent did not answer pings, nor did AlertBot's server: not counted"));
    setServer("answers");
    await run(3 * EVERY_MS);
    assert.deepEqual(
      events.map((e) => e.what),
      ["gone"],
      "counted once the server answers",
    );
  });

  it("never counts an error in answer (a server answering for a session gone, or an agent without pings), and stops pinging it", async () => {
    const { probe, pings, events, stored, run, set } = setUp();
    probe.seen(WEB1);
    probe.seen(WEB2);
    set(WEB1, "error");
    await run(10 * EVERY_MS);
    assert.equal(events.length, 0);
    assert.equal(pings.filter((p) => p.jid === WEB1).length, 1, "pinged once");
    assert.equal(probe.size, 1);
    assert.deepEqual(JSON.parse(stored.json ?? "{}"), { "web2@mauve.localhost": WEB2 }, "forgotten");
  });

  it("pings the agents last online again after AlertBot restarts, though none says so again, and counts one that died meanwhile", async () => {
    const first = setUp();
    first.probe.seen(WEB1);
    first.probe.seen(WEB2);
    first.probe.stop(); // stored at once
    assert.deepEqual(JSON.parse(first.stored.json ?? "{}"), {
      "web1@mauve.localhost": WEB1,
      "web2@mauve.localhost": WEB2,
    });
    // web2's account no longer owns any source: forgotten, not pinged.
    const again = setUp({ saved: first.stored.json, agents: new Set(["web1@mauve.localhost"]) });
    again.set(WEB1, "silent"); // killed while AlertBot was down; its server holds its session
    await again.run(5 * EVERY_MS);
    assert.equal(again.pings.length, 0, "nothing before AlertBot is online");
    again.probe.online();
    await again.run(3 * EVERY_MS);
    assert.deepEqual([...new Set(again.pings.map((p) => p.jid))], [WEB1]);
    assert.deepEqual(
      again.events.map((e) => e.what),
      ["gone"],
    );
    await again.run(1_000);
    assert.deepEqual(JSON.parse(again.stored.json ?? "{}"), { "web1@mauve.localhost": WEB1 });
  });

  it("starts from nothing, saying so, when what was stored cannot be read", async () => {
    const { probe, pings, lines, run } = setUp({ saved: "{not json" });
    probe.online();
    await run(2 * EVERY_MS);
    assert.equal(pings.length, 0);
    assert.ok(
      lines.some((l) => l.msg === "cannot read which agents were online; they are pinged once they next say so"),
    );
  });

  it("stores which agents are online once for a fleet arriving at once", async () => {
    let saves = 0;
    const clock = new FakeClock(0);
    const probe = new AgentProbe({
      clock,
      log: createLogger({ level: "error" }),
      everyMs: () => EVERY_MS,
      ping: () => new Promise(() => undefined),
      pingServer: () => Promise.resolve("answered"),
      gone: () => Promise.resolve(),
      back: () => Promise.resolve(),
      isAgent: () => true,
      remembered: { load: () => undefined, save: () => void saves++ },
    });
    for (let i = 0; i < 500; i++) probe.seen(`web${i}@mauve.localhost/agent`);
    clock.advance(1_000);
    assert.equal(saves, 1);
    probe.seen("web1@mauve.localhost/agent"); // no change
    clock.advance(1_000);
    assert.equal(saves, 1);
    probe.stop();
  });

  it("counts nothing of an agent whose presence said it left, or after AlertBot's link dropped, nor of a ping out meanwhile", async () => {
    const { probe, pings, events, run, set } = setUp();
    probe.seen(WEB1);
    probe.seen(WEB2);
    set(WEB1, "silent");
    set(WEB2, "silent");
    await run(EVERY_MS + 1_000); // each has one ping unanswered and one out
    probe.left(WEB1);
    probe.offline();
    await run(5 * EVERY_MS);
    assert.equal(events.length, 0);
    assert.equal(pings.filter((p) => p.atMs > EVERY_MS + 1_000).length, 0, "no more pings");
    assert.equal(probe.size, 0);
  });

  it("starts counting afresh when the agent's presence is heard again", async () => {
    const { probe, events, run, set } = setUp();
    probe.seen(WEB1);
    set(WEB1, "silent");
    await run(EVERY_MS - 1_000 + probeTimeoutMs(EVERY_MS)); // one unanswered
    probe.seen(WEB1); // its presence, say a status change
    await run(EVERY_MS); // a second unanswered, but the first no longer counts
    assert.equal(events.length, 0);
    await run(EVERY_MS);
    assert.deepEqual(
      events.map((e) => e.what),
      ["gone"],
    );
  });

  it("pings nobody while host_down.probe is false, and starts within a minute of it being set", async () => {
    const { probe, pings, run, setEvery } = setUp({ everyMs: null });
    probe.seen(WEB1);
    await run(10 * EVERY_MS);
    assert.equal(pings.length, 0);
    setEvery(30_000);
    await run(EVERY_MS);
    assert.ok(pings.length >= 1);
    const before = pings.length;
    await run(3 * 30_000);
    assert.equal(pings.length - before, 3, "every 30 s from then on");
  });

  it("still pings an agent counted gone after host_down.probe is set to false, until it answers", async () => {
    const { pings, events, run, set, setEvery, web1Gone } = setUp();
    await web1Gone();
    setEvery(null);
    set(WEB1, "answers");
    await run(2 * EVERY_MS);
    assert.deepEqual(
      events.map((e) => e.what),
      ["gone", "back"],
      "cleared by its answer",
    );
    const before = pings.length;
    await run(10 * EVERY_MS);
    assert.equal(pings.length, before, "then no more pings while off");
  });

  it("spreads a fleet's first pings over the period, and waits half of it, at most 30 s, for each answer", () => {
    const clock = new FakeClock(0);
    const firsts: number[] = [];
    let r = 0;
    const probe = new AgentProbe({
      clock,
      log: createLogger({ level: "error" }),
      everyMs: () => EVERY_MS,
      ping: () => {
        firsts.push(clock.now());
        return new Promise(() => undefined);
      },
      pingServer: () => Promise.resolve("answered"),
      gone: () => Promise.resolve(),
      back: () => Promise.resolve(),
      isAgent: () => true,
      random: () => (r++ % 10) / 10,
    });
    for (let i = 0; i < 10; i++) probe.seen(`web${i}@mauve.localhost/agent`);
    clock.advance(EVERY_MS);
    assert.deepEqual(
      firsts,
      Array.from({ length: 10 }, (_, i) => i * 6_000),
    );
    probe.stop();
    assert.equal(probeTimeoutMs(60_000), 30_000);
    assert.equal(probeTimeoutMs(20_000), 10_000);
    assert.equal(probeTimeoutMs(3_600_000), 30_000);
  });
});
