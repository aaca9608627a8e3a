import type { ChannelName, ChannelTier, Level, Person } from "./types.js";

/** A person's XMPP presence as the bot last saw it. */
export type Presence = "online" | "away" | "offline" | "unknown";

/** Looks up a person's presence by name; the bot's presence tracker implements it. */
export type PresenceOf = (person: string) => Presence;

/** If nothing has answered `after` ms after the first send, send on `channels` too. */
export interface Fallback {
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
 * later tier becomes a fallback `fallbackAfter` apart; informational notices pass `fallbacks: false`.
 */
export function planChannels(
  person: Person,
  level: Level,
  presence: Presence,
  options: { readonly tiers?: readonly ChannelTier[] | null; readonly fallbacks?: boolean } = {},
): ChannelPlan {
  const reachable = (wanted: readonly ChannelTier[]): ChannelTier[] =>
    wanted.map((tier) => tier.filter((c) => canReach(person, c))).filter((tier) => tier.length > 0);
  let tiers = reachable(options.tiers ?? person.notify[level]);
  if (tiers.length === 0) tiers = reachable(person.notify[level]);
  if (presence === "offline" || presence === "unknown") {
    const withoutXmpp = tiers.map((tier) => tier.filter((c) => c !== "xmpp")).filter((tier) => tier.length > 0);
    if (withoutXmpp.length > 0) tiers = withoutXmpp;
  }
  const [first = ["xmpp"], ...rest] = tiers;
  if (options.fallbacks === false) return { channels: first, fallbacks: [] };
  return { channels: first, fallbacks: rest.map((channels, i) => ({ after: (i + 1) * person.fallbackAfter, channels })) };
}
