/**
 * One alert inside an AlertUpdate, as Mauve defines it (proto2, field numbers in proto/mauve.proto).
 * Times are UNIX seconds; 0 and "" mean "unset", because real senders put every field on the wire.
 */
export interface Alert {
  id: string;
  raiseTimeS: number;
  clearTimeS: number;
  subject: string;
  summary: string;
  /** HTML, sanitised by the codec before anything else sees it. */
  detail: string;
  /** 0 means "default". */
  importance: number;
  suppressUntilS: number;
}

/** An alert with Mauve's defaults: every field zero or empty (protobuf's unset), but its id. */
export function blankAlert(id: string): Alert {
  return { id, raiseTimeS: 0, clearTimeS: 0, subject: "", summary: "", detail: "", importance: 0, suppressUntilS: 0 };
}

/** An AlertUpdate: one source's changes of one moment. */
export interface AlertUpdate {
  /** Exceeds 2^53 in real traffic: always a bigint, never a JS number. */
  transmissionId: bigint;
  source: string;
  replace: boolean;
  alerts: Alert[];
  /** Carried for wire compatibility; not verified. Empty when absent. */
  signature: Uint8Array;
  /** UNIX seconds at the sender; 0 when unset. */
  transmissionTimeS: number;
  /** Our addition (field 16): per-source sequence from the agent's outbox; 0 bigint when unset. */
  sequence: bigint;
}

/**
 * The latest time an update's time fields are read as: 9999-12-31T23:59:59Z in UNIX seconds. The
 * wire carries up to 2^53 s, but a JavaScript Date ends in the year 275760, and an alert that
 * raises or a suppression that ends after the year 9999 is one that never does.
 */
export const MAX_TIME_S = 253_402_300_799;

/** Largest protobuf AlertUpdate we accept or produce, in bytes: Mauve's UDP packet limit. */
export const MAX_UPDATE_BYTES = 65_536;

/**
 * Mauve's per-field limits, in characters (Unicode code points, as Mauve's Ruby counts them).
 * Longer text is truncated, not rejected: a too-long summary is no reason to lose an alert.
 */
export const FIELD_LIMITS = {
  id: 256,
  source: 512,
  subject: 512,
  summary: 1024,
  detail: 65_535,
} as const;

/** The name of a bounded text field. */
export type LimitedField = keyof typeof FIELD_LIMITS;
