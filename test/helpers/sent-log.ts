// The storm planner's view of a log of sends, worked out from the sends themselves: how tests
// write a person's history, and what the store's counting must agree with.
import type { SentSummary } from "../../src/policy/storm.js";
import type { StormConfig } from "../../src/policy/types.js";

/** One message logged as sent to a person: a single notification or a digest. */
export interface SentRecord {
  readonly at: number;
  readonly kind: "single" | "digest" | "quiet-digest";
}

/** What the planner is told at `now` of `log` (one person's sends, in any order). */
export function summarise(log: readonly SentRecord[], now: number, storm: StormConfig): SentSummary {
  const counted = log
    .filter((s) => s.at > now - storm.limit.perMs && s.at <= now)
    .map((s) => s.at)
    .sort((a, b) => b - a)
    .slice(0, storm.limit.count);
  const quiet = log.filter((s) => s.kind === "quiet-digest").map((s) => s.at);
  return {
    inWindow: counted.length,
    oldestCountedAt: counted.at(-1) ?? null,
    lastQuietAt: quiet.length === 0 ? null : Math.max(...quiet),
  };
}
