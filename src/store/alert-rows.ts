import type { AlertRecord, AlertState } from "../alerts/types.js";

/** An `alerts` row as SQLite returns it. */
export interface AlertRow {
  short_id: number;
  source: string;
  alert_id: string;
  status: "raised" | "cleared";
  subject: string;
  summary: string;
  detail: string;
  importance: number;
  raised_at: number | null;
  cleared_at: number | null;
  scheduled_raise_at: number | null;
  scheduled_clear_at: number | null;
  suppress_until: number | null;
  ack_by: string | null;
  ack_at: number | null;
  ack_until: number | null;
  ack_note: string | null;
  policy_due_at: number | null;
  due_at: number | null;
  updated_at: number;
}

/** Row → record. */
export function rowToAlert(row: AlertRow): AlertRecord {
  return {
    shortId: row.short_id,
    source: row.source,
    alertId: row.alert_id,
    status: row.status,
    subject: row.subject,
    summary: row.summary,
    detail: row.detail,
    importance: row.importance,
    raisedAt: row.raised_at,
    clearedAt: row.cleared_at,
    scheduledRaiseAt: row.scheduled_raise_at,
    scheduledClearAt: row.scheduled_clear_at,
    suppressUntil: row.suppress_until,
    ack:
      row.ack_by !== null && row.ack_at !== null && row.ack_until !== null
        ? { by: row.ack_by, at: row.ack_at, until: row.ack_until, note: row.ack_note ?? "" }
        : null,
    policyDueAt: row.policy_due_at,
    updatedAt: row.updated_at,
  };
}

/** Record → named parameters for the upsert; `dueAt` is derived by the caller. */
export function alertToParams(state: AlertState, dueAt: number | null): Record<string, unknown> {
  return {
    source: state.source,
    alert_id: state.alertId,
    status: state.status,
    subject: state.subject,
    summary: state.summary,
    detail: state.detail,
    importance: state.importance,
    raised_at: state.raisedAt,
    cleared_at: state.clearedAt,
    scheduled_raise_at: state.scheduledRaiseAt,
    scheduled_clear_at: state.scheduledClearAt,
    suppress_until: state.suppressUntil,
    ack_by: state.ack?.by ?? null,
    ack_at: state.ack?.at ?? null,
    ack_until: state.ack?.until ?? null,
    ack_note: state.ack?.note ?? null,
    policy_due_at: state.policyDueAt,
    due_at: dueAt,
    updated_at: state.updatedAt,
  };
}
