import type { Clock, TimerHandle } from "../clock/clock.js";
import type { AlertRecord } from "../alerts/types.js";
import type { Logger } from "../log.js";
import {
  sendingKinds,
  type ChannelKind as NotifyChannel,
  type DeliveryOutcome,
  type Recipient,
} from "../notify/channel.js";
import { type NotificationMessage, DIGEST_RANKED, buildDigest, buildMessage } from "../notify/message.js";
import { deliverWithRetry } from "../notify/retry.js";
import { budgetExhaustedUntil, planOutbox, type Digest, type SentSummary } from "../policy/storm.js";
import type { ChannelName, StormConfig } from "../policy/types.js";
import type { Delivery } from "../policy/delivery.js";
import type { Hold } from "../policy/escalation.js";
import { DELIVERY_FORM } from "../policy/delivery-codec.js";
import type { RaiseHeard, StoredDelivery } from "../store/policy-store.js";
import type { Store } from "../store/store.js";
import type { BotMetrics } from "../http/metrics.js";
import { TurnBatch } from "../util/batching.js";
import type { RetryPolicy } from "../util/backoff.js";
import type { BotSettings } from "./settings.js";

/** What the dispatcher needs, injected. */
export interface DispatcherDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  /** Read at each send: the people, channels and storm limits as they are now. */
  settings: { current(): BotSettings };
  /** Retry knobs (tests shorten them). */
  retry?: RetryPolicy;
  /** Called after deliveries were queued to wait: the owner re-arms its timer for them. */
  wake?: () => void;
  /** The zone `person` reads the times of a notice about `alert` in (default UTC). */
  zoneOf?: (person: string, alert: AlertRecord) => string;
  /** Counts attempts and delivery times for /metrics. */
  metrics?: BotMetrics | undefined;
  /**
   * True while the owner has a transaction of its own coming in this turn of the event loop that
   * takes the sends' outcomes in (see `storeOutcomes`): they then wait for it instead of committing alone.
   */
  outcomesJoinLater?: () => boolean;
  /** The final outcome of each notice on each channel, after its retries (channel-health.ts). */
  onOutcome?: (person: string, channel: NotifyChannel, outcome: DeliveryOutcome) => void;
  /**
   * What keeps the policy quiet about an alert at `now` (suppress_until, a silence, its host down,
   * its window shut): a notice planned before such a hold began waits for it to end.
   */
  holdsAt?: (now: number) => (alert: AlertRecord) => Pick<Hold, "reason" | "until"> | null;
}

// Kinds that ask for an answer: their fallbacks fire while the alert stays raised and unacked.
const WANTS_ANSWER = new Set(["raised", "escalated", "reminder", "ack-expired"]);
// Kinds that tell of an alert the person heard of: they go only to people who did hear of it.
const FOLLOW_UPS = new Set(["acked", "cleared", "noted", "reminder"]);
// Kinds that tell a person of an alert in the first place.
const PAGES = new Set(["raised", "escalated", "ack-expired"]);
// An alert no longer kept: nothing is known of who heard of it, so its notices go.
const NOT_KEPT: RaiseHeard = { floor: 0, heard: [], heardBefore: null };
/**
 * A notice planned this long ago or less was planned under the holds and the alert as they are
 * now, so it is not looked at again before it goes: looking at every notice cost a read of its
 * alert per send. Older ones (held by the storm limit, or fallbacks) are.
 */
const PLANNED_NOW_MS = 1_000;
/**
 * How long a notice held by a down host or suppress_until (which may end unannounced: a host's
 * return has no known time, and the sender may shorten suppress_until with its next update) waits
 * before it is looked at again; and how often the notices waiting for a silence or a window to end
 * are checked for an alert that changed meanwhile (see `sweepHeld`).
 */
const HELD_RECHECK_MS = 60_000;
/** How many alerts of one send's outcome are stored per turn of the event loop (see `storeInSlices`). */
const OUTCOME_SLICE = 2_000;
/**
 * How often, and how far apart, a send's outcome that could not be stored is tried again before
 * its deliveries are let go to be sent again (see `storeWrites`).
 */
