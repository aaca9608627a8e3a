import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentCore, type PublishPort, type PublishResult } from "../../src/agent/agent-core.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { unwrapPayload } from "../../src/codec/payload.js";
import type { AlertUpdate } from "../../src/codec/types.js";
import { createLogger } from "../../src/log.js";
import { Outbox } from "../../src/store/outbox.js";
import { LogLines } from "../helpers/spine.js";

// The fake clock's start, in milliseconds: an outbox's sequences follow the clock after its first.
const T0 = BigInt(Date.UTC(2026, 0, 5, 9, 0, 0));

class FlakyPort implements PublishPort {
  published: AlertUpdate[] = [];
  failNext: PublishResult[] = [];
  async publish(payload: { data: string; text: string }): Promise<PublishResult> {
    const failure = this.failNext.shift();
    if (failure) return failure;
    this.published.push(unwrapPayload(payload));
    return { ok: true };
  }
}

describe("AgentCore with a durable outbox", () => {
  let dir: string;
  let clock: FakeClock;
  const log = createLogger({ level: "error" });
  const make = (outbox: Outbox, heartbeatMs: number | null = null) =>
    new AgentCore({ clock, log, outbox, source: "web1", heartbeatMs });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mauve-agent-"));
    clock = new FakeClock();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("queues while offline and publishes in order once connected", async () => {
    const outbox = new Outbox(join(dir, "outbox.sqlite"));
    const core = make(outbox);
    core.change([{ id: "a", state: "raised", summary: "one" }]);
    core.change([
      { id: "a", state: "cleared" },
      { id: "b", state: "raised" },
    ]);
    assert.equal(core.backlog(), 2);
    const port = new FlakyPort();
    core.setPort(port);
    await core.pump();
    assert.deepEqual(
      port.published.map((u) => u.sequence),
      [1n, T0],
      "1 first, then the clock's milliseconds",
    );
    assert.deepEqual(
      port.published[1]?.alerts.map((a) => a.id),
      ["a", "b"],
      "one moment, one update",
    );
    assert.equal(core.backlog(), 0);
    outbox.close();
  });

  it("keeps the queue across an agent restart and never reuses a sequence", async () => {
    let outbox = new Outbox(join(dir, "outbox.sqlite"));
    make(outbox).change([{ id: "a", state: "raised" }]);
    outbox.close();
    outbox = new Outbox(join(dir, "outbox.sqlite"));
    const core = make(outbox);
    core.change([{ id: "b", state: "raised" }]);
    const port = new FlakyPort();
    core.setPort(port);
    await core.pump();
    assert.deepEqual(
      port.published.map((u) => [u.sequence, u.alerts[0]?.id]),
      [
        [1n, "a"],
        [T0, "b"],
      ],
    );
    core.change([{ id: "c", state: "raised" }]);
    await core.pump();
    assert.equal(port.published.at(-1)?.sequence, T0 + 1n, "past the last in the same millisecond");
    outbox.close();
  });

  it("retries a failed publish later, keeping order", async () => {
    const outbox = new Outbox(join(dir, "outbox.sqlite"));
    const core = make(outbox);
    const port = new FlakyPort();
    port.failNext.push({ ok: false, condition: "remote-server-timeout" });
    core.setPort(port);
    core.change([{ id: "a", state: "raised" }]);
    core.change([{ id: "b", state: "raised" }]);
    await core.pump();
    assert.equal(port.published.length, 0);
    assert.equal(core.backlog(), 2);
    clock.advance(5_000);
    await core.pump();
    assert.deepEqual(
      port.published.map((u) => u.alerts[0]?.id),
      ["a", "b"],
    );
    outbox.close();
  });

  it("says once that publishes fail, not at every retry, until one goes through", async () => {
    const outbox = new Outbox(join(dir, "outbox.sqlite"));
    const logs = new LogLines();
    const core = new AgentCore({ clock, log: logs.logger, outbox, source: "web1", heartbeatMs: null });
    const port = new FlakyPort();
    for (let i = 0; i < 5; i++) port.failNext.push({ ok: false, condition: "resource-constraint" });
    core.setPort(port);
    core.change([{ id: "a", state: "raised" }]);
    await core.pump();
    for (let i = 0; i < 5; i++) {
      clock.advance(5_000);
      await core.pump();
    }
    assert.equal(port.published.length, 1, "through at the sixth try");
    const said = (level: string) => logs.lines.filter((l) => l["level"] === level).map((l) => l["msg"]);
    assert.deepEqual(said("warn"), ["publish failed; will retry"], "one warning for five failures");
    assert.equal(said("debug").filter((m) => m === "publish failed; will retry").length, 4);
    assert.deepEqual(said("info"), ["publishing again"]);
    port.failNext.push({ ok: false, condition: "resource-constraint" });
    core.change([{ id: "b", state: "raised" }]);
    await core.pump();
    assert.equal(said("warn").length, 2, "a new run of failures is said again");
    // A refusal that goes on is said again every 10 minutes, with how long it has lasted.
    // (A retry can come twice in a step, from its timer and from the test: enough failures for both.)
    for (let i = 0; i < 300; i++) port.failNext.push({ ok: false, condition: "resource-constraint" });
    core.change([{ id: "c", state: "raised" }]);
    await core.pump();
    for (let i = 0; i < 130; i++) {
      clock.advance(5_000);
      await core.pump();
    }
    const warnings = logs.lines.filter((l) => l["level"] === "warn");
    assert.equal(warnings.length, 4, "the third run's first failure, then 10 minutes on");
    assert.equal(warnings[3]!["failingForMs"], 600_000);
    outbox.close();
  });

  it("a publish cut short by a stop is kept for the next start, with no warning and no retry", async () => {
    const outbox = new Outbox(join(dir, "outbox.sqlite"));
    const logs = new LogLines();
    const core = new AgentCore({ clock, log: logs.logger, outbox, source: "web1", heartbeatMs: null });
    let answer: ((r: PublishResult) => void) | undefined;
    core.setPort({ publish: () => new Promise<PublishResult>((resolve) => (answer = resolve)) });
    core.change([{ id: "a", state: "raised" }]);
    for (let i = 0; i < 10 && !answer; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(answer, "on its way");
    core.stop();
    answer({ ok: false, condition: "internal", text: "the XMPP session was stopped" });
    await core.pump();
    assert.deepEqual(
      logs.lines.filter((l) => l["level"] !== "debug" && l["level"] !== "info").map((l) => l["msg"]),
      [],
    );
    assert.equal(core.backlog(), 1, "still in the outbox");
    assert.equal(clock.pendingTimers(), 0, "no retry after the stop");
    outbox.close();
  });

  it("sends its full state with replace and a Mauve-style heartbeat", async () => {
    const outbox = new Outbox(join(dir, "outbox.sqlite"));
    const core = make(outbox, 60_000);
    core.load([{ id: "disk", state: "raised", summary: "full" }]);
    core.queueFullState();
    const port = new FlakyPort();
    core.setPort(port);
    await core.pump();
    const [full] = port.published;
    assert.equal(full?.replace, true);
    const hb = full?.alerts.find((a) => a.id === "heartbeat");
    const now = Math.floor(clock.now() / 1000);
    assert.deepEqual([hb?.clearTimeS, hb?.raiseTimeS], [now, now + 180]);
    core.start();
    clock.advance(60_000);
    await core.pump();
    assert.equal(port.published.length, 2);
    assert.equal(port.published[1]?.alerts[0]?.id, "heartbeat");
    core.stop();
    outbox.close();
  });

  it("keeps a raised alert's newer text for the full state without queuing it, and across a restart", async () => {
    const outbox = new Outbox(join(dir, "outbox.sqlite"));
    const core = make(outbox);
    core.change([{ id: "disk", state: "raised", summary: "DISK CRITICAL - 91% used" }]);
    core.refresh([
      { id: "disk", state: "raised", summary: "DISK CRITICAL - 99% used" },
      { id: "unknown", state: "raised", summary: "not held: not added" },
    ]);
    core.refresh([{ id: "disk", state: "cleared", summary: "another state: a change's business" }]);
    assert.equal(core.backlog(), 1, "no update queued for the text");
    outbox.close();
    const reopened = new Outbox(join(dir, "outbox.sqlite"));
    const again = make(reopened);
    again.queueFullState();
    const port = new FlakyPort();
    again.setPort(port);
    await again.pump();
    assert.deepEqual(
      port.published.at(-1)?.alerts.map((a) => [a.id, a.summary]),
      [["disk", "DISK CRITICAL - 99% used"]],
    );
    reopened.close();
  });
});
