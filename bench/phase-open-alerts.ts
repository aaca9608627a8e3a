// The bot's memory with many open alerts: a fresh bot process, fed synthetic updates through its
// own core, measured from outside (/proc) before and after, and from inside (V8 heap).
import { stat } from "node:fs/promises";
import type { Worker } from "./children.js";
import { sleep } from "./hrtime.js";
import { readProc } from "./proc-stats.js";
import type { StoreFloorResult } from "./store-floor.js";

/** Memory of the bot process before and after raising `count` alerts. */
export interface OpenAlertsResult {
  readonly count: number;
  readonly raised: number;
  readonly rssBeforeMb: number;
  /** Settled: {@link SETTLE_MS} after the last update, as Alertmanager's is read (phase-peer.ts). */
  readonly rssAfterMb: number;
  readonly rssDeltaMb: number;
  /** At the moment the last update was applied, before the full collection and the wait. */
  readonly rssAtLastUpdateMb: number;
  /** The most the process held, at any moment of the run (VmHWM: the bot is fresh). */
  readonly peakRssMb: number;
  readonly heapUsedBeforeMb: number;
  readonly heapUsedAfterMb: number;
  /** better-sqlite3 and other native memory outside the V8 heap, as Node counts it. */
  readonly externalAfterMb: number;
  /** The V8 heap the bot holds from the system (used or not), and what of its RSS is neither that nor external memory. */
  readonly heapTotalAfterMb: number;
  readonly nativeAfterMb: number;
  readonly dbFileMb: number;
  readonly seconds: number;
  /** Mean time to apply one update (of `perUpdate` alerts) over the first and the last tenth: flat means no scan grows with the alerts. */
  readonly firstTenthMsPerUpdate: number;
  readonly lastTenthMsPerUpdate: number;
  readonly perUpdate: number;
  /** The store alone on the same alerts, after the bot, in its process (see store-floor.ts). */
  readonly floor: StoreFloorResult;
}

const MB = 1024 * 1024;

/**
 * AlertBot's bulk rate if the design left to try kept it at the share of the store's rate it has
 * now (the store's rate with one delivery row per digest × AlertBot's rate ÷ the store's rate
 * today): an estimate, which assumes the bot's work around the writes stays what it is.
 */
export function projectedBulkRate(o: OpenAlertsResult): number {
  return (o.raised / o.seconds / o.floor.allWritesPerSec) * o.floor.digestDeliveryRowPerSec;
}

/**
 * How long the bot is left idle after a full collection before its RSS is read. V8 returns the
 * pages a collection freed from a thread of its own, after the collection: read at once, RSS still
 * counted up to 25 MB of them, more or less from run to run. Alertmanager's RSS is read after the
 * same wait.
 */
export const SETTLE_MS = 3_000;

/** Raises `count` open alerts in the (fresh) bot behind `worker`; `database` is its SQLite file. */
export async function measureOpenAlerts(
  worker: Worker,
  database: string,
  count: number,
  perUpdate = 100,
): Promise<OpenAlertsResult> {
  const heapBefore = await worker.call<NodeJS.MemoryUsage>("memory");
  await sleep(SETTLE_MS);
  const before = await readProc(worker.pid);
  const run = await worker.call<{
    seconds: number;
    raised: number;
    firstTenthMsPerUpdate: number;
    lastTenthMsPerUpdate: number;
  }>("openAlerts", { count, perUpdate }, 600_000);
  const atLastUpdate = await readProc(worker.pid);
  const heapAfter = await worker.call<NodeJS.MemoryUsage>("memory");
  await sleep(SETTLE_MS);
  const after = await readProc(worker.pid);
  // After every memory figure: the floor's files and statements would count in them.
  const floor = await worker.call<StoreFloorResult>("storeFloor", { count, perUpdate }, 600_000);
  const dbBytes =
    (await stat(database).catch(() => ({ size: NaN }))).size +
    (await stat(`${database}-wal`).catch(() => ({ size: 0 }))).size;
  const rssBeforeMb = before?.rssMb ?? NaN;
  const rssAfterMb = after?.rssMb ?? NaN;
  return {
    count,
    raised: run.raised,
    rssBeforeMb,
    rssAfterMb,
    rssDeltaMb: rssAfterMb - rssBeforeMb,
    rssAtLastUpdateMb: atLastUpdate?.rssMb ?? NaN,
    peakRssMb: after?.peakRssMb ?? NaN,
    heapUsedBeforeMb: heapBefore.heapUsed / MB,
    heapUsedAfterMb: heapAfter.heapUsed / MB,
    externalAfterMb: heapAfter.external / MB,
    heapTotalAfterMb: heapAfter.heapTotal / MB,
    nativeAfterMb: rssAfterMb - heapAfter.heapTotal / MB - heapAfter.external / MB,
    dbFileMb: dbBytes / MB,
    seconds: run.seconds,
    firstTenthMsPerUpdate: run.firstTenthMsPerUpdate,
    lastTenthMsPerUpdate: run.lastTenthMsPerUpdate,
    perUpdate,
    floor,
  };
}
