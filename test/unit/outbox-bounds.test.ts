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

class RecordingPort implements PublishPort {
  published: AlertUpdate[] = [];
  async publish(payload: { data: string; text: string }): Promise<PublishResult> {
    this.published.push(unwrapPayload(payload));
    return { ok: true };
  }
}

describe("agent outbox: bounds, saved state and periodic full state", () => {
  let dir: string;
  let clock: FakeClock;
  const log = createLogger({ level: "error" });
  const open = () => new Outbox(join(dir, "outbox.sqlite"));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mauve-outbox-"));
    clock = new FakeClock();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("collapses a full outbox into one full state (replace) built from the current state, and counts what it dropped", async () => {
    const outbox = open();
    const core = new AgentCore({ clock, log, outbox, source: "web1", heartbeatMs: 60_000, maxEntries: 10 });
    for (let i = 0; i < 10; i++) core.change([{ id: `a${i}`, state: "raised", summary: `alert ${i}` }]);
    assert.equal(core.backlog(), 10);
    core.change([{ id: "a0", state: "cleared" }]);
    assert.equal(core.backlog(), 1);
    assert.equal(core.collapsed(), 10);
    const port = new RecordingPort();
    core.setPort(port);
    await core.pump();
    const [full] = port.published;
    assert.equal(port.published.length, 1);
    assert.equal(full?.replace, true);
    assert.equal(full?.sequence, BigInt(clock.now()) + 9n, "the sequence never goes back");
    const byId = new Map(full?.alerts.map((a) => [a.id, a]));
    assert.ok(byId.get("a0")?.clearTimeS && !byId.get("a0")?.raiseTimeS, "the latest change is in it");
    assert.equal(byId.get("a9")?.summary, "alert 9");
    assert.ok(byId.has("heartbeat"));
    outbox.close();
    const reopened = open();
    assert.equal(reopened.collapsedTotal(), 10, "the count survives a restart");
    reopened.close();
  });

  it("keeps collapsing under a long outage: the backlog never exceeds the bound, the last state always goes out", async () => {
    const outbox = open();
    const core = new AgentCore({ clock, log, outbox, source: "web1", heartbeatMs: null, maxEntries: 10 });
    for (let i = 0; i < 1_000; i++) {
      core.change([{ id: "flap", state: i % 2 === 0 ? "raised" : "cleared", summary: `step ${i}` }]);
      assert.ok(core.backlog() <= 10);
    }
    const port = new RecordingPort();
    core.setPort(port);
    await core.pump();
    const last = port.published.at(-1)!;
    assert.equal(last.alerts.find((a) => a.id === "flap")?.summary, "step 999");
    const sequences = port.published.map((u) => u.sequence);
    assert.deepEqual(
      sequences,
      [...sequences].sort((a, b) => (a < b ? -1 : 1)),
      "still in order",
    );
    outbox.close();
  });

  it("saves the alert state beside the outbox, so a restarted agent starts from it", () => {
    let outbox = open();
    const core = new AgentCore({ clock, log, outbox, source: "web1", heartbeatMs: null });
    core.load([{ id: "static", state: "raised" }]);
    core.change([{ id: "disk", state: "raised", summary: "full", importance: 80 }]);
    core.change([{ id: "static", state: "cleared" }]);
    outbox.close();
    outbox = open();
    const again = new AgentCore({ clock, log, outbox, source: "web1", heartbeatMs: null });
    assert.deepEqual(
      again.current().sort((a, b) => a.id.localeCompare(b.id)),
      [
        { id: "disk", state: "raised", summary: "full", importance: 80 },
        { id: "static", state: "cleared" },
      ],
    );
    again.load([{ id: "disk", state: "raised" }]);
    outbox.close();
    outbox = open();
    assert.deepEqual(
      new AgentCore({ clock, log, outbox, source: "web1", heartbeatMs: null }).current(),
      [{ id: "disk", state: "raised" }],
      "load replaces the whole state",
    );
    outbox.close();
  });

  it("republishes the full state every full_state_every", async () => {
    const outbox = open();
    const core = new AgentCore({ clock, log, outbox, source: "web1", heartbeatMs: null, fullStateEveryMs: 3_600_000 });
    core.load([{ id: "disk", state: "raised" }]);
    core.start();
    const port = new RecordingPort();
    core.setPort(port);
    clock.advance(3 * 3_600_000);
    await core.pump();
    assert.deepEqual(
      port.published.map((u) => [u.replace, u.alerts.map((a) => a.id)]),
      [
        [true, ["disk"]],
        [true, ["disk"]],
        [true, ["disk"]],
      ],
    );
    core.stop();
    outbox.close();
  });
});