const OUTCOME_TRIES = 3;
const OUTCOME_RETRY_MS = 5_000;
/** How soon a look at the notices the storm limit held, once it freed, is tried again when it failed. */
const FLUSH_RETRY_MS = 5_000;
/**
 * What a send's outcome writes (see `storeLater`); the deliveries it finishes, in flight until it
 * is stored; what to queue once it was tried (its next slice); how often it was tried.
 */
interface Outcome {
  readonly write: () => void;
  readonly ids: readonly number[];
  readonly then?: () => void;
  readonly tries?: number;
}

/**
 * Sends what the policy queued in the durable outbox: per person, through the storm planner
 * (singles or one digest), on each channel with retries, recording every attempt in the alert's
 * history. A delivery row is finished only when its outcome is known, so a crash means it is
 * sent at the next start rather than lost; nothing is sent before the transaction that planned it
 * commits (rolled back, it told of alerts the store does not hold). Outcomes are stored together,
 * one transaction per turn of the event loop (see `storeLater`).
 */
export class Dispatcher {
  private readonly inFlight = new Set<number>();
  private readonly running = new Set<Promise<void>>();
  private readonly timers = new Set<TimerHandle>();
  /** Per person, the one timer that wakes the outbox when the storm limit frees (see `holdUntil`). */
  private readonly holds = new Map<string, { at: number; timer: TimerHandle }>();
  /** The timer of `sweepHeld`, while notices wait for a silence or a window to end. */
  private sweep: TimerHandle | undefined;
  /** Outcomes of sends waiting to be stored together (see `storeLater`). */
  private readonly outcomes: TurnBatch<Outcome>;
  private stopped = false;

  // Sends under way finish with the channel they started on; a reload reaches the next ones.
  constructor(private readonly deps: DispatcherDeps) {
    this.outcomes = new TurnBatch<Outcome>((writes) => this.storeWrites(writes), undefined, deps.outcomesJoinLater);
  }

  private storm(): StormConfig {
    return this.deps.settings.current().policy.storm;
  }

  /** Plans and starts sending everything pending; does not wait for the sends. */
  flush(): void {
    const { store, clock } = this.deps;
    const storm = this.storm();
    const now = clock.now();
    for (const person of store.policy.peopleWithPending(now)) {
      const sent = this.sentSummary(person, now, storm);
      // No room under the limit: nothing goes out now, so the held deliveries (thousands, in a
      // storm) are not read again for every update; the timer brings them back when it frees.
      const freesAt = budgetExhaustedUntil(sent, now, storm);
      if (freesAt !== null) {
        this.holdUntil(person, freesAt);
        continue;
      }
      const rows = this.stillWanted(
        store.policy.pending(person, now, DELIVERY_FORM).filter((r) => !this.inFlight.has(r.id)),
        now,
      );
      if (rows.length === 0) continue;
      const ids = new Map(rows.map((r) => [r.delivery, r.id] as const));
      const plan = planOutbox(
        rows.map((r) => r.delivery),
        sent,
        now,
        storm,
      );
      for (const d of plan.send) this.track(this.sendSingle(person, d, ids.get(d)!));
      if (plan.digest)
        this.track(
          this.sendDigest(
            person,
            plan.digest,
            plan.digest.items.map((d) => ids.get(d)!),
          ),
        );
      if (plan.keep.length > 0 && plan.holdUntil !== null) this.holdUntil(person, plan.holdUntil);
    }
  }

  /**
   * What the storm limits need of a person's sends, counted by the store: those inside the
   * limit's window up to the limit, and the last quiet digest however old (it paces the next one).
   * Reading every send of the window instead cost thousands of rows per flush in a storm.
   */
  private sentSummary(person: string, now: number, storm: StormConfig): SentSummary {
    const { policy } = this.deps.store;
    const { perMs, count } = storm.limit;
    const within = policy.sendsWithin(person, now - perMs, now, count);
    const lastQuiet = policy.lastSend(person, "quiet-digest");
    return { inWindow: within.count, oldestCountedAt: within.oldestAt, lastQuietAt: lastQuiet?.at ?? null };
  }

  /**
   * Stores the outcomes of sends that finished so far, now, in the caller's transaction: a commit
   * of their own wrote again the pages (history, deliveries) the caller's was about to write.
   */
  storeOutcomes(): void {
    this.outcomes.drain();
  }

