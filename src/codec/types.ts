/**
 * One alert inside an AlertUpdate, as Mauve defines it (proto2, field numbers in proto/mauve.proto).
 * Times are UNIX seconds; 0 and "" mean "unset", because real senders put every field on the wire.
 */
export interface Alert {
  id: string;
  raiseTime: number;
  clearTime: number;
  subject: string;
  summary: string;
  /** HTML, sanitised by the codec before anything else sees it. */
  detail: string;
  /** 0 means "default". */
  importance: number;
  suppressUntil: number;
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
  transmissionTime: number;
  /** Our addition (field 16): per-source sequence from the agent's outbox; 0 bigint when unset. */
  sequence: bigint;
}
