// The order people read alerts in (`show`, the status board): the store sorts by it in SQL
// (alert-store.ts, URGENCY), and work that walks the alerts a slice at a time sorts by it here.
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
