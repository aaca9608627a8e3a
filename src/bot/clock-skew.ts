import type { AlertUpdate } from "../codec/types.js";
import { formatDuration } from "../util/duration.js";
import type { Logger } from "../log.js";
import type { Store } from "../store/store.js";

/** How far a sender's clock was from AlertBot's at its last update, and when that was (ms). */
export interface SourceSkew {
  /** Reception minus transmission_time: positive when the sender's clock is behind. */
  readonly skewMs: number;
  readonly at: number;
}

/** The default bound past which a sender's clock is worth a warning. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 3_600_000;
const WARN_EVERY_MS = 3_600_000;
const key = (source: string): string => `clock-skew:${source}`;

/** The skew last recorded for a source past the bound, or null when its clock was within it. */
export function recordedSkew(store: Store, source: string): SourceSkew | null {
  const value = store.policy.botState(key(source));
  if (value === undefined) return null;
  try {
    const parsed = JSON.parse(value) as Partial<SourceSkew>;
    return typeof parsed.skewMs === "number" && typeof parsed.at === "number"
      ? { skewMs: parsed.skewMs, at: parsed.at }
      : null;
  } catch {
    return null;
  }
}

/** How a skew reads to people: "8h behind AlertBot's". */
export function describeSkew(skewMs: number): string {
  return `${formatDuration(Math.abs(skewMs))} ${skewMs > 0 ? "behind" : "ahead of"} AlertBot's`;
}

/**
 * Watches the senders' clocks. An update is applied whatever its transmission_time says (Mauve
 * shifts its times by the difference, and so do we), but a clock far off usually means a host
 * whose time is broken, so past `maxSkewMs` it is logged (once an hour per source, since a broken
 * clock sends every update skewed) and kept for `detail` until the source's clock is right again.
 */
export class ClockSkewWatch {
  private readonly warnedAt = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    /** The bound now (read at each update, so a reload reaches it). */
    private readonly maxSkewMs: () => number = () => DEFAULT_MAX_CLOCK_SKEW_MS,
  ) {}

  /** Looks at one applied update received at `receivedAt` (ms); call inside the update's transaction. */
  observe(update: AlertUpdate, receivedAt: number): void {
    if (update.transmissionTimeS <= 0) return;
    const skewMs = receivedAt - update.transmissionTimeS * 1000;
    const maxSkewMs = this.maxSkewMs();
    if (Math.abs(skewMs) <= maxSkewMs) {
      if (recordedSkew(this.store, update.source) !== null) this.store.policy.clearBotState(key(update.source));
      return;
    }
    this.store.policy.setBotState(key(update.source), JSON.stringify({ skewMs, at: receivedAt } satisfies SourceSkew));
    const last = this.warnedAt.get(update.source);
    if (last !== undefined && receivedAt - last < WARN_EVERY_MS && receivedAt >= last) return;
    this.warnedAt.set(update.source, receivedAt);
    this.log.warn("sender's clock is far from AlertBot's: its times were shifted to AlertBot's clock", {
      source: update.source,
      skewMs,
      skew: describeSkew(skewMs),
      maxClockSkewMs: maxSkewMs,
      transmissionTime: new Date(update.transmissionTimeS * 1000).toISOString(),
    });
  }
}
