import type { ChannelName, ChannelTier, Level, Person } from "./types.js";

/** A person's XMPP presence as the bot last saw it: how reachable they are by chat right now. */
export type Presence = "online" | "away" | "offline" | "unknown";

/** Looks up a person's presence by name; the bot's presence tracker implements it. */
export type PresenceOf = (person: string) => Presence;

/** If nothing has answered `after` ms after the first send, send on `channels` too. */
export interface Fallback {
  /** Milliseconds; the name stays as it is because deliveries stored as objects (before delivery-codec.ts) carry it. */
  readonly after: number;
  readonly channels: readonly ChannelName[];
}

/** The channels to use now, and the fallbacks to try while unanswered. */
export interface ChannelPlan {
  readonly channels: readonly ChannelName[];
  readonly fallbacks: readonly Fallback[];
}

/** True when the person has the address the channel needs (everyone has a JID). */
export function canReach(person: Person, channel: ChannelName): boolean {
  if (channel === "sms") return person.sms !== null;
  if (channel === "email" || channel === "email_digest") return person.email !== null;
  return true;
}

/**
 * Picks channels for one notification. Tiers come from the step's override (or, when the person
 * has none of those, their own preference for the level); unreachable channels are dropped. XMPP
 * is only worth trying first when the person is connected: offline or unknown presence skips XMPP
 * to the next tier now, unless XMPP is all there is (the server keeps the message for them). Each
 * later tier becomes a fallback `fallbackAfterMs` apart; informational notices pass `fallbacks: false`.
 */
export function planChannels(
  person: Person,
  level: Level,
  presence: Presence,
  options: { readonly tiers?: readonly ChannelTier[] | null; readonly fallbacks?: boolean } = {},
): ChannelPlan {
  let tiers = reachable(person, options.tiers ?? person.notify[level]);
  if (tiers.length === 0) tiers = reachable(person, person.notify[level]);
  if (presence === "offline" || presence === "unknown") {
    const withoutXmpp = tiers.map((tier) => tier.filter((c) => c !== "xmpp")).filter((tier) => tier.length > 0);
    if (withoutXmpp.length > 0) tiers = withoutXmpp;
  }
  // Indexed, not destructured (an iterator per call): this runs for every notice planned.
  const first: ChannelTier = tiers.length > 0 ? tiers[0]! : ["xmpp"];
  if (options.fallbacks === false) return { channels: first, fallbacks: [] };
  const fallbacks: Fallback[] = [];
  for (let i = 1; i < tiers.length; i++) fallbacks.push({ after: i * person.fallbackAfterMs, channels: tiers[i]! });
  return { channels: first, fallbacks };
}

/** The tiers of `wanted` with only the channels `person` can be reached on, empty tiers left out. */
function reachable(person: Person, wanted: readonly ChannelTier[]): ChannelTier[] {
  const out: ChannelTier[] = [];
  for (const tier of wanted) {
    const kept: ChannelName[] = [];
    for (const c of tier) if (canReach(person, c)) kept.push(c);
    if (kept.length > 0) out.push(kept);
  }
  return out;
}

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
