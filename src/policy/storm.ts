import { type Fallback, byImportance, type Delivery } from "./delivery.js";
import type { ChannelName, Level, StormConfig } from "./types.js";

/**
 * What the limits need of the messages sent to one person, as of the moment planned for: a
 * summary, since a storm under a high limit logs thousands in the window, and reading each of them
 * per plan cost more than the planning.
 */
export interface SentSummary {
  /**
   * How many were sent inside the limit's window (after `now - limit.perMs`, up to `now`), counted
   * up to `limit.count`: past it there is no room, however many more.
   */
  readonly inWindow: number;
  /**
   * When the oldest of those counted was sent (the oldest of the newest `limit.count`): room frees
   * when it leaves the window. Null when none were.
   */
  readonly oldestCountedAt: number | null;
  /** When the last quiet digest was sent, however long ago (it paces the next); null if never. */
  readonly lastQuietAt: number | null;
}

/** Many notifications told as one message. */
export interface Digest {
  /** "digest" for a storm; "quiet-digest" when it carries the person's collected email_digest notices. */
  readonly kind: "digest" | "quiet-digest";
  readonly count: number;
  /** The most important few, to show in full. */
  readonly top: readonly Delivery[];
  /** Every delivery it stands for, `top` included: record each in its alert's history. */
  readonly items: readonly Delivery[];
  readonly hint: string;
  readonly level: Level;
  /** The loudest item's channels: a storm holding an urgent page goes where that page would. */
  readonly channels: readonly ChannelName[];
  /**
   * The fallbacks of the loudest item that has any: while unanswered, each item that would be
   * chased on its own (a page, not a clear, an ack or a reminder) is told again on these.
   */
  readonly fallbacks: readonly Fallback[];
}

/** What to send one person now. Every pending delivery ends up in exactly one of send, digest.items, keep. */
export interface OutboxPlan {
  readonly send: readonly Delivery[];
  readonly digest: Digest | null;
  /** Not sent yet: pass these to planOutbox again at `holdUntil`. */
  readonly keep: readonly Delivery[];
  readonly holdUntil: number | null;
}

/** What a digest tells people to type to see what it left out. */
export const DIGEST_HINT = "say show to see the rest";

const isQuiet = (d: Delivery): boolean => d.channels.length > 0 && d.channels.every((c) => c === "email_digest");

/** Every channel named, each once, in the order first named. */
function unionOf(lists: ReadonlyArray<readonly ChannelName[]>): ChannelName[] {
  return [...new Set(lists.flat())];
}

/** The fallbacks of several notices as one chase: each step on every channel any of them names there. */
function mergedFallbacks(items: readonly Delivery[]): Fallback[] {
  const steps = Math.max(0, ...items.map((d) => d.fallbacks.length));
  return Array.from({ length: steps }, (_, i) => {
    const at = items.map((d) => d.fallbacks[i]).filter((f): f is Fallback => f !== undefined);
    return { after: Math.min(...at.map((f) => f.after)), channels: unionOf(at.map((f) => f.channels)) };
  });
}

function digestOf(items: readonly Delivery[], quiet: boolean, storm: StormConfig): Digest {
  const sorted = [...items].sort(byImportance);
  // The loudest items pick the way in: a storm holding an urgent page goes where that page would,
  // and pages of one level that go different ways (two workgroups' steps) go every one of them.
  const lead = sorted.find((d) => !isQuiet(d));
  const leads = sorted.filter((d) => !isQuiet(d) && d.level === lead?.level);
  // And the loudest of those that would be chased on their own pick the fallbacks: a clear, an
  // ack or a reminder sorted first is told once, and must not leave the pages beside it unchased.
  const first = sorted.find((d) => !isQuiet(d) && d.fallbacks.length > 0);
  const chased = sorted.filter((d) => !isQuiet(d) && d.fallbacks.length > 0 && d.level === first?.level);
  return {
    kind: quiet ? "quiet-digest" : "digest",
    count: sorted.length,
    top: sorted.slice(0, storm.digestTop),
    items: sorted,
    hint: DIGEST_HINT,
    level: sorted[0]?.level ?? "low",
    channels: lead === undefined ? ["email"] : unionOf(leads.map((d) => d.channels)),
    fallbacks: mergedFallbacks(chased),
  };
}

