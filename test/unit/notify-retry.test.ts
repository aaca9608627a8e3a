import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { deliverWithRetry } from "../../src/notify/retry.js";
import { backoffDelay } from "../../src/util/backoff.js";
import { delivered, failed, type Channel, type DeliveryOutcome } from "../../src/notify/channel.js";
import type { NotificationMessage } from "../../src/notify/message.js";

const bob = { name: "bob", jid: "bob@example.org", email: "bob@example.org" };
const message: NotificationMessage = {
  kind: "raised",
  shortId: 42,
  subject: "RAISED web1 disk-full",
  text: "RAISED #42 web1 disk-full",
};

/** A channel answering from a script, noting when (on the fake clock) each attempt came. */
function scripted(clock: FakeClock, outcomes: DeliveryOutcome[]): Channel & { at: number[] } {
  const at: number[] = [];
  return {
    name: "email",
    at,
    send: async () => {
      at.push(clock.now() - START);
      return outcomes.shift() ?? delivered();
    },
  };
}

const START = Date.UTC(2026, 0, 5, 9, 0, 0);
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs a delivery to the end, advancing the fake clock whenever it waits. */
async function run(clock: FakeClock, p: Promise<DeliveryOutcome>): Promise<DeliveryOutcome> {
  let done: DeliveryOutcome | undefined;
  void p.then((o) => (done = o));
  for (let i = 0; i < 100 && done === undefined; i++) {
    await flush();
    clock.advance(1_000);
  }
  assert.ok(done, "delivery did not finish");
  return done;
}

describe("notify: deliverWithRetry", () => {
  it("retries recoverable failures with growing, jittered delays, then delivers", async () => {
    const clock = new FakeClock(START);
    const channel = scripted(clock, [failed(true, "451 later"), failed(true, "451 later"), delivered("250 ok")]);
    const seen: Array<[boolean, number, number | null]> = [];
    const outcome = await run(
      clock,
      deliverWithRetry(channel, bob, message, {
        clock,
        attempts: 4,
        initialDelayMs: 10_000,
        maxDelayMs: 60_000,
        random: () => 1,
        onAttempt: (o, n, next) => seen.push([o.ok, n, next.retryInMs]),
      }),
    );
    assert.deepEqual(outcome, { ok: true, detail: "250 ok" });
    assert.deepEqual(seen, [
      [false, 1, 10_000],
      [false, 2, 20_000],
      [true, 3, null],
    ]);
    assert.deepEqual(channel.at, [0, 10_000, 30_000]);
  });

  it("does not retry a failure that is not recoverable", async () => {
    const clock = new FakeClock(START);
    const channel = scripted(clock, [failed(false, "550 mailbox unavailable")]);
    const attempts: number[] = [];
    const outcome = await run(
      clock,
      deliverWithRetry(channel, bob, message, { clock, onAttempt: (_o, n) => attempts.push(n) }),
    );
    assert.deepEqual(outcome, { ok: false, recoverable: false, error: "550 mailbox unavailable" });
    assert.deepEqual(attempts, [1]);
    assert.equal(clock.pendingTimers(), 0);
  });

  it("gives up after the last attempt and returns its outcome", async () => {
    const clock = new FakeClock(START);
    const channel = scripted(
      clock,
      [1, 2, 3, 4, 5].map((n) => failed(true, `timeout ${n}`)),
    );
    const next: Array<number | null> = [];
    const outcome = await run(
      clock,
      deliverWithRetry(channel, bob, message, {
        clock,
        attempts: 4,
        initialDelayMs: 1_000,
        maxDelayMs: 3_000,
        random: () => 0,
        onAttempt: (_o, _n, n) => next.push(n.retryInMs),
      }),
    );
    assert.deepEqual(outcome, { ok: false, recoverable: true, error: "timeout 4" });
    assert.deepEqual(next, [500, 1_000, 1_500, null]); // half the capped ceiling when the jitter is 0
    assert.equal(channel.at.length, 4);
  });

  it("waits at least as long as the server's Retry-After, within the cap", async () => {
    const clock = new FakeClock(START);
    const channel = scripted(clock, [failed(true, "HTTP 429", 30_000), failed(true, "HTTP 429", 999_000)]);
    const next: Array<number | null> = [];
    await run(
      clock,
      deliverWithRetry(channel, bob, message, {
        clock,
        initialDelayMs: 1_000,
        maxDelayMs: 60_000,
        random: () => 0,
        onAttempt: (_o, _n, n) => next.push(n.retryInMs),
      }),
    );
    assert.deepEqual(next, [30_000, 60_000, null]);
  });

  it("never throws: a throwing channel is a bug, reported without its message", async () => {
    const clock = new FakeClock(START);
    const channel: Channel = { name: "sms", send: () => Promise.reject(new TypeError("token=hunter2 in here")) };
    const outcome = await deliverWithRetry(channel, bob, message, {
      clock,
      onAttempt: () => {
        throw new Error("history down");
      },
    });
    assert.deepEqual(outcome, {
      ok: false,
      recoverable: false,
      error: "sms channel threw TypeError (a bug: channels return outcomes)",
    });
  });

  it("stops waiting when aborted and returns the last outcome", async () => {
    const clock = new FakeClock(START);
    const channel = scripted(clock, [failed(true, "busy"), delivered()]);
    const abort = new AbortController();
    const p = deliverWithRetry(channel, bob, message, { clock, initialDelayMs: 60_000 });
    const q = deliverWithRetry(scripted(clock, [failed(true, "busy")]), bob, message, {
      clock,
      initialDelayMs: 60_000,
      signal: abort.signal,
    });
    await flush();
    abort.abort();
    assert.deepEqual(await q, { ok: false, recoverable: true, error: "busy" });
    assert.deepEqual(await run(clock, p), { ok: true });
  });

  it("keeps backoff within [ceiling/2, ceiling] and under the cap", () => {
    const options = { initialDelayMs: 1_000, maxDelayMs: 30_000 };
    for (let retry = 0; retry < 12; retry++) {
      const ceiling = Math.min(30_000, 1_000 * 2 ** retry);
      assert.equal(
        backoffDelay(retry, options, () => 0),
        ceiling / 2,
      );
      assert.equal(
        backoffDelay(retry, options, () => 0.999999),
        Math.round(ceiling / 2 + (ceiling / 2) * 0.999999),
      );
    }
  });
});