  /** Resolves when every send started so far has finished (tests and clean shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
    // A storm's outcome queues its next slice as each is stored.
    while (this.outcomes.waiting > 0) this.outcomes.drain();
  }

  /**
   * A silence or a window may have ended sooner than it said (a silence lifted, a reload, a
   * start): every notice waiting for one to end is looked at again at the next flush.
   */
  releaseHeld(): void {
    if (this.deps.store.policy.releaseHeld(this.deps.clock.now()) > 0) this.deps.wake?.();
  }

  /**
   * Every minute while notices wait for a silence or a window to end: those whose alert changed
   * since they were put off (updated out of the silence or onto a rule without the window, acked,
   * cleared: its history moved on) are looked at again, as every one was every minute before,
   * without reading the others.
   */
  private sweepHeld(): void {
    if (this.sweep !== undefined) return;
    this.sweep = this.later(HELD_RECHECK_MS, () => {
      this.sweep = undefined;
      let held = true;
      try {
        const swept = this.deps.store.policy.releaseHeldChanged(this.deps.clock.now());
        held = swept.held;
        if (swept.released > 0) this.deps.wake?.();
      } catch (err) {
        // Looked at again at the next sweep (thrown out of its timer, it ended AlertBot).
        this.deps.log.error("looking again at notices held for a silence or a window failed; trying again", {
          err,
          retryInMs: HELD_RECHECK_MS,
        });
      }
      if (held) this.sweepHeld();
    });
  }

  /** Cancels pending fallbacks and holds; sends under way finish. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    this.holds.clear();
    this.sweep = undefined;
  }

  private async sendSingle(person: string, d: Delivery, id: number): Promise<void> {
    const { store, clock } = this.deps;
    const alert = store.alerts.get(d.shortId);
    if (!alert) return store.policy.finish(id, "failed", clock.now());
    // Before it is in flight: a send that cannot be recorded (the disk full) is not left in flight.
    store.policy.recordSend(person, "single", clock.now());
    const ok = await this.holding([id], async () => {
      if (!(await store.committed())) return null;
      return this.sendOn(
        person,
        d.channels,
        buildMessage(alert, d.kind, { reason: d.why, timeZone: this.deps.zoneOf?.(person, alert) }),
        [alert.shortId],
      );
    });
    if (ok === null) return;
    this.storeLater([id], () => {
      store.policy.finish(id, ok ? "sent" : "failed", clock.now());
      if (ok) store.policy.markHeard(person, [{ shortId: d.shortId, id }]);
      if (WANTS_ANSWER.has(d.kind)) this.armFallbacks(person, d, ok);
    });
  }

  private async sendDigest(person: string, digest: Digest, ids: number[]): Promise<void> {
    const { store, clock } = this.deps;
    const storm = this.storm();
    store.policy.recordSend(person, digest.kind, clock.now());
    const ok = await this.holding(ids, async () => {
      const shortIds = [...new Set(digest.items.map((d) => d.shortId))];
      // Notices about one alert read as that alert's notice (its loudest), never as "DIGEST 1 alert":
      // read whole, since that notice shows its detail, and only so (read brief first, its row was
      // read twice).
      // A storm's digest reads only the alerts it lists, and counts the rest: by name its first few,
      // and by number as many as an SMS can hold (see DIGEST_RANKED) when it goes by SMS. Reading
      // those for every digest made ranking a few hundred alerts most of a chat-only digest's cost.
      const listed = digest.channels.includes("sms") ? DIGEST_RANKED : Math.max(1, storm.digestTop);
      const alone = shortIds.length === 1 ? store.alerts.get(shortIds[0]!) : undefined;
      const ranked = store.alerts.mostUrgentOf(alone === undefined ? shortIds : [], listed);
      const only = alone ?? (ranked.shortIds.length === 1 ? store.alerts.get(ranked.shortIds[0]!) : undefined);
      const lead = only === undefined ? undefined : digest.items.find((d) => d.shortId === only.shortId);
      const message =
        only !== undefined && lead !== undefined
          ? buildMessage(only, lead.kind, { reason: lead.why, timeZone: this.deps.zoneOf?.(person, only) })
          : buildDigest(ranked.alerts, {
              show: storm.digestTop,
              reason: `${digest.count} notices at once (${digest.hint})`,
              counts: { alerts: ranked.shortIds.length, raised: ranked.raised },
            });
      if (!(await store.committed())) return null;
      return this.sendOn(person, digest.channels, message, only !== undefined ? [only.shortId] : ranked.shortIds);
    });
    if (ok === null) return;
    const at = clock.now();
    const told = digest.items.map((d, i) => ({ shortId: d.shortId, id: ids[i]! }));
    const chased = this.unansweredOf(digest, ok);
    const storeTold = (slice: ReadonlyArray<{ shortId: number; id: number }>): void => {
      store.policy.finishEach(
        slice.map((t) => t.id),
        ok ? "digested" : "failed",
        at,
      );
      if (ok) store.policy.markHeard(person, slice);
    };
    // A digest whose notices are chased (fallbacks) is stored whole, its fallbacks with it: stored
    // a slice at a time, a crash between two left the slices stored with no fallback armed, and
    // fallbacks armed a slice at a time fell due apart, several messages where one was planned.
    // One that arms none (a storm's reminders) goes a slice at a time.
    if (chased.length > 0)
      this.storeLater(ids, () => {
        storeTold(told);
        this.armFallbacksOf(person, chased, ok);
      });
    else this.storeInSlices(told, storeTold, (t) => t.id);
  }

  /**
   * A digest asks for an answer like the notices it stands for: each of them that would be chased
   * on its own (a page, not a reminder, which is told once on its step's channels) and is still
   * unanswered is told again on the digest's fallback channels, `after` the digest. They
   * wait in the outbox like any fallback, are dropped one by one as their alerts are acked or
   * cleared, and those falling due together are planned together (a digest again, past `digest_after`).
   */
  private unansweredOf(digest: Digest, delivered: boolean): Delivery[] {
    return digest.items
      .filter((d) => WANTS_ANSWER.has(d.kind) && (d.fallbacks.length > 0 || !delivered))
      .map((d) => ({ ...d, channels: digest.channels, fallbacks: digest.fallbacks }));
  }

