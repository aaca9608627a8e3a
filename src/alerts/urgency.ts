// The orders people read alerts in: `show` and the status board (`byUrgency`; the store sorts by
// it in SQL, alert-store.ts URGENCY, and work that walks the alerts a slice at a time sorts by it
// here), and a digest (`digestOrder`; `AlertStore.mostUrgentOf` sorts by it in SQL too).
import type { AlertStatus } from "./types.js";

/** What the order looks at. */
export interface Urgent {
  readonly shortId: number;
  readonly status: AlertStatus;
  readonly importance: number;
  readonly raisedAt: number | null;
}

/**
 * Raised before cleared, then most important first; among equals, the longest-standing first
 * (an alert never raised last), then by number: a total order, so the first N of a set do not
 * depend on the order it was walked in.
 */
export function byUrgency(a: Urgent, b: Urgent): number {
  const cleared = Number(a.status === "cleared") - Number(b.status === "cleared");
  if (cleared !== 0) return cleared;
  if (a.importance !== b.importance) return b.importance - a.importance;
  if ((a.raisedAt === null) !== (b.raisedAt === null)) return a.raisedAt === null ? 1 : -1;
  if (a.raisedAt !== null && b.raisedAt !== null && a.raisedAt !== b.raisedAt) return a.raisedAt - b.raisedAt;
  return a.shortId - b.shortId;
}

/**
 * The order a digest lists its alerts in: raised before cleared, then most important, then oldest
 * number (without `byUrgency`'s longest-standing first).
 */
export function digestOrder(a: Omit<Urgent, "raisedAt">, b: Omit<Urgent, "raisedAt">): number {
  const cleared = Number(a.status === "cleared") - Number(b.status === "cleared");
  return cleared || b.importance - a.importance || a.shortId - b.shortId;
}
