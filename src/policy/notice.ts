import type { AlertRecord } from "../alerts/types.js";

/** Something people should be told about an alert. */
export interface Notice {
  kind: "raised" | "cleared";
  alert: AlertRecord;
}

/** The policy's verdict on one alert: what to tell, and the alert's new `notifiedAt` (undefined = unchanged). */
export interface NoticeDecision {
  notice: Notice | null;
  notifiedAt: number | null | undefined;
}

/**
 * Decides whether an alert owes people a notice now. A raise is told once (held while suppressed,
 * silently settled when already acked); a clear is told only when its raise was.
 */
export function pendingNotice(alert: AlertRecord, now: number): NoticeDecision {
  if (alert.status === "raised" && alert.notifiedAt === null) {
    if (alert.suppressUntil !== null && alert.suppressUntil > now) return { notice: null, notifiedAt: undefined };
    if (alert.ack) return { notice: null, notifiedAt: now };
    return { notice: { kind: "raised", alert }, notifiedAt: now };
  }
  if (alert.status === "cleared" && alert.notifiedAt !== null) {
    return { notice: { kind: "cleared", alert }, notifiedAt: null };
  }
  return { notice: null, notifiedAt: undefined };
}
