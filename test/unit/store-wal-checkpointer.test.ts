// The bot's WAL checkpointed from a thread of its own: it runs, it bounds the WAL, it stops cleanly.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { openDatabase, WAL_BOUND_FACTOR, WAL_CHECKPOINT_BYTES, walFrames } from "../../src/store/database.js";
import { Store } from "../../src/store/store.js";
import { WalCheckpointer } from "../../src/store/wal-checkpointer.js";

// About `bytes` of WAL: bot-state rows of 16 KiB, each a different value, one commit each.
function writeAbout(store: Store, bytes: number): void {
  const rowBytes = 16 * 1024;
  for (let i = 0; i * rowBytes < bytes; i++)
    store.transaction(() => store.policy.setBotState(`filler-${i % 8}`, `${i} ${"x".repeat(rowBytes)}`));
}

// Polls until `done` (a thread's work has no event to wait on); the bound only ends a broken run.
async function until(done: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !done(); waited += 20) {
    if (waited > 15_000) assert.fail(`gave up waiting: ${what}`);
    await sleep(20);
  }
}

describe("store WAL checkpointer", function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mauve-ckpt-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("checkpoints from its thread once the WAL passes the threshold, not before", async () => {
    const errors: string[] = [];
    const store = Store.open(join(dir, "bot.sqlite"), { checkpointInBackground: { onError: (m) => errors.push(m) } });
    try {
      writeAbout(store, WAL_CHECKPOINT_BYTES / 2);
      await sleep(300);
      assert.equal(store.backgroundCheckpoints, 0, "half the threshold: nothing to do yet");
      writeAbout(store, WAL_CHECKPOINT_BYTES);
      await until(() => store.backgroundCheckpoints >= 1, "a checkpoint from the thread");
      assert.deepEqual(errors, []);
    } finally {
      store.close();
    }
  });

  it("leaves the writing connection a higher threshold only as a bound", () => {
    const inline = openDatabase(join(dir, "a.sqlite"));
    const elsewhere = openDatabase(join(dir, "b.sqlite"), undefined, { checkpointElsewhere: true });
    try {
      assert.equal(inline.pragma("wal_autocheckpoint", { simple: true }), walFrames(inline, WAL_CHECKPOINT_BYTES));
      assert.equal(
        elsewhere.pragma("wal_autocheckpoint", { simple: true }),
        walFrames(elsewhere, WAL_CHECKPOINT_BYTES * WAL_BOUND_FACTOR),
      );
    } finally {
      inline.close();
      elsewhere.close();
    }
  });

  it("closes its connection before the store's, so the last close checkpoints and removes the WAL", async () => {
    const path = join(dir, "bot.sqlite");
    const store = Store.open(path, { checkpointInBackground: { onError: assert.fail } });
    writeAbout(store, 64 * 1024);
    await sleep(250); // the thread has opened its connection and polled
    assert.ok(existsSync(`${path}-wal`));
    store.close();
    assert.equal(existsSync(`${path}-wal`), false, "a connection left open keeps the WAL");
    const again = Store.open(path);
    try {
      assert.equal(again.policy.botState("filler-3")?.startsWith("3 "), true, "what was written is in the file");
    } finally {
      again.close();
    }
  });

  it("says why it cannot open the file, and stops at once", async () => {
    const errors: string[] = [];
    const checkpointer = new WalCheckpointer(join(dir, "missing.sqlite"), {
      thresholdFrames: 1,
      onError: (m) => errors.push(m),
    });
    await until(() => errors.length > 0, "the thread's error");
    assert.match(errors[0]!, /unable to open|does not exist|no such file/i);
    checkpointer.stop();
    checkpointer.stop();
  });
});
