import type { Fallback } from "./channels.js";
import type { ChannelName, Level } from "./types.js";

/** Why a person is being told: a new raise, a reminder, a step up the chain, or news about an alert they heard of. */
export type DeliveryKind = "raised" | "reminder" | "escalated" | "cleared" | "acked" | "ack-expired" | "noted";

/** One message owed to one person; the caller formats it from the alert and sends it. */
export interface Delivery {
  /** The person's name in the config. */
  readonly person: string;
  readonly kind: DeliveryKind;
  readonly level: Level;
  readonly shortId: number;
  /** Send on all of these now. */
  readonly channels: readonly ChannelName[];
  /** While nobody answers (acks), send on these too, `after` ms after the first send; stop on ack or clear. */
  readonly fallbacks: readonly Fallback[];
  /** A short reason for the alert's history: "step 2 of ops/urgent: next on call". */
  readonly why: string;
}

const LEVEL_RANK: Readonly<Record<Level, number>> = { urgent: 0, normal: 1, low: 2 };
const KIND_RANK: Readonly<Record<DeliveryKind, number>> = {
  escalated: 0,
  raised: 0,
  "ack-expired": 0,
  reminder: 1,
  acked: 2,
  cleared: 2,
  noted: 2,
};

/** Orders deliveries most important first: by level, then news before reminders before notices, then oldest alert. */
export function byImportance(a: Delivery, b: Delivery): number {
  return LEVEL_RANK[a.level] - LEVEL_RANK[b.level] || KIND_RANK[a.kind] - KIND_RANK[b.kind] || a.shortId - b.shortId;
}
