// The reconnect state machine against a scripted fake entity and a fake clock.
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { Writable } from "node:stream";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { Lifecycle, REPLACED_STREAK_RESET_MS } from "../../src/xmpp/lifecycle.js";
import type { LifecycleHooks } from "../../src/xmpp/lifecycle.js";
import { hardenEntity } from "../../src/xmpp/raw-entity.js";
import type { RawEntity } from "../../src/xmpp/raw-entity.js";
import { XmppBadInputError, XmppIoError } from "../../src/xmpp/errors.js";
import { logSessionErrors } from "../../src/xmpp/session.js";
import { LogLines } from "../helpers/spine.js";

/** Each connect() takes the next outcome: "ok" goes online after open(), "refuse" fails, "hang" never answers. */
class FakeEntity extends EventEmitter {
  status = "offline";
  jid = null;
  options = { service: "xmpp://127.0.0.1:1", domain: "example.org" };
  socket: { setNoDelay(on: boolean): void; destroy(): void; cork(): void; uncork(): void; noDelay?: boolean } | null =
    null;
  parser: unknown = null;
  connects = 0;
  stops = 0;
  reconnect = { stop: () => undefined };
  iqCallee = { get: () => undefined, set: () => undefined };
  constructor(private readonly outcomes: Array<"ok" | "refuse" | "hang" | "untrusted">) {
    super();
  }
  _onData(): void {
    (this.parser as { write(): void }).write();
  }
  async connect(): Promise<void> {
    this.connects++;
    const outcome = this.outcomes.shift() ?? "ok";
    if (outcome === "refuse") throw new Error("connect ECONNREFUSED");
    if (outcome === "untrusted")
      throw Object.assign(new Error("unable to verify the first certificate"), {
        code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      });
    this.socket = {
      setNoDelay: (on) => void (this.socket && (this.socket.noDelay = on)),
      destroy: () => undefined,
      cork: () => undefined,
      uncork: () => undefined,
    };
    this.emit("connect");
    if (outcome === "ok") queueMicrotask(() => this.emit("online"));
  }
  async open(): Promise<void> {}
  async disconnect(): Promise<void> {
    this.socket = null;
  }
  async stop(): Promise<void> {
    this.stops++;
    this.socket = null;
  }
  send = async (): Promise<void> => undefined;
}

