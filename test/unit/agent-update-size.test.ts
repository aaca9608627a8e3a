// No input makes the agent build an update over Mauve's 64 KiB: a batch of changes is split, each
// alert's detail is bounded, and a full state too big for one update still replaces the whole state.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentCore, type PublishPort } from "../../src/agent/agent-core.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import type { AgentAlert } from "../../src/codec/build-update.js";
import { payloadBytes, unwrapPayload } from "../../src/codec/payload.js";
import { MAX_UPDATE_BYTES, type AlertUpdate } from "../../src/codec/types.js";
import { createLogger } from "../../src/log.js";
import { Outbox } from "../../src/store/outbox.js";

class Port implements PublishPort {
  published: AlertUpdate[] = [];
  sizes: number[] = [];
  async publish(payload: { data: string; text: string }): Promise<{ ok: true }> {
    this.sizes.push(payloadBytes(payload).length);
    this.published.push(unwrapPayload(payload));
    return { ok: true };
  }
}

describe("agent: updates within 64 KiB", () => {
  let dir: string;
  let clock: FakeClock;
  const log = createLogger({ level: "error" });
  const make = (outbox: Outbox, maxEntries?: number): AgentCore =>
    new AgentCore({ clock, log, outbox, source: "web1", heartbeatMs: 300_000, ...(maxEntries ? { maxEntries } : {}) });
  const big = (id: string, chars = 15_000): AgentAlert => ({
    id,
    state: "raised",
    summary: "CRITICAL",
    detail: `<pre>${"x".repeat(chars)}</pre>`,
  });
  const drain = async (core: AgentCore): Promise<Port> => {
    const port = new Port();
    core.setPort(port);
    await core.pump();
    return port;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mauve-agent-size-"));
    clock = new FakeClock();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("splits a change over 64 KiB into several updates, every alert in them", async () => {
    const outbox = new Outbox(join(dir, "outbox.sqlite"));
    const core = make(outbox);
    const alerts = ["a", "b", "c", "d", "e"].map((id) => big(id, 18_000));
    core.change(alerts);
    const port = await drain(core);
    assert.ok(port.published.length > 1);
    assert.ok(port.sizes.every((n) => n <= MAX_UPDATE_BYTES));
    assert.ok(port.published.every((u) => !u.replace));
    assert.deepEqual(
      port.published.flatMap((u) => u.alerts.map((a) => a.id)),
      ["a", "b", "c", "d", "e"],
    );
    outbox.close();
  });

  it("queues a full state that passes 64 KiB as its texts, then one replace listing every alert", async () => {
    const outbox = new Outbox(join(dir, "outbox.sqlite"));
    const core = make(outbox);
    for (const id of ["a", "b", "c", "d", "e"]) core.change([big(id)]);
    core.change([{ id: "gone", state: "cleared", summary: "OK" }]);
    core.queueFullState();
    const port = await drain(core);
    assert.ok(port.sizes.every((n) => n <= MAX_UPDATE_BYTES));
    const last = port.published.at(-1)!;
    assert.equal(last.replace, true);
    assert.deepEqual(last.alerts.map((a) => a.id).sort(), ["a", "b", "c", "d", "e", "gone", "heartbeat"]);
    assert.equal(port.published.filter((u) => u.replace).length, 1, "a replace cannot be split");
    outbox.close();
  });

  it("collapses a full outbox into a full state that fits, however big the state", async () => {
    const outbox = new Outbox(join(dir, "outbox.sqlite"));
    const core = make(outbox, 10);
    // The eleventh change finds ten queued: the queue becomes the full state with all eleven.
    for (let i = 0; i < 11; i++) core.change([big(`c${i}`)]);
    assert.equal(core.collapsed(), 10);
    const port = await drain(core);
    assert.ok(port.sizes.every((n) => n <= MAX_UPDATE_BYTES));
    const replace = port.published.filter((u) => u.replace);
    assert.equal(replace.length, 1);
    assert.equal(replace[0]!.alerts.length, 12, "eleven checks and the heartbeat");
    assert.equal(port.published.at(-1), replace[0]);
    outbox.close();
  });

  it("bounds one alert's detail whatever its source (a static alert of 65,535 characters to escape)", async () => {
    const outbox = new Outbox(join(dir, "outbox.sqlite"));
    const core = make(outbox);
    core.load([{ id: "motd", state: "raised", detail: `<pre>${"&amp;<b>é</b>".repeat(6_000)}</pre>` }]);
    core.queueFullState();
    core.change([{ id: "motd", state: "raised", detail: "&lt;".repeat(20_000) }]);
    const port = await drain(core);
    assert.equal(port.published.length, 2);
    assert.ok(port.sizes.every((n) => n <= MAX_UPDATE_BYTES));
    outbox.close();
  });

  it("leaves the state in memory as it was when the change cannot be written", () => {
    const outbox = new Outbox(join(dir, "outbox.sqlite"));
    const core = make(outbox);
    core.change([{ id: "a", state: "cleared" }]);
    outbox.saveState = () => {
      throw new Error("boom");
    };
    assert.throws(() => core.change([{ id: "a", state: "raised" }]), /boom/);
    assert.deepEqual(core.current(), [{ id: "a", state: "cleared" }]);
    outbox.close();
  });
});
