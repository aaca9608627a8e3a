// A person whose presence bounced, or who did not answer a probe, is asked again with a back-off until heard from.
import assert from "node:assert/strict";
import { PresenceReask } from "../../src/bot/presence-reask.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { createLogger } from "../../src/log.js";

function setUp() {
  const clock = new FakeClock(0);
  const asked: Array<{ jid: string; atMs: number }> = [];
  const lines: Array<{ msg: string; inMs?: number }> = [];
  const reask = new PresenceReask({
    clock,
    log: createLogger({ level: "warn", sink: (l) => lines.push(JSON.parse(l) as { msg: string; inMs?: number }) }),
    ask: (jid) => {
      asked.push({ jid, atMs: clock.now() });
      return Promise.resolve();
    },
    backoff: { initialDelayMs: 5_000, maxDelayMs: 20_000 },
    random: () => 1 - Number.EPSILON, // no jitter: the full delay
  });
  return { clock, asked, lines, reask };
}

describe("PresenceReask", () => {
  it("asks a person again after a bounce, once however many of the bot's stanzas bounced", async () => {
    const { clock, asked, lines, reask } = setUp();
    reask.bounced("alice@mauve.localhost", "remote-server-not-found");
    reask.bounced("alice@mauve.localhost", "remote-server-not-found"); // the directed presence after the probe
    assert.equal(lines.length, 1, "said once");
    clock.advance(4_999);
    assert.deepEqual(asked, []);
    clock.advance(1);
    assert.deepEqual(asked, [{ jid: "alice@mauve.localhost", atMs: 5_000 }]);
  });

  it("backs off while the person stays unreachable, and starts afresh once they are heard", async () => {
    const { clock, asked, reask } = setUp();
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = clock.now();
      reask.bounced("bob@mauve.localhost", "remote-server-not-found");
      clock.advance(20_000);
      waits.push(asked.at(-1)!.atMs - before);
    }
    assert.deepEqual(waits, [5_000, 10_000, 20_000, 20_000]);
    reask.heard("bob@mauve.localhost");
    const before = clock.now();
    reask.bounced("bob@mauve.localhost", "remote-server-not-found");
    clock.advance(5_000);
    assert.equal(asked.at(-1)!.atMs - before, 5_000);
  });

  it("asks nobody after stop", async () => {
    const { clock, asked, reask } = setUp();
    reask.bounced("carol@mauve.localhost", "service-unavailable");
    reask.stop();
    clock.advance(60_000);
    assert.deepEqual(asked, []);
  });

  it("asks again a person who did not answer a probe, until they are heard from", () => {
    const { clock, asked, lines, reask } = setUp();
    reask.expect("dave@mauve.localhost");
    clock.advance(5_000);
    assert.equal(asked.length, 1);
    assert.equal(lines.length, 0, "the first ask again is not worth a warning");
    reask.expect("dave@mauve.localhost"); // the ask itself expects an answer again
    reask.heard("dave@mauve.localhost");
    clock.advance(60_000);
    assert.equal(asked.length, 1, "heard: nothing more");
  });

  it("on an approval, starts the back-off afresh and waits for the presence that follows", () => {
    const { clock, asked, reask } = setUp();
    for (let i = 0; i < 3; i++) {
      reask.bounced("erin@mauve.localhost", "remote-server-not-found");
      clock.advance(20_000);
    }
    assert.equal(asked.length, 3);
    reask.approved("erin@mauve.localhost");
    clock.advance(4_999);
    assert.equal(asked.length, 3, "not at the backed-off delay, nor at once");
    clock.advance(1);
    assert.equal(asked.length, 4, "asked once the first delay passed without their presence");
    reask.heard("erin@mauve.localhost");
    clock.advance(60_000);
    assert.equal(asked.length, 4);
  });

  it("asks everyone when asking one person fails, and asks that person again later", async () => {
    const clock = new FakeClock(0);
    const asked: Array<{ jid: string; atMs: number }> = [];
    const lines: Array<{ msg: string; jid?: string }> = [];
    let failFor: string | null = "bob@mauve.localhost";
    const reask = new PresenceReask({
      clock,
      log: createLogger({ level: "warn", sink: (l) => lines.push(JSON.parse(l) as { msg: string; jid?: string }) }),
      ask: (jid) => {
        if (jid === failFor) return Promise.reject(new Error("not connected"));
        asked.push({ jid, atMs: clock.now() });
        return Promise.resolve();
      },
      backoff: { initialDelayMs: 5_000, maxDelayMs: 20_000 },
      random: () => 1 - Number.EPSILON,
    });
    await reask.askAll(["alice@mauve.localhost", "bob@mauve.localhost", "carol@mauve.localhost"]);
    assert.deepEqual(
      asked.map((a) => a.jid),
      ["alice@mauve.localhost", "carol@mauve.localhost"],
      "the people after the one who could not be asked are asked all the same",
    );
    assert.deepEqual(
      lines.filter((l) => l.msg === "cannot ask a person for presence").map((l) => l.jid),
      ["bob@mauve.localhost"],
    );
    clock.advance(5_000);
    await Promise.resolve();
    assert.deepEqual(lines.filter((l) => l.msg === "cannot ask a person for presence").length, 2, "still failing");
    failFor = null;
    clock.advance(10_000);
    assert.deepEqual(asked.at(-1), { jid: "bob@mauve.localhost", atMs: 15_000 }, "asked again with the back-off");
    reask.stop();
  });
});
