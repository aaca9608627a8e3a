// Checkpointing the bot's WAL from a thread of its own, so that the bot's thread never waits for it.
import { createRequire } from "node:module";
import { endianness } from "node:os";
import { Worker } from "node:worker_threads";

/**
 * How long `stop` waits for the thread to close its connection: a checkpoint under way finishes
 * first, and one of a full WAL on a slow disk takes a fraction of a second.
 */
const STOP_WAIT_MS = 10_000;
/** How often the thread looks at how much of the WAL is not yet in the file. */
const POLL_MS = 100;
/** Checkpoints in a row at most, the first of the WAL past the threshold, the rest of what came meanwhile. */
const PASSES = 4;

// Slots of the buffer the two threads share.
const STOP = 0; // set by `stop`
const STOPPED = 1; // set by the thread once its connection is closed (or it never opened one)
const DONE = 2; // checkpoints the thread has run

/**
 * The thread, as CommonJS run from a string: the same whether the bot runs compiled or from its
 * TypeScript. It reads how many WAL frames are not yet copied into the file from the WAL index
 * (the -shm file: mxFrame at byte 16 and nBackfill at byte 96, in the machine's byte order; see
 * sqlite.org/walformat.html), which costs a read of 100 bytes and no lock, and checkpoints PASSIVE
 * once they pass the threshold: PASSIVE never waits for the bot's writes, nor makes them wait.
 */
const THREAD = `
const { workerData, parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const { driver, path, thresholdFrames, pollMs, shared, bigEndian } = workerData;
const flags = new Int32Array(shared);
let db = null;
let shm = null;
const index = Buffer.alloc(100);
function messageOf(err) {
  return String(err && err.message ? err.message : err);
}
// Opened once, never closed (see the end).
// Frames not yet copied, and how many were: a WAL partly copied starts over only once the rest is.
function pending() {
  try {
    if (shm === null) shm = fs.openSync(path + "-shm", "r");
    if (fs.readSync(shm, index, 0, 100, 0) < 100) return { left: 0, copied: 0 };
  } catch {
    return { left: 0, copied: 0 };
  }
  const mxFrame = bigEndian ? index.readUInt32BE(16) : index.readUInt32LE(16);
  const backfilled = bigEndian ? index.readUInt32BE(96) : index.readUInt32LE(96);
  return { left: mxFrame - backfilled, copied: backfilled };
}
try {
  const Database = require(driver);
  db = new Database(path, { fileMustExist: true });
  let lastError = "";
  while (Atomics.load(flags, ${STOP}) === 0) {
    // Frames committed during a checkpoint are left for the next pass, and the WAL starts over
    // only at a write that finds every frame copied: a few passes of what came meanwhile get
    // there whenever the bot's writes leave a gap. Without them the WAL grew to the writer's own
    // bound, and the writer's thread checkpointed the rest.
    for (let passes = 0; passes < ${PASSES}; passes++) {
      // A pass cut short by the bot's writes is finished at the next poll whatever is left: the
      // WAL cannot start over until it is, and would grow towards the writer's bound meanwhile.
      const { left, copied } = pending();
      if (left === 0 || (passes === 0 && left < thresholdFrames && copied === 0)) break;
      try {
        db.pragma("wal_checkpoint(PASSIVE)");
        Atomics.add(flags, ${DONE}, 1);
        lastError = "";
      } catch (err) {
        // Said once per kind of failure, not every poll while the disk stays full.
        const message = messageOf(err);
        if (message !== lastError) parentPort.postMessage({ error: message });
        lastError = message;
        break;
      }
    }
    Atomics.wait(flags, ${STOP}, 0, pollMs);
  }
} catch (err) {
  parentPort.postMessage({ error: messageOf(err) });
} finally {
  // The -shm descriptor stays open for the life of the process, on purpose: closing any
  // descriptor of a file drops every POSIX lock the process holds on it, the bot's connection's
  // locks on the WAL index included (sqlite.org/howtocorrupt.html, 2.2). One per store opened.
  try {
    if (db !== null) db.close();
  } finally {
    Atomics.store(flags, ${STOPPED}, 1);
    Atomics.notify(flags, ${STOPPED});
  }
}
`;

/** What a background checkpointer needs. */
export interface CheckpointerOptions {
  /** WAL frames not yet in the file that make the thread checkpoint. */
  readonly thresholdFrames: number;
  /** Told when the thread cannot open the file or a checkpoint fails (once per kind of failure). */
  readonly onError: (message: string) => void;
}

/**
 * Copies the WAL of the database at `path` back into the file from a worker thread. SQLite's own
 * automatic checkpoint runs inside the commit that crosses its threshold, on the thread that
 * commits: the bot's, which then waited for the copy and its fsync while a notice or a command
 * reply stood behind it (docs/performance.md). The connection that writes keeps a higher automatic
 * threshold as a bound, should this thread stop or fall behind.
 */
export class WalCheckpointer {
  private readonly flags: Int32Array;
  private readonly worker: Worker;
  private stopped = false;

  constructor(path: string, options: CheckpointerOptions) {
    const shared = new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);
    this.flags = new Int32Array(shared);
    this.worker = new Worker(THREAD, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve("better-sqlite3"),
        path,
        thresholdFrames: options.thresholdFrames,
        pollMs: POLL_MS,
        shared,
        bigEndian: endianness() === "BE",
      },
    });
    this.worker.on("message", (message: { error?: string }) => {
      if (message.error !== undefined) options.onError(message.error);
    });
    this.worker.on("error", (err) => options.onError(err.message));
    // It never keeps the process alive: a bot that exits without closing its store loses nothing
    // (the WAL is the durable copy; the next open checkpoints it).
    this.worker.unref();
  }

  /** How many checkpoints the thread has run. */
  get checkpoints(): number {
    return Atomics.load(this.flags, DONE);
  }

  /**
   * Stops the thread and waits (synchronously, as closing a store is) until its connection is
   * closed, so that the store's own close is the last one and checkpoints what is left.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.flags, STOP, 1);
    Atomics.notify(this.flags, STOP);
    Atomics.wait(this.flags, STOPPED, 0, STOP_WAIT_MS);
    void this.worker.terminate();
  }
}
