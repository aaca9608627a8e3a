import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { Store } from "../../src/store/store.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { RecordingChat, chatOnly, fakeClockCore } from "../helpers/fake-clock-core.js";
import { dumpTables } from "../helpers/db-dump.js";
import { testConfig } from "../helpers/test-config.js";

const config = testConfig(
  `people:
  - { name: alice, jid: alice@mauve.localhost }
  - { name: bob, jid: bob@mauve.localhost }
`,
);
const origin = pubsubOrigin();

describe("store: replica journal (failover's log, store side)", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "mauve-replica-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** An active's file capturing for the log, with alert `a` of web1 applied; `before` runs ahead of the capture. */
  async function activeWithOneUpdate(before?: (store: Store) => void) {
    const s = Store.open(join(dir, "x.sqlite"), { replicated: true });
    before?.(s);
    s.replica!.startCapture(() => undefined);
    const core = fakeClockCore({ store: s, clock: new FakeClock(), policy: config, channels: new Map() });
    await core.applyUpdate(update("web1", [alert("a")]), origin);
    await core.idle();
    return { s, core };
  }

  it("a standby that applies the active's batches in order holds the same rows; rolled-back writes never reach it", async () => {
    const clock = new FakeClock();
    const active = Store.open(join(dir, "active.sqlite"), { replicated: true });
    const standby = Store.open(join(dir, "standby.sqlite"), { replicated: true });
    let commits = 0;
    active.replica!.startCapture(() => commits++);
    const chat = new RecordingChat();
    const core = fakeClockCore({
      store: active,
      clock,
      policy: config,
      channels: chatOnly(chat),
    });
    await core.start();
    for (let i = 0; i < 20; i++) await core.applyUpdate(update("web1", [alert(`disk${i % 5}`)]), origin);
    await core.idle();
    await core.handleChat("alice@mauve.localhost/phone", "ack 2 rebooting");
    await core.handleChat("bob@mauve.localhost/phone", "silence web1 disk3 for 1h");
    await core.idle();
    assert.throws(() =>
      active.transaction(() => {
        active.policy.setPresenceApproved("alice@mauve.localhost", true, clock.now());
        throw new Error("rolled back");
      }),
    );
    assert.ok(commits > 0);
    core.stop();

    let seq = standby.replica!.seq;
    for (let batch = active.replica!.take(7); batch; batch = active.replica!.take(7)) {
      assert.equal(batch.seq, seq + 1);
      assert.equal(standby.replica!.apply(batch.seq, batch.data), "applied");
      assert.equal(standby.replica!.apply(batch.seq, batch.data), "duplicate", "a batch is never applied twice");
      active.replica!.published(batch.seq);
      seq = batch.seq;
    }
    assert.equal(standby.replica!.apply(seq + 2, "x"), "gap");
    assert.equal(active.replica!.clean, false, "an active's file may hold writes the log has not got");
    active.replica!.stopCapture();
    assert.equal(active.replica!.clean, true, "once everything reached the log it is clean again");
    active.close();
    standby.close();
    const a = dumpTables(join(dir, "active.sqlite"));
    const b = dumpTables(join(dir, "standby.sqlite"));
    assert.ok((a["alerts"] ?? []).length >= 5);
    assert.deepEqual(b, a);
  });

  it("a batch taken for the log and never published leaves the file unclean when capture stops", async () => {
    const { s, core } = await activeWithOneUpdate();
    core.stop();
    const batch = s.replica!.take(1000)!; // on its way to the server when the process is told to stop
    assert.equal(s.replica!.backlog, 0);
    s.replica!.stopCapture();
    assert.equal(s.replica!.clean, false, "its writes are in this file, maybe never in the log");
    s.replica!.published(batch.seq);
    assert.equal(s.replica!.clean, true, "once the log has it, the file is clean");
    s.close();
  });

  it("a write after capture stopped (the active still applying while it stops) leaves the file unclean", async () => {
    const { s, core } = await activeWithOneUpdate();
    const batch = s.replica!.take(1000)!;
    s.replica!.published(batch.seq);
    s.replica!.stopCapture();
    assert.equal(s.replica!.clean, true, "everything it wrote is in the log");
    await core.applyUpdate(update("web1", [alert("b")]), origin);
    await core.idle();
    core.stop();
    assert.equal(s.replica!.backlog, 0, "not captured: the log never gets it");
    assert.equal(s.replica!.clean, false, "so the file is no longer a copy of the log");
    s.close();
  });

  it("a wiped file starts from the log's first batch with the same alert numbers", async () => {
    const { s, core } = await activeWithOneUpdate();
    core.stop();
    const batch = s.replica!.take(1000)!;
    s.replica!.wipe();
    assert.equal(s.replica!.seq, 0);
    assert.equal(s.alerts.get(1), undefined);
    assert.equal(s.replica!.apply(1, batch.data), "applied");
    assert.equal(s.alerts.get(1)?.alertId, "a");
    s.close();
  });

  it("a new line of the log after the newest batch leaves a hole every follower sees as a gap", async () => {
    const follower = Store.open(join(dir, "y.sqlite"), { replicated: true });
    const { s, core } = await activeWithOneUpdate((store) => store.replica!.skipPast(7));
    core.stop();
    const batch = s.replica!.take(1000)!;
    assert.equal(batch.seq, 9, "batch 8 is never published");
    assert.equal(follower.replica!.apply(batch.seq, batch.data), "gap");
    s.close();
    follower.close();
  });
});