/**
 * The loudest `room` of `loud` (given oldest first), most important first; but notices about one
 * alert go in the order they were made, none before an older one about it: a CLEARED held back by
 * the limit, sent after the RAISED of the alert's next raise, told the reader it was over.
 */
function loudestInOrder(loud: readonly Delivery[], room: number): Delivery[] {
  const taken = new Set<Delivery>();
  for (const d of [...loud].sort(byImportance)) {
    for (const e of loud) {
      if (taken.size >= room) break;
      if (e.shortId !== d.shortId || taken.has(e)) continue;
      taken.add(e);
      if (e === d) break;
    }
    if (taken.size >= room) break;
  }
  const made = new Map<number, Delivery[]>();
  for (const e of loud) if (taken.has(e)) made.set(e.shortId, [...(made.get(e.shortId) ?? []), e]);
  return [...taken].sort(byImportance).map((d) => made.get(d.shortId)!.shift()!);
}

/**
 * When the oldest send counted against the limit leaves its window, making room for one more;
 * with none counted, the first to leave is one going at `now`.
 */
function budgetFreesAt(sent: SentSummary, now: number, storm: StormConfig): number {
  return (sent.oldestCountedAt ?? now) + storm.limit.perMs;
}

/**
 * When a person's limit has no room, the moment it next has; null while it has room.
 * With no room nothing is sent, whatever is pending, so a caller can skip reading the outbox.
 */
export function budgetExhaustedUntil(sent: SentSummary, now: number, storm: StormConfig): number | null {
  return storm.limit.count - sent.inWindow <= 0 ? budgetFreesAt(sent, now, storm) : null;
}

/**
 * Plans one person's outgoing messages under the rate limit. Up to `digestAfter` notifications go
 * out one by one, most important first, as many as the limit has room for; the rest wait until it
 * frees. Only a burst of more than `digestAfter` becomes one digest (count, the most important few,
 * how to see the rest); with no room at all everything waits.
 * `email_digest` notices collect until `quietDigestEveryMs` has passed since the last such email.
 */
export function planOutbox(
  pending: readonly Delivery[],
  sent: SentSummary,
  now: number,
  storm: StormConfig,
): OutboxPlan {
  const budget = storm.limit.count - sent.inWindow;
  const quiet = pending.filter(isQuiet);
  const loud = pending.filter((d) => !isQuiet(d));
  const lastQuiet = sent.lastQuietAt ?? -Infinity;
  const quietDue = quiet.length > 0 && lastQuiet + storm.quietDigestEveryMs <= now;
  const quietWait = quiet.length > 0 && !quietDue ? lastQuiet + storm.quietDigestEveryMs : null;

  if (loud.length === 0 && !quietDue) return { send: [], digest: null, keep: quiet, holdUntil: quietWait };
  if (budget <= 0) {
    const freed = budgetFreesAt(sent, now, storm);
    return {
      send: [],
      digest: null,
      keep: pending,
      holdUntil: quietWait === null ? freed : Math.min(freed, quietWait),
    };
  }
  const released = quietDue ? quiet : [];
  const keep = quietDue ? [] : quiet;
  if (loud.length <= storm.digestAfter) {
    // A few notices are never merged into a digest to save the limit: the loudest go now, the rest
    // wait for room, as everything does when the limit is used up.
    const send = loudestInOrder(loud, budget);
    const quietFits = released.length > 0 && send.length < budget;
    const unsent = [...loud].sort(byImportance).filter((d) => !send.includes(d));
    const waiting = [...unsent, ...(quietFits ? [] : released), ...keep];
    const digest = quietFits ? digestOf(released, true, storm) : null;
    // With room left every send of the window is counted, and those going now are newer than any.
    const freed = waiting.length > keep.length ? budgetFreesAt(sent, now, storm) : null;
    const holds = [freed, quietWait].filter((t): t is number => t !== null);
    return { send, digest, keep: waiting, holdUntil: holds.length === 0 ? null : Math.min(...holds) };
  }
  return { send: [], digest: digestOf([...loud, ...released], released.length > 0, storm), keep, holdUntil: quietWait };
}
