// Snapshots for a standby the replica log no longer reaches (docs/failover.md): the log keeps a
// bounded number of batches, so a rebuilt file (an active killed mid-write) or a standby down for
// long cannot catch up from it. The active copies its database (consistent with the log: the copy
// holds exactly batches 1 to seq) and serves it in chunks; the standby downloads it beside its own
// file, checks it, and follows the log from seq + 1.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, rmSync } from "node:fs";
import { open, rm, stat } from "node:fs/promises";
import type { Clock, TimerHandle } from "../clock/clock.js";
import type { Logger } from "../log.js";
import { Store } from "../store/store.js";
import type { HandlerFailure } from "../xmpp/errors.js";
import { SNAPSHOT_CHUNK_BYTES, type SnapshotClient, type SnapshotOffer } from "../xmpp/replica-snapshot.js";

/** How long an offered copy is kept after its last use. */
const KEEP_MS = 5 * 60_000;
// A copy overtaken by a write is dropped and taken again once the log has it.
const COPY_ATTEMPTS = 20;

/** The active's side: one copy at a time, beside its database, removed when unused or at stop. */
export class SnapshotSource {
  private current: (SnapshotOffer & { readonly path: string }) | null = null;
  private expiry: TimerHandle | null = null;
  private making: Promise<SnapshotOffer | HandlerFailure> | null = null;
  private stopped = false;

  constructor(
    private readonly deps: {
      readonly store: Store;
      /** The database file: copies go beside it. */
      readonly databasePath: string;
      /** Resolves once every committed write is in the log. */
      readonly flushed: () => Promise<void>;
      readonly clock: Clock;
      readonly log: Logger;
    },
  ) {}

  /** A fresh copy (one at a time: concurrent requests share it). */
  offer(): Promise<SnapshotOffer | HandlerFailure> {
    this.making ??= this.make().finally(() => {
      this.making = null;
    });
    return this.making;
  }

  /** At most SNAPSHOT_CHUNK_BYTES of copy `id` from `offset`. */
  async chunk(id: string, offset: number): Promise<Buffer | HandlerFailure> {
    const copy = this.current;
    if (!copy || copy.id !== id)
      return { ok: false, condition: "item-not-found", text: `no snapshot ${id} (expired or replaced): ask again` };
    if (offset > copy.sizeBytes)
      return { ok: false, condition: "bad-request", text: `offset ${offset} is past the end (${copy.sizeBytes})` };
    this.keep();
    const file = await open(copy.path, "r");
    try {
      const buffer = Buffer.alloc(Math.min(SNAPSHOT_CHUNK_BYTES, copy.sizeBytes - offset));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
      return buffer.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  }

  /** Drops the copy (the process stops being the active). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.drop();
  }

  private async make(): Promise<SnapshotOffer | HandlerFailure> {
    const { store, databasePath, flushed, clock, log } = this.deps;
    const startedAt = clock.now();
    await this.drop();
    const path = `${databasePath}.snapshot-out`;
    for (let attempt = 0; attempt < COPY_ATTEMPTS && !this.stopped; attempt++) {
      await flushed();
      const state = await store.snapshotForStandby(path);
      if (!state) continue;
      const sizeBytes = (await stat(path)).size;
      const sha256 = await sha256Of(path);
      if (this.stopped) break;
      const offer = { id: randomBytes(8).toString("hex"), sizeBytes, sha256, seq: state.seq, schema: state.schema };
      this.current = { ...offer, path };
      this.keep();
      log.info("replica snapshot made for the standby", {
        seq: offer.seq,
        sizeBytes,
        attempts: attempt + 1,
        tookMs: clock.now() - startedAt,
      });
      return offer;
    }
    await rm(path, { force: true });
    return {
      ok: false,
      condition: "resource-constraint",
      text: "the database kept changing during the copy: ask again",
    };
  }

  private keep(): void {
    this.expiry?.cancel();
    this.expiry = this.deps.clock.setTimer(KEEP_MS, () => void this.drop());
  }

  private async drop(): Promise<void> {
    this.expiry?.cancel();
    this.expiry = null;
    const copy = this.current;
    this.current = null;
    if (copy) await rm(copy.path, { force: true });
  }
}

/** Removes copies a process killed while it made or fetched one left beside its database. */
export function removeLeftSnapshots(databasePath: string): void {
  rmSync(`${databasePath}.snapshot-out`, { force: true });
  rmSync(`${databasePath}.snapshot-in`, { force: true });
}

/** A snapshot downloaded and checked, ready to replace the standby's file. */
export interface DownloadedSnapshot {
  readonly path: string;
  readonly offer: SnapshotOffer;
}

/** A snapshot of another schema than the standby's: the active runs another version of mauve-xmpp. */
export class SnapshotSchemaError extends Error {
  constructor(
    /** The snapshot's schema version; null when the offer does not say (an active older than the check). */
    readonly activeSchema: number | null,
    readonly ownSchema: number,
  ) {
    super(
      `the active's snapshot is of schema ${activeSchema ?? "(not said: an older version)"}, this AlertBot's is ` +
        `${ownSchema}: the two bots of a pair must run the same version of mauve-xmpp (docs/failover.md)`,
    );
    this.name = "SnapshotSchemaError";
  }
}

/**
 * Downloads the active's snapshot to a file beside `databasePath`, checks its size, SHA-256 and
 * SQLite integrity, that it holds the batches offered, and that it is of schema `ownSchema` (a
 * newer file could not be opened here, and an older one migrated would go on to follow a log of
 * another schema). On any failure the file is removed and the error thrown.
 */
export async function downloadSnapshot(
  client: SnapshotClient,
  databasePath: string,
  ownSchema: number,
): Promise<DownloadedSnapshot> {
  const offer = await client.offer();
  // Said before a byte is fetched: the file may be large.
  if (offer.schema !== ownSchema) throw new SnapshotSchemaError(offer.schema ?? null, ownSchema);
  const path = `${databasePath}.snapshot-in`;
  try {
    const file = await open(path, "w");
    const hash = createHash("sha256");
    try {
      let offset = 0;
      while (offset < offer.sizeBytes) {
        const data = await client.chunk(offer.id, offset);
        if (data.length === 0) throw new Error(`snapshot ${offer.id} ended at ${offset} of ${offer.sizeBytes} bytes`);
        await file.write(data, 0, data.length, offset);
        hash.update(data);
        offset += data.length;
      }
      if (offset !== offer.sizeBytes)
        throw new Error(`snapshot ${offer.id} came to ${offset} bytes, ${offer.sizeBytes} offered`);
      await file.sync();
    } finally {
      await file.close();
    }
    verifyDigest(hash.digest("hex"), offer);
    const state = Store.checkSnapshot(path);
    if (state.seq !== offer.seq)
      throw new Error(`snapshot ${offer.id} holds the log to batch ${state.seq}, ${offer.seq} offered`);
    if (state.schema !== ownSchema) throw new SnapshotSchemaError(state.schema, ownSchema);
    return { path, offer };
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
}

/** Throws unless the digest of what arrived is the one offered. */
export function verifyDigest(sha256: string, offer: SnapshotOffer): void {
  if (sha256 !== offer.sha256)
    throw new Error(`snapshot ${offer.id}: SHA-256 ${sha256} of what arrived, ${offer.sha256} offered`);
}

function sha256Of(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}