  /** Sends one message about the alerts of `shortIds` on every channel named; true when at least one delivered it. */
  private async sendOn(
    person: string,
    names: readonly ChannelName[],
    message: NotificationMessage,
    shortIds: readonly number[],
  ): Promise<boolean> {
    const recipient = this.deps.settings.current().policy.people.find((p) => p.name === person);
    if (!recipient) {
      this.record(shortIds, "notify-failed", `no person named ${person}`);
      return false;
    }
    const outcomes = await Promise.all(
      sendingKinds(names).map((name) => this.sendVia(name, recipient, message, shortIds)),
    );
    return outcomes.some((o) => o.ok);
  }

  private async sendVia(
    name: NotifyChannel,
    to: Recipient,
    message: NotificationMessage,
    shortIds: readonly number[],
  ): Promise<DeliveryOutcome> {
    const channel = this.deps.settings.current().channels.get(name);
    const what = `${message.kind} to ${to.name} by ${name}`;
    if (!channel) {
      this.record(shortIds, "notify-failed", `${what}: no ${name} channel is configured`);
      return { ok: false, recoverable: false, error: "not configured" };
    }
    const startedAt = this.deps.clock.now();
    const outcome = await deliverWithRetry(channel, to, message, {
      clock: this.deps.clock,
      ...this.deps.retry,
      onAttempt: (outcome, attempt, next) => {
        this.deps.metrics?.noticeAttempt(name, outcome.ok, this.deps.clock.now() - startedAt);
        const retry = next.retryInMs !== null ? `; retry in ${Math.round(next.retryInMs / 1000)}s` : "";
        if (outcome.ok) this.record(shortIds, "notified", `${what}${attempt > 1 ? ` (attempt ${attempt})` : ""}`);
        else this.record(shortIds, "notify-failed", `${what}, attempt ${attempt}: ${outcome.error}${retry}`);
        if (!outcome.ok)
          this.deps.log.warn("delivery failed", { person: to.name, channel: name, attempt, error: outcome.error });
      },
    });
    this.deps.onOutcome?.(to.name, name, outcome);
    return outcome;
  }

