// The bot's WAL checkpointed from a thread of its own: it runs, it bounds the WAL, it stops cleanly.
import assert from "node:assert/strict";
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { openDatabase, WAL_BOUND_FACTOR, WAL_CHECKPOINT_BYTES, walFrames } from "../../src/store/database.js";
import { Store } from "../../src/store/store.js";
import { WalCheckpointer } from "../../src/store/wal-checkpointer.js";
import { waitFor } from "../helpers/wait-for.js";

// About `bytes` of WAL: bot-state rows of 16 KiB, each a different value, one commit each.
function writeAbout(store: Store, bytes: number): void {
  const rowBytes = 16 * 1024;
  for (let i = 0; i * rowBytes < bytes; i++)
    store.transaction(() => store.policy.setBotState(`filler-${i % 8}`, `${i} ${"x".repeat(rowBytes)}`));
}

// The WAL header's checkpoint sequence number: SQLite adds one each time the WAL starts over.
function walRestarts(walPath: string): number {
  const header = Buffer.alloc(16);
  const fd = openSync(walPath, "r");
  try {
    return readSync(fd, header, 0, 16, 0) === 16 ? header.readUInt32BE(12) : 0;
  } finally {
    closeSync(fd);
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
      await waitFor("a checkpoint from the thread", () => store.backgroundCheckpoints >= 1);
      assert.deepEqual(errors, []);
    } finally {
      store.close();
    }
  });

  it("lets the WAL start over under steady writes, so the writing connection's bound is never reached", async () => {
    const path = join(dir, "bot.sqlite");
    const store = Store.open(path, { checkpointInBackground: { onError: assert.fail } });
    const bound = WAL_CHECKPOINT_BYTES * WAL_BOUND_FACTOR;
    try {
      // Three times the bound, in bursts with short gaps, as a busy bot writes.
      let largest = 0;
      for (let written = 0; written < 3 * bound; written += WAL_CHECKPOINT_BYTES / 8) {
        writeAbout(store, WAL_CHECKPOINT_BYTES / 8);
        largest = Math.max(largest, statSync(`${path}-wal`).size);
        await sleep(20);
      }
      assert.ok(store.backgroundCheckpoints >= 2, `${store.backgroundCheckpoints} checkpoints from the thread`);
      // A WAL that only the bound started over grows to it (and the writer then copied the rest).
      assert.ok(largest < bound * 0.75, `the WAL grew to ${(largest / 1048576).toFixed(1)} MiB`);
    } finally {
      store.close();
    }
  });

  it("finishes a pass that was cut short at its next poll, though what is left is under the threshold", async () => {
    const path = join(dir, "bot.sqlite");
    const store = Store.open(path, { checkpointInBackground: { onError: assert.fail } });
    const reader = openDatabase(path);
    try {
      writeAbout(store, WAL_CHECKPOINT_BYTES * 0.6);
      // A reader's snapshot stops a pass at its frame, as the bot's writes during one do.
      reader.exec("BEGIN");
      reader.prepare("SELECT count(*) FROM bot_state").get();
      writeAbout(store, WAL_CHECKPOINT_BYTES * 0.6);
      await waitFor("a pass from the thread", () => store.backgroundCheckpoints >= 1);
      const restarts = walRestarts(`${path}-wal`);
      reader.exec("COMMIT");
      const cutShort = store.backgroundCheckpoints;
      await waitFor("the rest copied by the thread", () => store.backgroundCheckpoints > cutShort, 10_000);
      writeAbout(store, 16 * 1024);
      assert.equal(walRestarts(`${path}-wal`), restarts + 1, "the next write starts the WAL over");
    } finally {
      reader.close();
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
    await waitFor("the thread's error", () => errors.length > 0);
    assert.match(errors[0]!, /unable to open|does not exist|no such file/i);
    checkpointer.stop();
    checkpointer.stop();
  });
});