function recorder(): { hooks: LifecycleHooks; log: string[] } {
  const log: string[] = [];
  return {
    log,
    hooks: {
      online: (resumed) => log.push(`online resumed=${resumed}`),
      offline: (reason, again) => log.push(`offline ${reason} again=${again}`),
      reconnecting: (attempt, delayMs, lastError) =>
        log.push(`reconnecting #${attempt} in ${delayMs} after ${lastError}`),
      error: (err) => log.push(`error ${err.message}`),
    },
  };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("xmpp lifecycle (fake entity, fake clock)", () => {
  const options = (clock: FakeClock) => ({
    clock,
    random: () => 0,
    backoff: { initialDelayMs: 1000, maxDelayMs: 4000 },
    connectTimeoutMs: 5000,
  });

  it("a failed try says its error's code (TLS codes name the cause)", async () => {
    const clock = new FakeClock();
    const entity = new FakeEntity(["ok", "untrusted", "ok"]);
    const { hooks, log } = recorder();
    const lifecycle = new Lifecycle(entity as unknown as RawEntity, options(clock), hooks);
    await lifecycle.start();
    entity.emit("disconnect", { clean: false });
    for (let i = 0; i < 2; i++) {
      clock.advance(4000);
      await flush();
    }
    assert.ok(
      log.includes(
        "reconnecting #2 in 1000 after unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)",
      ),
      log.join("\n"),
    );
    await lifecycle.stop();
  });

  it("reconnects with growing delays until a login succeeds", async () => {
    const clock = new FakeClock();
    const entity = new FakeEntity(["ok", "refuse", "refuse", "refuse", "ok"]);
    const { hooks, log } = recorder();
    const lifecycle = new Lifecycle(entity as unknown as RawEntity, options(clock), hooks);
    await lifecycle.start();
    assert.ok(lifecycle.isOnline);
    entity.emit("error", new Error("system-shutdown"));
    entity.emit("disconnect", { clean: true });
    for (let i = 0; i < 4; i++) {
      clock.advance(4000);
      await flush();
    }
    assert.deepEqual(log, [
      "online resumed=false",
      "error xmpp connection: system-shutdown",
      "offline system-shutdown again=true",
      "reconnecting #1 in 500 after system-shutdown",
      "reconnecting #2 in 1000 after connect ECONNREFUSED",
      "reconnecting #3 in 2000 after connect ECONNREFUSED",
      "reconnecting #4 in 2000 after connect ECONNREFUSED",
      "online resumed=false",
    ]);
    assert.equal(entity.connects, 5);
  });

  it("after another login takes the address (conflict), waits longer each time in a row; afresh once a session held", async () => {
    const clock = new FakeClock();
    const entity = new FakeEntity([]);
    const { hooks, log } = recorder();
    const streaks: number[] = [];
    const lifecycle = new Lifecycle(entity as unknown as RawEntity, options(clock), {
      ...hooks,
      offline: (reason, again, streak) => {
        streaks.push(streak);
        hooks.offline(reason, again, streak);
      },
    });
    await lifecycle.start();
    const replaced = async (): Promise<void> => {
      entity.emit(
        "error",
        Object.assign(new Error("conflict - Replaced by new connection"), { condition: "conflict" }),
      );
      entity.emit("error", new Error("write EPIPE")); // the write on the closed socket: nothing new
      entity.emit("disconnect", { clean: true });
      // In steps, so that the login each retry starts answers before its own timeout is due.
      for (let waited = 0; !lifecycle.isOnline && waited < 60_000; waited += 250) {
        clock.advance(250);
        await flush();
      }
      assert.ok(lifecycle.isOnline, log.join("\n"));
    };
    for (let i = 0; i < 4; i++) await replaced();
    const delays = (): number[] =>
      log.filter((l) => l.startsWith("reconnecting")).map((l) => Number(/ in (\d+) /.exec(l)![1]));
    // Past the ordinary cap (4,000 ms here): a tug of war slows down.
    assert.deepEqual(delays(), [1000, 2000, 4000, 8000]);
    assert.deepEqual(streaks, [1, 2, 3, 4]);
    const errors = log.filter((l) => l.startsWith("error"));
    assert.equal(errors.length, 4, errors.join("\n"));
    assert.match(errors[0]!, /another login took this session's address .*same account and resource/);
    assert.match(
      log.find((l) => l.startsWith("offline"))!,
      /^offline replaced by another login with the same address/,
    );

    clock.advance(REPLACED_STREAK_RESET_MS); // this session held: the next replacement starts a new streak
    await replaced();
    assert.equal(streaks.at(-1), 1);
    assert.equal(delays().at(-1), 1000);
    entity.emit("disconnect", { clean: false }); // an ordinary drop: no streak, the ordinary first delay
    assert.equal(streaks.at(-1), 0);
    assert.equal(delays().at(-1), 500);
  });

  it("abandons a login that hangs and tries again", async () => {
    const clock = new FakeClock();
    const entity = new FakeEntity(["ok", "hang", "ok"]);
    const { hooks, log } = recorder();
    const lifecycle = new Lifecycle(entity as unknown as RawEntity, options(clock), hooks);
    await lifecycle.start();
    entity.emit("disconnect", { clean: false });
    clock.advance(500);
    await flush();
    clock.advance(5000);
    await flush();
    clock.advance(1000);
    await flush();
    assert.deepEqual(log.slice(1), [
      "offline connection lost again=true",
      "reconnecting #1 in 500 after connection lost",
      "reconnecting #2 in 1000 after no session within 5000 ms",
      "online resumed=false",
    ]);
  });

  it("stop() cancels a scheduled retry", async () => {
    const clock = new FakeClock();
    const entity = new FakeEntity(["ok"]);
    const { hooks, log } = recorder();
    const lifecycle = new Lifecycle(entity as unknown as RawEntity, options(clock), hooks);
    await lifecycle.start();
    entity.emit("disconnect", { clean: true });
    await lifecycle.stop();
    clock.advance(60_000);
    await flush();
    assert.equal(entity.connects, 1);
    assert.equal(clock.pendingTimers(), 0);
    assert.ok(lifecycle.isStopped);
    assert.equal(log.at(-1), "reconnecting #1 in 500 after connection closed");
  });

  it("drops a dead link at once over TLS too: the socket inside @xmpp/tls's wrapper is destroyed", async () => {
    const clock = new FakeClock();
    const entity = new FakeEntity(["ok"]);
    const lifecycle = new Lifecycle(entity as unknown as RawEntity, options(clock), recorder().hooks);
    await lifecycle.start();
    // After STARTTLS (and on xmpps://) the entity's socket is the wrapper, which has no destroy;
    // its disconnect() would wait for the dead peer's answers, two timeouts, before letting go.
    const destroyed: string[] = [];
    const inner = { cork: () => undefined, uncork: () => undefined, destroy: () => void destroyed.push("tls socket") };
    (entity as unknown as { socket: unknown }).socket = { socket: inner, write: () => undefined, end: () => undefined };
    let politely = 0;
    entity.disconnect = async () => void politely++;
    lifecycle.dropDead("two pings unanswered");
    assert.deepEqual(destroyed, ["tls socket"]);
    assert.equal(politely, 0);
    await lifecycle.stop();
  });

  it("without backoff, stays offline after a drop", async () => {
    const clock = new FakeClock();
    const entity = new FakeEntity(["ok"]);
    const { hooks, log } = recorder();
    const lifecycle = new Lifecycle(entity as unknown as RawEntity, { ...options(clock), backoff: false }, hooks);
    await lifecycle.start();
    entity.emit("disconnect", { clean: true });
    clock.advance(60_000);
    assert.deepEqual(log, ["online resumed=false", "offline connection closed again=false"]);
  });

  it("a failed first login rejects and stops", async () => {
    const clock = new FakeClock();
    const entity = new FakeEntity(["refuse"]);
    const lifecycle = new Lifecycle(entity as unknown as RawEntity, options(clock), recorder().hooks);
    await assert.rejects(lifecycle.start(), /ECONNREFUSED/);
    assert.ok(lifecycle.isStopped);
    assert.equal(entity.stops, 1);
  });

  it("keepTrying: a failed first login reports the session offline and retries until one succeeds", async () => {
    const clock = new FakeClock();
    const entity = new FakeEntity(["refuse", "refuse", "ok"]);
    const { hooks, log } = recorder();
    const lifecycle = new Lifecycle(entity as unknown as RawEntity, options(clock), hooks);
    assert.equal(await lifecycle.start(true), false);
    assert.ok(!lifecycle.isOnline && !lifecycle.isStopped);
    for (let i = 0; i < 3; i++) {
      clock.advance(4000);
      await flush();
    }
    assert.deepEqual(log, [
      "offline connect ECONNREFUSED again=true",
      "reconnecting #1 in 500 after connect ECONNREFUSED",
      "reconnecting #2 in 1000 after connect ECONNREFUSED",
      "online resumed=false",
    ]);
    assert.ok(lifecycle.isOnline);
    assert.equal(entity.connects, 3);
  });

  it("keepTrying: stop() while waiting for the next try ends the retries", async () => {
    const clock = new FakeClock();
    const entity = new FakeEntity(["refuse", "ok"]);
    const lifecycle = new Lifecycle(entity as unknown as RawEntity, options(clock), recorder().hooks);
    assert.equal(await lifecycle.start(true), false);
    await lifecycle.stop();
    clock.advance(60_000);
    await flush();
    assert.equal(entity.connects, 1);
    assert.ok(lifecycle.isStopped);
  });

  it("keepTrying without backoff still rejects a failed first login", async () => {
    const clock = new FakeClock();
    const entity = new FakeEntity(["refuse"]);
    const lifecycle = new Lifecycle(
      entity as unknown as RawEntity,
      { ...options(clock), backoff: false },
      recorder().hooks,
    );
    await assert.rejects(lifecycle.start(true), /ECONNREFUSED/);
    assert.ok(lifecycle.isStopped);
  });
});

describe("xmpp entity hardening", () => {
  it("drops input that arrives after the parser is gone and reports parser exceptions", () => {
    const entity = new FakeEntity([]);
    const reported: Error[] = [];
    hardenEntity(entity as unknown as RawEntity, (e) => void reported.push(e));
    entity.parser = null;
    assert.doesNotThrow(() => entity._onData());
    entity.parser = {
      write: () => {
        throw new Error("boom");
      },
    };
    assert.doesNotThrow(() => entity._onData());
    assert.deepEqual(
      reported.map((e) => e.message),
      ["boom"],
    );
  });

  it("sets TCP_NODELAY on each new socket", async () => {
    const entity = new FakeEntity(["hang"]);
    hardenEntity(entity as unknown as RawEntity, () => undefined);
    await entity.connect();
    assert.equal(entity.socket?.noDelay, true);
  });

  it("sets TCP_NODELAY on the TLS socket inside @xmpp/tls's wrapper (xmpps://)", () => {
    const entity = new FakeEntity([]);
    hardenEntity(entity as unknown as RawEntity, () => undefined);
    const tlsSocket = new Writable({ write: (_chunk, _encoding, done) => done() });
    let noDelay: boolean | undefined;
    Object.assign(tlsSocket, { setNoDelay: (on: boolean) => void (noDelay = on) });
    // The wrapper's shape: an emitter holding the TLS socket, with neither cork nor setNoDelay.
    (entity as unknown as { socket: unknown }).socket = Object.assign(new EventEmitter(), { socket: tlsSocket });
    entity.emit("connect");
    assert.equal(noDelay, true);
  });
});

describe("xmpp stream-management counter fix", () => {
  it("counts from <enabled/> and ignores xmpp.js's late reset", async () => {
    const { fixInboundCounter } = await import("../../src/xmpp/raw-entity.js");
    const { clientXml: xml } = await import("../../src/xmpp/connect.js");
    const entity = new FakeEntity([]) as FakeEntity & { streamManagement: { inbound: number } };
    entity.streamManagement = { inbound: 5 };
    fixInboundCounter(entity as unknown as RawEntity);
    entity.emit("nonza", xml("enabled", { xmlns: "urn:xmpp:sm:3", id: "x" }));
    entity.streamManagement.inbound += 1; // a stanza parsed in the same chunk
    entity.streamManagement.inbound = 0; // xmpp.js's enabled(), one microtask later
    assert.equal(entity.streamManagement.inbound, 1);
    entity.streamManagement.inbound = 0; // a later reset (offline) is honoured
    assert.equal(entity.streamManagement.inbound, 0);
  });
});

describe("a session's errors in the log (logSessionErrors)", () => {
  it("a failed connection is a warning with its reason, a peer's bad input a refusal, anything else an error", () => {
    const logs = new LogLines();
    const onError = logSessionErrors(logs.logger);
    onError(new XmppIoError("connection", "xmpp connection: read ECONNRESET", { cause: new Error("read ECONNRESET") }));
    onError(new XmppBadInputError("mallory@example.org/x", "a stanza nested 500 deep"));
    onError(new XmppIoError("timeout", "no reply within 15000 ms"));
    assert.deepEqual(
      logs.lines.map((l) => [l["level"], l["msg"]]),
      [
        ["warn", "xmpp connection failed"],
        ["warn", "bad input from a peer, refused"],
        ["error", "xmpp"],
      ],
    );
    // A drop is no crash: its reason, without a stack (the disconnect line that follows says what comes next).
    assert.equal(logs.lines[0]!["reason"], "xmpp connection: read ECONNRESET");
    assert.equal(logs.lines[0]!["err"], undefined);
  });
});