  /**
   * While nobody answers, send on the next channels `after` the first send (chat unread → email).
   * A send that failed on every channel cannot be answered: the next channels go at once, and the
   * ones after them keep their spacing. Queued as deliveries that wait (durable: a restart keeps
   * them), with the timer woken for them; dropped as moot on ack or clear.
   */
  private armFallbacks(person: string, d: Delivery, delivered: boolean): void {
    this.armFallbacksOf(person, [d], delivered);
  }

  /** Queues the fallbacks of several deliveries sent as one message: one insert per tier, one wake. */
  private armFallbacksOf(person: string, sent: readonly Delivery[], delivered: boolean): void {
    const first = sent[0];
    if (first === undefined) return;
    const now = this.deps.clock.now();
    if (first.fallbacks.length === 0) {
      // Failed on every channel with none left to try (an SMS gateway down for someone told by SMS
      // alone): chat, which everyone has and their server keeps for them, rather than nothing.
      if (delivered || first.channels.includes("xmpp")) return;
      const why = (d: Delivery): string => `${d.channels.join("+")} failed, so by chat; ${d.why}`;
      const rows = sent.map((d) => ({ ...d, person, channels: ["xmpp" as const], fallbacks: [], why: why(d) }));
      this.deps.store.policy.addDeliveries(rows, now, now, DELIVERY_FORM);
      this.deps.wake?.();
      return;
    }
    const shift = delivered ? 0 : first.fallbacks[0]!.after;
    for (const fallback of first.fallbacks) {
      const after = fallback.after - shift;
      const rows = sent.map((d) => {
        const why =
          after === 0
            ? `${d.channels.join("+")} failed; ${d.why}`
            : `no answer after ${Math.round(fallback.after / 60_000)}m; ${d.why}`;
        return { ...d, person, channels: fallback.channels, fallbacks: [], why };
      });
      this.deps.store.policy.addDeliveries(rows, now, now + after, DELIVERY_FORM);
    }
    this.deps.wake?.();
  }

