// Retention: the bot forgets, in small batches on its clock, what it no longer needs to act on,
// so that steady traffic (heartbeats) leaves the SQLite file a steady size.
import type { Clock, TimerHandle } from "../clock/clock.js";
import type { RetentionConfig } from "../config/retention-config.js";
import type { Logger } from "../log.js";
import type { Store } from "../store/store.js";
import { AGENT_NODE_MAX_ITEMS } from "../codec/source-name.js";
import { nextTurn } from "../util/batching.js";

/** Rows deleted per transaction: small, so an update never waits long behind a prune. */
export const PRUNE_BATCH_ROWS = 500;
// Sources whose transmissions are pruned in one transaction.
const SOURCES_PER_BATCH = 50;
const PER_SOURCE_ROWS = PRUNE_BATCH_ROWS / SOURCES_PER_BATCH;

/** What one pass forgot. */
export interface PruneCounts {
  history: number;
  transmissions: number;
  deliveries: number;
  sends: number;
}

export interface RetentionDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  /** Read at every pass, so a reload applies. */
  config: () => RetentionConfig;
  /** The longest a storm limit looks back at sends (a person's last quiet digest), in ms. */
  sendsNeededMs: () => number;
}

/**
 * Prunes every `everyMs`: history lines of alerts not raised now and older than the history period,
 * deliveries that ended and sends as old, and transmission ids older than their period except each
 * source's newest (what its pubsub node may still hold and replay at a start; sequences refuse the
 * rest of an agent's replays). Each batch is its own short transaction with a turn of the event loop
 * between batches, so ingest and chat never queue behind a long delete.
 */
export class Retention {
  private timer: TimerHandle | undefined;
  private stopped = false;
  private running: Promise<PruneCounts> | undefined;

  constructor(private readonly deps: RetentionDeps) {}

  start(): void {
    this.stopped = false;
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Waits for a pass under way (tests, shutdown). */
  async idle(): Promise<void> {
    await this.running;
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimer(this.deps.config().everyMs, () => {
      this.running = this.pruneOnce()
        .catch((err: unknown) => {
          this.deps.log.error("retention pass failed; will try again", { err });
          return { history: 0, transmissions: 0, deliveries: 0, sends: 0 };
        })
        .finally(() => this.arm());
    });
  }

  /** One pass over every table, batch by batch, until nothing old is left. */
  async pruneOnce(): Promise<PruneCounts> {
    const { store, clock, config } = this.deps;
    const now = clock.now();
    const { historyMs, transmissionsMs } = config();
    const historyBefore = now - historyMs;
    const sendsBefore = now - Math.max(historyMs, this.deps.sendsNeededMs());
    const counts: PruneCounts = { history: 0, transmissions: 0, deliveries: 0, sends: 0 };

    const drain = async (prune: () => number): Promise<number> => {
      let total = 0;
      for (;;) {
        if (this.stopped) return total;
        const n = store.transaction(prune);
        total += n;
        if (n === 0) return total;
        await nextTurn();
      }
    };
    counts.history = await drain(() => store.alerts.pruneHistory(historyBefore, PRUNE_BATCH_ROWS));
    counts.deliveries = await drain(() => store.policy.pruneDeliveries(historyBefore, PRUNE_BATCH_ROWS));
    counts.sends = await drain(() => store.policy.pruneSends(sendsBefore, PRUNE_BATCH_ROWS));

    const sources = store.sources.all().map((s) => s.source);
    const transmissionsBefore = now - transmissionsMs;
    for (let i = 0; i < sources.length && !this.stopped; i += SOURCES_PER_BATCH) {
      const batch = sources.slice(i, i + SOURCES_PER_BATCH);
      counts.transmissions += await drain(() =>
        batch.reduce(
          (sum, source) =>
            sum + store.transmissions.prune(source, transmissionsBefore, AGENT_NODE_MAX_ITEMS, PER_SOURCE_ROWS),
          0,
        ),
      );
      await nextTurn();
    }
    if (counts.history + counts.transmissions + counts.deliveries + counts.sends > 0)
      this.deps.log.debug("retention pass", { ...counts });
    return counts;
  }
}
