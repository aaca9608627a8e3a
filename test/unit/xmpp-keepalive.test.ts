import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { KeepAlive } from "../../src/xmpp/keepalive.js";

/** A keepalive on a fake clock whose pings resolve as `answer` says, each after `replyMs`. */
function setUp(answer: () => boolean | "never") {
  const clock = new FakeClock();
  const dropped: string[] = [];
  let pings = 0;
  const keepAlive = new KeepAlive({
    clock,
    options: { intervalMs: 1_000, timeoutMs: 500 },
    ping: (timeoutMs) => {
      pings++;
      const a = answer();
      return new Promise<boolean>((resolve) => {
        if (a === "never") clock.setTimer(timeoutMs, () => resolve(false));
        else clock.setTimer(10, () => resolve(a));
      });
    },
    drop: (reason) => dropped.push(reason),
  });
  return { clock, keepAlive, dropped, pings: () => pings };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function run(clock: FakeClock, ms: number, step = 50): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await settle();
  }
}

describe("xmpp keepalive", () => {
  it("pings a quiet link and leaves one that answers", async () => {
    const { clock, keepAlive, dropped, pings } = setUp(() => true);
    keepAlive.start();
    await run(clock, 10_000);
    assert.ok(pings() >= 5, `pinged ${pings()} times`);
    assert.deepEqual(dropped, []);
    keepAlive.stop();
  });

  it("pings a busy link too, and leaves it while answered", async () => {
    const { clock, keepAlive, dropped, pings } = setUp(() => true);
    keepAlive.start();
    for (let i = 0; i < 100; i++) {
      keepAlive.heard();
      await run(clock, 100);
    }
    assert.ok(pings() >= 5, `pinged ${pings()} times`);
    assert.deepEqual(dropped, []);
    keepAlive.stop();
  });

  it("drops a silent link whose ping goes unanswered", async () => {
    const { clock, keepAlive, dropped } = setUp(() => "never");
    keepAlive.start();
    await run(clock, 3_000);
    assert.equal(dropped.length, 1);
    assert.match(dropped[0]!, /unanswered/);
  });

  it("drops a half-dead link: the server talks, but two pings in a row go unanswered", async () => {
    const { clock, keepAlive, dropped, pings } = setUp(() => "never");
    keepAlive.start();
    await run(clock, 1_000); // the first ping
    for (let i = 0; i < 40 && dropped.length === 0; i++) {
      keepAlive.heard();
      await run(clock, 100);
    }
    assert.equal(pings(), 2);
    assert.equal(dropped.length, 1);
    assert.match(dropped[0]!, /2 keepalive pings in a row unanswered/);
  });

  it("decides nothing after stop, nor for an earlier connection", async () => {
    const { clock, keepAlive, dropped } = setUp(() => "never");
    keepAlive.start();
    await run(clock, 1_100); // a ping in flight
    keepAlive.stop();
    keepAlive.start(); // a new connection: the old ping's outcome is not its
    await run(clock, 700);
    assert.deepEqual(dropped, []);
    keepAlive.stop();
    await run(clock, 5_000);
    assert.deepEqual(dropped, []);
  });
});