  /**
   * The notices of `rows` still to send now. A notice asking for an answer that was planned a
   * while ago (a fallback, or one the storm limit held back) may have been overtaken: its alert
   * answered or cleared meanwhile, or that raise cleared and the alert raised again (finished as
   * moot, unsent), or held since by suppress_until, a silence, its host going down or its window
   * shutting (it waits, and goes if the alert still asks for an answer once the hold has ended, as
   * the policy's own next steps do). And a notice about an alert the person heard of (an ack, a
   * note, a clear, a reminder) goes only if they did hear of it this raise (see `unheard`).
   */
  private stillWanted(rows: Array<StoredDelivery<Delivery>>, now: number): Array<StoredDelivery<Delivery>> {
    const { store } = this.deps;
    const older = rows.filter(
      (r) => WANTS_ANSWER.has(r.delivery.kind) && (r.notBefore !== null || now - r.createdAt > PLANNED_NOW_MS),
    );
    const followUps = rows.filter((r) => FOLLOW_UPS.has(r.delivery.kind));
    if (older.length === 0 && followUps.length === 0) return rows;
    const olderSet = new Set(older);
    const looked = [...new Set([...older, ...followUps])];
    // Whole alerts only for the notices that may wait for a hold (what holds an alert reads it
    // all); follow-ups ask only whether it still wants an answer and who heard of it.
    const olderIds = new Set(older.map((r) => r.shortId));
    const wholes = store.alerts.briefHeardEach([...olderIds]);
    const answers = store.alerts.answerHeardEach(
      [...new Set(followUps.map((r) => r.shortId))].filter((id) => !olderIds.has(id)),
    );
    const lookOf = (shortId: number): { answerWanted: boolean; raise: RaiseHeard; alert?: AlertRecord } | undefined => {
      const whole = wholes.get(shortId);
      if (whole === undefined) return answers.get(shortId);
      // As answerHeardEach reads it of a row.
      return {
        answerWanted: whole.alert.status === "raised" && !whole.alert.ack,
        raise: whole.raise,
        alert: whole.alert,
      };
    };
    const shortIds = [...new Set(looked.map((r) => r.shortId))];
    const person = rows[0]!.person;
    // What still waits to go to them about each of these alerts: needed only for a follow-up to
    // someone who has not heard of its raise, which is rare, so read once and only then, and kept
    // by alert: a storm's follow-ups each looked through all of it.
    let toGo: Map<number, Array<StoredDelivery<Delivery>>> | undefined;
    const stillToGo = (shortId: number): ReadonlyArray<StoredDelivery<Delivery>> =>
      (toGo ??= byAlert(store.policy.pendingAbout(person, shortIds, DELIVERY_FORM))).get(shortId) ?? [];
    const holdOf = this.deps.holdsAt?.(now);
    const moot: number[] = [];
    // Ids by the time they wait until, those waiting for a hold apart (pushed onto, not copied:
    // a storm's notices wait until the same time).
    const waiting = new Map<number, number[]>();
    const heldUntil = new Map<number, number[]>();
    const wait = (id: number, until: number, on = waiting): void => {
      const ids = on.get(until);
      if (ids === undefined) on.set(until, [id]);
      else ids.push(id);
    };
    for (const r of looked) {
      const look = lookOf(r.shortId);
      const answerWanted = look?.answerWanted === true;
      const raise = look?.raise ?? NOT_KEPT;
      if (FOLLOW_UPS.has(r.delivery.kind)) {
        const unheard = this.unheard(r, raise, stillToGo, answerWanted);
        if (unheard === "moot") {
          moot.push(r.id);
          continue;
        }
        if (unheard === "wait") {
          wait(r.id, now + HELD_RECHECK_MS);
          continue;
        }
      }
      if (!olderSet.has(r)) continue;
      // Queued before the alert's current raise began: the raise it was about has ended.
      const ended = r.id <= raise.floor;
      if (!answerWanted || ended) {
        moot.push(r.id);
        continue;
      }
      const hold = look?.alert !== undefined ? holdOf?.(look.alert) : undefined;
      if (!hold) continue;
      // A silence or a window ends when it says (the holds changing and the alert changing are
      // heard of: `releaseHeld`, `sweepHeld`); the others are looked at again every minute.
      if ((hold.reason === "silenced" || hold.reason === "window") && hold.until !== null)
        wait(r.id, hold.until, heldUntil);
      else wait(r.id, Math.min(hold.until ?? Infinity, now + HELD_RECHECK_MS));
    }
    if (moot.length === 0 && waiting.size === 0 && heldUntil.size === 0) return rows;
    store.transaction(() => {
      store.policy.finishEach(moot, "moot", now);
      for (const [until, ids] of waiting) store.policy.deferEach(ids, until, now);
      for (const [until, ids] of heldUntil) store.policy.deferEach(ids, until, now, true);
    });
    if (waiting.size > 0 || heldUntil.size > 0) this.deps.wake?.();
    if (heldUntil.size > 0) this.sweepHeld();
    const unsent = new Set(moot);
    for (const ids of [...waiting.values(), ...heldUntil.values()]) for (const id of ids) unsent.add(id);
    return rows.filter((r) => !unsent.has(r.id));
  }

  /**
   * Whether a notice about an alert the person heard of (ACKED, NOTE, CLEARED, REMINDER) finds
   * them not having heard of it: the policy counts whoever it paged as told, but the storm limit
   * may have held the page back, and an ack or a clear then dropped it unsent. Heard of means a
   * notice of the raise it is about was sent or digested to them, or one is going now. Not heard
   * of: an ack, a note or a clear is dropped, or waits behind the page while that page still waits
   * to go; a reminder is dropped while its page waits (the page says it all), and goes when every
   * page failed (one more try to reach them). Of a raise before any of this was kept, it goes:
   * better told twice than not at all.
   */
  private unheard(
    notice: StoredDelivery<Delivery>,
    raise: RaiseHeard,
    stillToGo: (shortId: number) => ReadonlyArray<StoredDelivery<Delivery>>,
    answerWanted: boolean,
  ): "moot" | "wait" | null {
    const ofEarlierRaise = notice.id <= raise.floor;
    const heard = ofEarlierRaise ? raise.heardBefore : raise.heard;
    if (heard === null || heard.includes(notice.person)) return null;
    const sameRaise = (id: number): boolean =>
      id < notice.id && (ofEarlierRaise ? id <= raise.floor : id > raise.floor);
    const before = stillToGo(notice.shortId).filter((k) => sameRaise(k.id));
    // A notice going out now: a page says all a reminder would, and an ack or a clear may follow it.
    const going = before.some((k) => this.inFlight.has(k.id));
    const pageWaits = going || before.some((k) => PAGES.has(k.delivery.kind));
    if (notice.delivery.kind === "reminder") return pageWaits ? "moot" : null;
    if (going) return null;
    return pageWaits && answerWanted ? "wait" : "moot";
  }

