// An agent's sequence after a restart: AlertBot refuses an update whose sequence is not past the
// last it took from the source, so a restarted agent must never resume below what it sent before,
// even when its outbox file is older than what it sent (restored from a backup, or lost) and its
// node's retained items say nothing (all mauvesend's, purged, or the node recreated).
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentCore, type PublishPort } from "../../src/agent/agent-core.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { unwrapPayload } from "../../src/codec/payload.js";
import { createLogger } from "../../src/log.js";
import { Outbox, nextSequence } from "../../src/store/outbox.js";

class RecordingPort implements PublishPort {
  sequences: bigint[] = [];
  async publish(payload: { data: string; text: string }): Promise<{ ok: true }> {
    this.sequences.push(unwrapPayload(payload).sequence);
    return { ok: true };
  }
}

describe("an agent's sequence across restarts", () => {
  let dir: string;
  let clock: FakeClock;
  const log = createLogger({ level: "error" });
  const file = (): string => join(dir, "outbox.sqlite");
  const run = async (changes: number): Promise<bigint[]> => {
    const outbox = new Outbox(file());
    const core = new AgentCore({ clock, log, outbox, source: "web1", heartbeatMs: null });
    const port = new RecordingPort();
    core.setPort(port);
    for (let i = 0; i < changes; i++) {
      core.change([{ id: "load", state: i % 2 ? "cleared" : "raised" }]);
      await core.pump();
      clock.advance(1_000);
    }
    core.stop();
    outbox.close();
    return port.sequences;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mauve-agent-seq-"));
    clock = new FakeClock();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("goes past what it sent since its outbox was backed up, when the backup is put back", async () => {
    await run(3);
    copyFileSync(file(), join(dir, "backup.sqlite"));
    const sent = await run(50);
    rmSync(file());
    copyFileSync(join(dir, "backup.sqlite"), file());
    clock.advance(60_000);
    const [next] = await run(1);
    assert.ok(next! > sent.at(-1)!, `${next} after ${sent.at(-1)}`);
  });

  it("goes past what it sent before its state directory was lost (only 1 first, which AlertBot takes as a fresh start)", async () => {
    const sent = await run(30);
    rmSync(file());
    clock.advance(60_000);
    const [first, second] = await run(2);
    assert.equal(first, 1n);
    assert.ok(second! > sent.at(-1)!, `${second} after ${sent.at(-1)}`);
  });

  it("never goes back while the clock does, nor after a restart with the clock behind", async () => {
    const before = await run(5);
    clock.set(clock.now() - 3_600_000);
    const after = await run(5);
    const all = [...before, ...after];
    assert.deepEqual(
      all,
      [...new Set(all)].sort((a, b) => (a < b ? -1 : 1)),
    );
  });

  it("drops what waits with a sequence not past the node's, keeping the rest in order", () => {
    const outbox = new Outbox(file());
    const build = (sequence: bigint) => ({ transmissionId: sequence, data: `d${sequence}`, text: "" });
    const sequences = [1, 2, 3].map(() => {
      clock.advance(1_000);
      return outbox.enqueue(build, clock.now()).sequence;
    });
    assert.equal(outbox.discardThrough(sequences[1]!), 2);
    assert.equal(outbox.size(), 1);
    assert.equal(outbox.peek()?.sequence, sequences[2]);
    outbox.close();
  });

  it("nextSequence: 1 first, then past both the last and the time", () => {
    assert.equal(nextSequence(0n, 1_700_000_000_000), 1n);
    assert.equal(nextSequence(1n, 1_700_000_000_000), 1_700_000_000_000n);
    assert.equal(nextSequence(1_700_000_000_000n, 1_700_000_000_000), 1_700_000_000_001n);
    assert.equal(nextSequence(1_800_000_000_000n, 1_700_000_000_000), 1_800_000_000_001n);
    assert.equal(nextSequence(5n, -1), 6n);
  });
});
