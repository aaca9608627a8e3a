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