  private record(shortIds: readonly number[], kind: "notified" | "notify-failed", detail: string): void {
    const at = this.deps.clock.now();
    this.storeInSlices(
      shortIds,
      (slice) => this.deps.store.alerts.recordEach(slice, { kind, at, actor: "bot", detail }),
      () => null,
    );
  }

  /**
   * Stores what a send did to each of `items` (a digest's alerts) as `storeLater` does, but
   * OUTCOME_SLICE of them at a time, each slice with the outcomes of its own turn of the event loop:
   * a storm's digest of tens of thousands held the bot's thread while every one was written,
   * and chat and acks waited. Until its slice is stored a delivery stays pending and in flight, as
   * a whole digest's did until its outcome was stored: a crash in between sends the rest again.
   */
  private storeInSlices<T>(
    items: readonly T[],
    write: (slice: readonly T[]) => void,
    deliveryOf: (item: T) => number | null,
  ): void {
    const from = (start: number): void => {
      const end = Math.min(items.length, start + OUTCOME_SLICE);
      const slice = start === 0 && end === items.length ? items : items.slice(start, end);
      const ids = slice.map(deliveryOf).filter((id): id is number => id !== null);
      this.storeLater(ids, () => write(slice), end < items.length ? () => from(end) : undefined);
    };
    from(0);
  }

  /**
   * Runs `send` with the deliveries of `ids` in flight, and lets them go again when it ends with
   * nothing to store (null: what planned them was rolled back) or throws (a read of their alerts
   * that failed, an I/O error): they stayed in flight, never sent again until a restart, a page's
   * fallbacks never armed. What it returns, their outcome is stored with (storeLater) to let them go.
   */
  private async holding<T>(ids: readonly number[], send: () => Promise<T | null>): Promise<T | null> {
    for (const id of ids) this.inFlight.add(id);
    let result: T | null = null;
    try {
      result = await send();
      return result;
    } finally {
      if (result === null) this.release(ids);
    }
  }

  /**
   * Stores a send's outcome (history line, finished delivery, its fallbacks) with the others of
   * the same turn of the event loop, in one transaction: a commit per statement was most of the
   * bot's cost under load. Until then the delivery stays pending and in flight, so a crash in
   * between sends it again at the next start rather than losing it.
   */
  private storeLater(ids: readonly number[], write: () => void, then?: () => void): void {
    this.outcomes.add(then === undefined ? { write, ids } : { write, ids, then });
  }

  /**
   * Stores the outcomes of one turn in one transaction. Rolled back (the disk full for a moment, an
   * I/O error), each is tried again OUTCOME_RETRY_MS later, in flight meanwhile, so that it is not
   * sent twice; after OUTCOME_TRIES its deliveries are let go, pending, to be sent again, and the
   * outbox woken. They used to stay in flight, never sent again until a restart, their fallbacks
   * never armed: a page nobody answered was never chased.
   */
  private storeWrites(writes: ReadonlyArray<Outcome>): void {
    try {
      this.deps.store.transaction(() => writes.forEach((w) => w.write()));
      // Their deliveries stay in flight until the outcome is committed, here alone: taken into a
      // caller's transaction (storeOutcomes) and rolled back with it, they are tried again as if
      // their own had failed. Let go at once, they were pending again, sent again at the next
      // flush, their history lines gone.
      void this.deps.store.committed().then((stored) => {
        if (stored) for (const w of writes) this.release(w.ids);
        else this.notStored(writes, new Error("rolled back with the transaction they were stored in"));
      });
    } catch (err) {
      this.notStored(writes, err);
    } finally {
      // The next slices, whatever became of these: a slice that failed, or one beside it in its
      // turn, did not keep the rest of its outcome from being stored.
      for (const w of writes) w.then?.();
    }
  }

