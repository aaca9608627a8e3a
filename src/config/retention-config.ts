// How long AlertBot keeps what it no longer needs to act on: the `retention` section.
import { object, optional, transform } from "../schema/combinators.js";
import type { Reader } from "../schema/reader.js";
import { duration } from "../schema/scalars.js";
import { DAY_MS, MINUTE_MS } from "../util/duration.js";

/** Retention periods, in milliseconds. */
export interface RetentionConfig {
  /** History lines of alerts not raised now, ended deliveries and sends are kept this long. */
  readonly historyMs: number;
  /** Transmission ids (duplicate detection) are kept this long, and each source's newest whatever their age. */
  readonly transmissionsMs: number;
  /** How often the bot prunes (in small batches, between updates). */
  readonly everyMs: number;
}

export const retentionSection: Reader<RetentionConfig> = optional(
  transform(
    object({
      // Under a day only to watch retention at work in a short run (the bench's soak).
      history: optional(duration({ min: 10 * MINUTE_MS, max: 3660 * DAY_MS }), "30d"),
      transmissions: optional(duration({ min: 5 * MINUTE_MS, max: 366 * DAY_MS }), "1h"),
      every: optional(duration({ min: 10_000, max: DAY_MS }), "1m"),
    }),
    (r): RetentionConfig => ({ historyMs: r.history, transmissionsMs: r.transmissions, everyMs: r.every }),
  ),
  {},
);