  /** Lets deliveries go: pending ones among them are sent at the next flush. */
  private release(ids: readonly number[]): void {
    for (const id of ids) this.inFlight.delete(id);
  }

  /** Outcomes whose transaction was rolled back: tried again later, or, tries spent, let go to be sent again. */
  private notStored(writes: ReadonlyArray<Outcome>, err: unknown): void {
    const retried = writes.filter((w) => (w.tries ?? 1) < OUTCOME_TRIES);
    const given = writes.filter((w) => (w.tries ?? 1) >= OUTCOME_TRIES);
    // The retried stay in flight meanwhile, so that they are not sent twice.
    for (const w of given) this.release(w.ids);
    this.deps.log.error(
      retried.length > 0
        ? "storing send outcomes failed; trying again shortly"
        : "storing send outcomes failed again; those deliveries stay pending and are sent again",
      {
        err,
        outcomes: writes.length,
        retried: retried.length,
        sentAgain: given.reduce((n, w) => n + w.ids.length, 0),
        retryInMs: OUTCOME_RETRY_MS,
      },
    );
    if (retried.length > 0) {
      const again = retried.map((w) => ({ write: w.write, ids: w.ids, tries: (w.tries ?? 1) + 1 }));
      const armed = this.later(OUTCOME_RETRY_MS, () => again.forEach((w) => this.outcomes.add(w)));
      // Stopped: nothing is tried again; what is pending is sent at the next start.
      if (armed === undefined) for (const w of retried) this.release(w.ids);
    }
    // A flush of its own: what is ready now has no due time to wake the bot's timer for.
    if (given.some((w) => w.ids.length > 0)) this.later(0, () => this.flush());
  }

  /**
   * Flushes again for `person` at `at`, with one timer per person: a timer per flush during a hold
   * made a storm of N updates end in N flushes at once, each reading every held delivery.
   */
  private holdUntil(person: string, at: number): void {
    const armed = this.holds.get(person);
    if (armed && armed.at <= at) return;
    if (armed) {
      armed.timer.cancel();
      this.timers.delete(armed.timer);
    }
    const timer = this.later(at - this.deps.clock.now(), () => {
      this.holds.delete(person);
      try {
        this.flush();
      } catch (err) {
        // Tried again shortly: thrown out of its timer, it ended AlertBot; let go, the notices the
        // limit held waited for the next update or due work to be looked at again.
        const retryAt = this.deps.clock.now() + FLUSH_RETRY_MS;
        this.deps.log.error("looking at notices the storm limit held failed; trying again shortly", {
          err,
          person,
          retryInMs: FLUSH_RETRY_MS,
        });
        this.holdUntil(person, retryAt);
      }
    });
    if (timer) this.holds.set(person, { at, timer });
  }

  private later(ms: number, fn: () => void): TimerHandle | undefined {
    if (this.stopped) return undefined;
    const timer = this.deps.clock.setTimer(Math.max(0, ms), () => {
      this.timers.delete(timer);
      fn();
    });
    this.timers.add(timer);
    return timer;
  }

  private track(p: Promise<void>): void {
    const tracked = p
      .catch((err: unknown) => {
        // Its notices were let go (holding), pending: looked at again shortly, not only at the
        // next update, which may be hours away.
        this.deps.log.error("dispatch failed; its notices are tried again shortly", {
          err,
          retryInMs: OUTCOME_RETRY_MS,
        });
        this.later(OUTCOME_RETRY_MS, () => this.flush());
      })
      .finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }
}

/** Deliveries by the alert they are about, each alert's in the order given. */
function byAlert<T extends { shortId: number }>(rows: readonly T[]): Map<number, T[]> {
  const by = new Map<number, T[]>();
  for (const r of rows) {
    const of = by.get(r.shortId);
    if (of === undefined) by.set(r.shortId, [r]);
    else of.push(r);
  }
  return by;
}
