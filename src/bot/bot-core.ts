import { systemClock, type Clock, type TimerHandle } from "../clock/clock.js";
import type { AlertUpdate } from "../codec/types.js";
import {
  ingestUpdate,
  processDue,
  processDueOf,
  type IngestOutcome,
  type LookBeforeSave,
  type RaiseHold,
  type StoredChange,
  type UpdateOrigin,
} from "../ingest/ingest-update.js";
import type { AlertRecord } from "../alerts/types.js";
import type { Logger } from "../log.js";
import { classify } from "../policy/matcher.js";
import { readerZone } from "../policy/zoned-time.js";
import type { DeliveryKind } from "../policy/delivery.js";
import { buildMessage } from "../notify/message.js";
import { Dispatcher } from "./dispatcher.js";
import {
  evaluateAlert,
  holdsAt,
  lookBeforeSave,
  policyLook,
  type PolicyInputs,
  type PolicyLook,
} from "./evaluate-alert.js";
import type { Store } from "../store/store.js";
import type { AlertSemantics } from "../alerts/state-machine.js";
import type { BotTrouble, CommandEffect } from "../commands/types.js";
import type { HostDownConfig } from "../policy/types.js";
import type { BotSettings, SettingsSource } from "./settings.js";
import { CommandRunner, type LineContext } from "./command-runner.js";
import { coalescingRunner, inSlices, nextTurn, TurnBatch } from "../util/batching.js";
import { clearHostDown, raiseHostsDown } from "./host-down.js";
import { agentReturnGraceMs, Hearing } from "./hearing.js";
import { FreezeWatch } from "./freeze-watch.js";
import { clearLinkDown, LINK_DOWN_ALERT_ID, raiseLinkDown } from "./link-down.js";
import { StandingOwnAlerts, type StandingCause } from "./own-alert.js";
import { CONFIG_ALERT_ID, clearConfigRefused, raiseConfigRefused, type ConfigRefusal } from "./config-refused.js";
import { REPLICA_ALERT_ID, clearReplicaStuck, raiseReplicaStuck, type ReplicaRefusal } from "./replica-stuck.js";
import { ClockSkewWatch, DEFAULT_MAX_CLOCK_SKEW_MS } from "./clock-skew.js";
import {
  ChannelHealth,
  channelAlertId,
  clearChannelFailing,
  mootChannelAlerts,
  raiseChannelFailing,
} from "./channel-health.js";
import type { ChannelKind } from "../notify/channel.js";
import { storageAlarmRecipients } from "./storage-alarm.js";
import {
  clearRefusedUpdates,
  raiseRefusedUpdates,
  REFUSED_ALERT_ID,
  REFUSED_ITEMS_KEPT,
  RefusedUpdates,
  rewriteRefusedUpdates,
} from "./refused-updates.js";
import { tellUnstored } from "./unstored-notice.js";
import { StorageUnavailableError } from "../errors.js";
import type { BotMetrics } from "../http/metrics.js";
import type { RetryPolicy } from "../util/backoff.js";

/** How the core sends a chat line; the XMPP edge implements it. */
export interface ChatPort {
  /** Sends a chat message; resolves once handed to the server, rejects when it could not be. */
  send(toJid: string, body: string): Promise<void>;
}

/** Everything the core needs, injected. */
export interface BotCoreDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  /** The current people, policy, channels and ack limits; a change makes every raised alert be looked at again. */
  settings: SettingsSource<BotSettings>;
  inputs: PolicyInputs;
  /** Delivery retry knobs (tests shorten them). */
  retry?: RetryPolicy;
  /** Posts a line to a workgroup's room (when it has one). */
  roomPost?: (workgroup: string, line: () => string) => Promise<void>;
  /** Counters for /metrics; absent, nothing is counted. */
  metrics?: BotMetrics | undefined;
  /**
   * The source of AlertBot's own alerts about itself (its component JID); default "alertbot". No
   * sender may speak for it, or for a name that reads like it.
   */
  ownSource?: string;
  /** The account `udp.handover` names for a source heard without an account (bare JID), read live. */
  handoverOf?: (source: string) => string | undefined;
  /** What is wrong with AlertBot itself now that no alert records (see storage-alarm.ts). */
  troubles?: () => readonly BotTrouble[];
  /**
   * The clock a freeze of AlertBot's own process is judged by (freeze-watch.ts). Default: the system
   * clock, even where `clock` is a simulated one: a leap of simulated time is no freeze.
   */
  realClock?: Clock;
}

/**
 * The bot without its protocol edges: applies updates, runs what falls due, tells people.
 * Transport-agnostic so it can be driven by pubsub events, UDP packets or tests alike.
 */
export class BotCore {
  private readonly timer: DueTimer;
  /** Work done a slice at a time ends at its next slice: the store may be closed by then. */
  private stopped = false;
  private readonly runTick = coalescingRunner(async () => {
    await this.runDue();
    this.timer.rearm();
  });

  private readonly dispatcher: Dispatcher;
  /** Notices in a row that failed, per person and channel: AlertBot's own alert past a few. */
  private readonly channels = new ChannelHealth({
    raise: (person, channel, failures, lastError) =>
      void this.channelFailing(person, channel, failures, lastError).catch((err: unknown) =>
        this.deps.log.error("cannot raise AlertBot's channel alert", { err }),
      ),
    clear: (person, channel) =>
      this.channelWorks(person, channel).then(
        () => true,
        (err: unknown) => {
          this.deps.log.error("cannot clear AlertBot's channel alert; the next notice delivered tries again", { err });
          return false;
        },
      ),
  });
  private readonly skew: ClockSkewWatch;
  /** Commands from chat, rooms and forms all go through here. */
  readonly commands: CommandRunner;
  /** When an agent still within its grace runs out of it (host-down check). */
  private hostsNextAt: number | null = null;
  /** Whom AlertBot could hear since when: its own outage is not its senders' silence (hearing.ts). */
  private readonly hearing = new Hearing();
  /** Updates refused since AlertBot's alert about them was clear (refused-updates.ts). */
  private readonly refused = new RefusedUpdates();
  /** True while that alert is to be raised at the next tick. */
  private refusedToRaise = false;
  /** AlertBot's own alerts whose cause stands (a refused file, the link down): raised again while it does. */
  private readonly standing = new StandingOwnAlerts();
  /**
   * The alerts the updates being applied just saved, as stored, while their transaction is open
   * (see `applyQueued`): the first round over due alerts takes them from here.
   */
  private justSaved: ReadonlyMap<number, AlertRecord> | null = null;
  /** When each source last sent its full state (a `replace` update), since the bot started. */
  private readonly fullStates = new Map<string, number>();
  /** Told of every change a board would show (see `watch`). */
  private readonly watchers: Array<() => void> = [];
  /** Notices AlertBot's own process not running for a while (freeze-watch.ts). */
  private readonly freeze: FreezeWatch;
  /**
   * Updates waiting to be applied together (see `applyQueued`), a bounded chunk per turn of the
   * event loop: between chunks the bot reads on, so a command or a chat line that arrived behind a
   * storm of updates is answered at once, and the notices of each chunk go out before the next.
   */
  private readonly queued = new TurnBatch<QueuedUpdate>((batch) => this.applyQueued(batch), {
    perRun: INGEST_CHUNK,
    highWater: INGEST_HIGH_WATER,
  });

  constructor(private readonly deps: BotCoreDeps) {
    this.freeze = new FreezeWatch(deps.realClock ?? systemClock, (gapMs) => {
      this.hearing.froze(deps.clock.now());
      deps.log.warn("AlertBot did not run for a while: every sender gets a fresh grace", {
        gapMs,
        why: "its host or VM was paused, the process stopped (SIGSTOP) or its event loop held: what was sent meanwhile is still being read, so a heartbeat that fell due meanwhile says nothing of its sender",
      });
      this.timer.rearm();
    });
    this.timer = new DueTimer(
      deps.clock,
      deps.log,
      () =>
        earliest(
          earliest(
            earliest(earliest(deps.store.alerts.nextDue(), this.hostsNextAt), deps.store.policy.nextWaiting()),
            this.refusedToRaise ? deps.clock.now() : earliest(this.refused.quietAt(), this.refused.rewriteAt()),
          ),
          this.hearing.nextAt(this.settings().policy.hostDown.graceMs),
        ),
      () => void this.tick(),
    );
    this.skew = new ClockSkewWatch(
      deps.store,
      deps.log,
      () => deps.settings.current().maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS,
    );
    this.commands = new CommandRunner({
      store: deps.store,
      clock: deps.clock,
      log: deps.log,
      settings: deps.settings,
      inputs: deps.inputs,
      metrics: deps.metrics,
      ...(deps.troubles ? { troubles: deps.troubles } : {}),
    });
    this.dispatcher = new Dispatcher({
      store: deps.store,
      clock: deps.clock,
      log: deps.log,
      settings: deps.settings,
      ...(deps.retry ? { retry: deps.retry } : {}),
      wake: () => this.timer.rearm(),
      outcomesJoinLater: () => this.queued.waiting > 0,
      metrics: deps.metrics,
      onOutcome: (person, channel, outcome) => this.channels.outcome(person, channel, outcome),
      holdsAt: (now) => holdsAt(deps.store, this.settings().policy, deps.inputs, now),
      zoneOf: (person, alert) => {
        const { policy } = this.settings();
        return readerZone(policy, person, classify(policy.rules, alert).workgroup);
      },
    });
    // Who is told and when may have changed: every raised alert is looked at again. Sends under way
    // finish with the channels they started on.
    deps.settings.onChange(async () => {
      this.clearMootChannelAlerts();
      this.dispatcher.releaseHeld();
      await this.reconsider();
    });
  }

  private settings(): BotSettings {
    return this.deps.settings.current();
  }

  /** Starts acting on what is due, including what fell due while the bot was down. */
  start(): Promise<void> {
    // Raised before a restart, the alert about refused updates clears an hour from now unless more come.
    if (this.deps.store.alerts.find(this.ownSource, REFUSED_ALERT_ID)?.status === "raised")
      this.refused.adoptRaised(this.deps.clock.now());
    // The configuration may have changed while AlertBot was down (or this standby's differs from
    // the active's): notices waiting for a silence or a window to end are looked at again.
    this.dispatcher.releaseHeld();
    this.freeze.start();
    return this.tick();
  }

  /**
   * An update AlertBot refused (ingest's reason, or an item it could not read): logged and counted
   * where it was refused; here, every one is counted in /metrics, the first since AlertBot's alert
   * about them was clear raises it, and later ones rewrite its text (at most every few minutes).
   */
  refusedUpdate(source: string, via: string, reason: string): void {
    this.deps.metrics?.updateRefused(via, reason);
    const rewriteWasDue = this.refused.rewriteAt() !== null;
    if (this.refused.note(source, via, reason, this.deps.clock.now())) this.refusedToRaise = true;
    // Only when something new falls due: a storm must not read the due index once per datagram.
    else if (rewriteWasDue || this.refused.rewriteAt() === null) return;
    this.timer.rearm();
  }

  /** Stops the due timer and pending fallbacks; sends under way finish (see `idle`). */
  stop(): void {
    this.stopped = true;
    this.freeze.stop();
    this.timer.stop();
    this.dispatcher.stop();
    this.commands.stop();
  }

  /** Resolves when every notification started so far has its outcome. */
  idle(): Promise<void> {
    return this.dispatcher.idle();
  }

  /**
   * AlertBot heard nobody until now (it was not running, or could not write what it heard): every
   * sender gets the host-down grace from now (a UDP or HTTP sender its own heartbeat timeout, when
   * longer) before a scheduled raise standing for its silence fires. Call before `start`.
   */
  startedHearing(): void {
    this.hearing.started(this.deps.clock.now());
  }

  /** AlertBot cannot keep what it hears (its database cannot be written): nobody's silence counts until `startedHearing`. */
  cannotHearAnyone(): void {
    this.hearing.deafToAll();
  }

  /** AlertBot's XMPP link is down (or not up yet): no agent's silence counts until it is back. */
  cannotHearAgents(): void {
    this.hearing.deaf();
  }

  /**
   * AlertBot hears its agents again (its XMPP link up, their nodes read again): every agent gets the
   * host-down grace from now, within which it is to be heard from (its presence, or an update it
   * publishes live), or it counts as down since now.
   * Agents: accounts whose presence AlertBot heard, and those that published sequenced updates (a
   * mauve-agent, which stays online); not an account only mauvesend publishes with, never online.
   */
  async hearingAgents(): Promise<void> {
    const agents = new Set(
      this.deps.store.sources
        .all()
        .filter((s) => s.ownerJid !== "" && s.lastSequence > 0n)
        .map((s) => s.ownerJid),
    );
    this.hearing.listening(this.deps.clock.now(), agents);
    await this.tick();
  }

  /** Whether AlertBot awaits word of any agent: until then, a live update needs no look at its sender. */
  get awaitingAgents(): boolean {
    return this.hearing.awaiting;
  }

  /**
   * An update `source`'s agent published just now (not one read back from its node): word that it
   * is there, as its presence would be. Nothing to do unless AlertBot awaits word of it.
   */
  async publishedLive(source: string): Promise<void> {
    if (!this.hearing.awaiting) return;
    const owner = this.deps.store.sources.get(source)?.ownerJid;
    if (owner && this.hearing.heard(owner)) await this.markBack(owner);
  }

  /**
   * An agent's presence went away, or it stopped answering pings at `since` (agent-probe.ts): its
   * sources count as down from then (host-down after the grace), or from earlier if they already were.
   */
  async agentAway(ownerJid: string, since = this.deps.clock.now()): Promise<void> {
    this.hearing.presence(ownerJid);
    this.deps.store.sources.markDown(ownerJid, since);
    this.deps.log.info("agent went away", { agent: ownerJid });
    this.changed();
    await this.tick();
  }

  /** An agent's presence is back: clear its host-down alerts, and let its held alerts go on. */
  async agentBack(ownerJid: string): Promise<void> {
    this.hearing.presence(ownerJid);
    await this.markBack(ownerJid);
  }

  private async markBack(ownerJid: string): Promise<void> {
    const { store, clock, log } = this.deps;
    const back = store.sources.markUp(ownerJid);
    for (const source of back) log.info("agent is back", { agent: ownerJid, source });
    if (back.length > 0) this.changed();
    const cleared = store.transaction(() => back.filter((source) => clearHostDown(store, source, clock.now())));
    // The clears are told first, as their own notices; then the alerts they held go on.
    if (cleared.length > 0) await this.tick();
    if (back.length > 0) await this.reconsider();
  }

  /** AlertBot's link to its server has been down past the grace: its own alert goes out (link-down.ts). */
  async linkDown(source: string, since: number, reason: string, drops = 1): Promise<void> {
    const { clock, log } = this.deps;
    await this.ownCauseStands(
      LINK_DOWN_ALERT_ID,
      {
        raise: (store, importance, now, semantics) =>
          raiseLinkDown(store, { source, since, reason, importance, drops }, now, semantics),
        raisedAgain: (now) =>
          log.error(
            "still cut off from the XMPP server, and AlertBot's own alert about it was not raised: raised again",
            {
              alert: LINK_DOWN_ALERT_ID,
              sinceMs: now - since,
            },
          ),
      },
      () =>
        log.error("cut off from the XMPP server past the grace: AlertBot's own alert raised", {
          alert: LINK_DOWN_ALERT_ID,
          sinceMs: clock.now() - since,
          reason,
          drops,
        }),
    );
  }

  /** AlertBot's link to its server is up: its own alert, if raised, clears. */
  async linkUp(source: string): Promise<void> {
    const { store, clock, log } = this.deps;
    this.standing.ended(LINK_DOWN_ALERT_ID);
    await this.ownAlertWritten(
      () => clearLinkDown(store, source, clock.now()),
      () => log.info("connected to the XMPP server again: AlertBot's own alert cleared", { alert: LINK_DOWN_ALERT_ID }),
    );
  }

  /** A reload refused the configuration file: AlertBot's own alert goes out (config-refused.ts). */
  async configRefused(refusal: ConfigRefusal): Promise<void> {
    const { log } = this.deps;
    await this.ownCauseStands(
      CONFIG_ALERT_ID,
      {
        raise: (store, importance, now, semantics) =>
          raiseConfigRefused(store, this.ownSource, refusal, importance, now, semantics),
        raisedAgain: () =>
          log.error("configuration still refused, and AlertBot's own alert about it was not raised: raised again", {
            alert: CONFIG_ALERT_ID,
            file: refusal.file,
          }),
      },
      () =>
        log.error("configuration refused: AlertBot's own alert raised", { alert: CONFIG_ALERT_ID, file: refusal.file }),
    );
  }

  /** The configuration file loaded (at a reload, or at start): AlertBot's own alert, if raised, clears. */
  async configLoaded(file?: string): Promise<void> {
    const { store, clock, log } = this.deps;
    this.standing.ended(CONFIG_ALERT_ID);
    await this.ownAlertWritten(
      () => clearConfigRefused(store, this.ownSource, file, clock.now()),
      () => log.info("configuration loaded: AlertBot's own alert cleared", { alert: CONFIG_ALERT_ID, file }),
    );
  }

  /** The replica log refused batches for longer than sends wait: AlertBot's own alert goes out (replica-stuck.ts). */
  async replicaLogStuck(refusal: ReplicaRefusal): Promise<void> {
    const { log } = this.deps;
    await this.ownCauseStands(
      REPLICA_ALERT_ID,
      {
        raise: (store, importance, now, semantics) =>
          raiseReplicaStuck(store, this.ownSource, refusal, importance, now, semantics),
        raisedAgain: () =>
          log.error("replica log still refused, and AlertBot's own alert about it was not raised: raised again", {
            alert: REPLICA_ALERT_ID,
          }),
      },
      () =>
        log.error("replica log refused: AlertBot's own alert raised", {
          alert: REPLICA_ALERT_ID,
          condition: refusal.condition,
        }),
    );
  }

  /** The replica log takes batches: AlertBot's own alert about it, if raised, clears. */
  async replicaLogFlowing(): Promise<void> {
    const { store, clock, log } = this.deps;
    this.standing.ended(REPLICA_ALERT_ID);
    await this.ownAlertWritten(
      () => clearReplicaStuck(store, this.ownSource, clock.now()),
      () => log.info("replica log takes batches again: AlertBot's own alert cleared", { alert: REPLICA_ALERT_ID }),
    );
  }

  /** Notices to `person` on `channel` keep failing: AlertBot's own alert goes out (channel-health.ts). */
  private async channelFailing(
    person: string,
    channel: ChannelKind,
    failures: number,
    lastError: string,
  ): Promise<void> {
    const { store, clock, log } = this.deps;
    const { policy, semantics } = this.settings();
    const failing = {
      source: this.ownSource,
      person,
      channel,
      failures,
      lastError,
      importance: policy.hostDown.importance,
    };
    await this.ownAlertWritten(
      () => raiseChannelFailing(store, failing, clock.now(), semantics),
      () =>
        log.error("notices to a person keep failing on a channel: AlertBot's own alert raised", {
          alert: channelAlertId(channel, person),
          person,
          channel,
          failures,
          lastError,
        }),
    );
  }

  /** A notice reached `person` on `channel`: AlertBot's alert about that channel, if raised, clears. */
  private async channelWorks(person: string, channel: ChannelKind): Promise<void> {
    const { store, clock, log } = this.deps;
    await this.ownAlertWritten(
      () => clearChannelFailing(store, this.ownSource, channel, person, clock.now()),
      () =>
        log.info("a notice reached the person on that channel again: AlertBot's own alert cleared", {
          alert: channelAlertId(channel, person),
          person,
          channel,
        }),
    );
  }

  /**
   * Writes one of AlertBot's own alerts (`write` raises or clears it, false when there was nothing
   * to do) and, when it changed, says so, tells the boards and runs what it made due.
   */
  private async ownAlertWritten(write: () => boolean, said: () => void): Promise<void> {
    if (!this.deps.store.transaction(write)) return;
    said();
    this.changed();
    await this.tick();
  }

  /**
   * The cause of AlertBot's alert `alertId` stands: the alert is raised now (`said` once it is
   * written), and again at each tick while the cause stands and it is not raised (`standing`).
   */
  private async ownCauseStands(alertId: string, cause: StandingCause, said: () => void): Promise<void> {
    const { store, clock } = this.deps;
    const { policy, semantics } = this.settings();
    this.standing.stands(alertId, cause);
    await this.ownAlertWritten(() => cause.raise(store, policy.hostDown.importance, clock.now(), semantics), said);
  }

  /** After a reload: AlertBot's channel alerts no notice can clear any more (channel-health.ts) clear now. */
  private clearMootChannelAlerts(): void {
    const { store, clock, log } = this.deps;
    // AlertBot's own alerts only: every raised alert read whole held the thread in a storm.
    const own = [...store.alerts.ofSource(this.ownSource).values()];
    const moot = mootChannelAlerts(own, this.ownSource, this.settings().policy.people);
    if (moot.length === 0) return;
    store.transaction(() => {
      for (const m of moot) clearChannelFailing(store, this.ownSource, m.channel, m.person, clock.now(), m.why);
    });
    for (const m of moot)
      log.info("AlertBot's own channel alert cleared by the new configuration", {
        alert: channelAlertId(m.channel, m.person),
        why: m.why,
      });
    this.changed();
  }

  private get ownSource(): string {
    return this.deps.ownSource ?? "alertbot";
  }

  /**
   * Tells the people on call for AlertBot's own alerts, on every channel they have for its level,
   * storing nothing: for when the database cannot be written (storage-alarm.ts).
   */
  async tellDirectly(kind: "raised" | "cleared", subject: string, text: string): Promise<void> {
    const { clock, inputs, log } = this.deps;
    const { policy, channels } = this.settings();
    const recipients = storageAlarmRecipients(policy, inputs.presence, this.ownSource, clock.now());
    const send = {
      clock,
      log,
      channels,
      retry: this.deps.retry,
      onAttempt: (channel: ChannelKind, ok: boolean, elapsedMs: number) =>
        this.deps.metrics?.noticeAttempt(channel, ok, elapsedMs),
    };
    await tellUnstored(send, policy.people, recipients, { kind, subject, text });
  }

  /** Asks the policy to look at every raised alert again (after a silence or presence change). */
  async reconsider(): Promise<void> {
    const { store, clock } = this.deps;
    const now = clock.now();
    // A slice at a time with the event loop let in between: a silence set in a big storm made
    // them all due in one statement, and the person's own answer waited behind it.
    const done = await inSlices(
      (after) => store.alerts.lookAgainAtRaisedAfter(now, after, LOOK_AGAIN_SLICE),
      () => this.stopped,
    );
    if (done && !this.stopped) await this.tick();
  }

  /**
   * Applies a decoded update and tells people what changed. `refusedBefore`: it came in a pubsub
   * item AlertBot refused before (see {@link itemRefusedBefore}), so a refusal of it is logged at
   * debug only, neither counted nor raised again.
   */
  applyUpdate(update: AlertUpdate, origin: UpdateOrigin, refusedBefore = false): Promise<IngestOutcome> {
    return new Promise((settle) => this.queued.add({ update, origin, refusedBefore, settle }));
  }

  /**
   * Whether AlertBot refused this pubsub item (or an alert of it) before: an agent's node keeps its
   * items, read again at every start and reconnection, and what was told once must not be told at
   * each of them (refused-updates raised again after it cleared, the refusal counted twice).
   */
  itemRefusedBefore(node: string, itemId: string, digest: () => string): boolean {
    return this.deps.store.refusedItems.seen(node, itemId, digest);
  }

  /**
   * Remembers that a refusal of this pubsub item was told. Not stored (the database cannot be
   * written), the item is refused and told again when read again, as it always was: better told
   * twice than lost.
   */
  rememberRefusedItem(node: string, itemId: string, digest: string): void {
    const { store, clock, log } = this.deps;
    try {
      store.transaction(() => store.refusedItems.remember(node, itemId, digest, clock.now(), REFUSED_ITEMS_KEPT));
    } catch (err) {
      log.warn("a refused item could not be remembered: it will be refused again when read again", {
        node,
        itemId,
        err,
      });
    }
  }

  /**
   * Applies the updates that arrived in one turn of the event loop (one read from the server often
   * carries dozens of pubsub events) and runs the policy on them, in one transaction: a commit per
   * update was most of the bot's cost under load. Each update keeps its own savepoint, so one that
   * fails is rolled back alone; the callers hear back once the policy has run.
   */
  private applyQueued(batch: readonly QueuedUpdate[]): void {
    const results: Array<{ outcome: IngestOutcome } | { error: unknown }> = [];
    let ticked: Promise<void> = Promise.resolve();
    try {
      this.deps.store.transaction(() => {
        this.dispatcher.storeOutcomes();
        const look = this.lookBeforeSave(batch);
        for (const { update, origin, refusedBefore } of batch) {
          try {
            results.push({ outcome: this.ingest(update, origin, refusedBefore, look) });
          } catch (error) {
            results.push({ error });
          }
        }
        const { saved, looked } = savedBy(results);
        if (saved.size > 0 || looked > 0) {
          // The tick's first round runs now, inside this transaction, so these records are current
          // (more than a round's worth wait for the due index, a round at a time). It also plans
          // the notices of those the policy looked at as they were written.
          this.justSaved = saved.size <= DUE_CHUNK ? saved : null;
          try {
            ticked = this.tick();
          } finally {
            this.justSaved = null;
          }
          this.changed();
        }
      });
    } catch (error) {
      for (const { settle } of batch) settle(Promise.reject(error));
      return;
    }
    batch.forEach(({ settle }, i) => {
      const r = results[i]!;
      settle("error" in r ? Promise.reject(r.error) : ticked.then(() => r.outcome));
    });
  }

  /**
   * The policy's look at the alerts of `batch` as they are written (evaluate-alert.ts), up to a
   * round's worth: their rows are written once, with what it decided.
   */
  private lookBeforeSave(batch: readonly QueuedUpdate[]): LookBeforeSave {
    const { store, clock, log, inputs } = this.deps;
    const updatesOf = new Map<string, number>();
    for (const { update } of batch) updatesOf.set(update.source, (updatesOf.get(update.source) ?? 0) + 1);
    return lookBeforeSave({
      store,
      policy: this.settings().policy,
      inputs,
      log,
      now: () => clock.now(),
      limit: DUE_CHUNK,
      once: (source) => updatesOf.get(source) === 1,
      // An update that fails is rolled back alone: its room lines wait for the commit (postToRoom).
      told: (alert, deliveries) => this.postToRoom(alert, deliveries[0]!.kind),
    });
  }

  private ingest(
    update: AlertUpdate,
    origin: UpdateOrigin,
    refusedBefore: boolean,
    look?: LookBeforeSave,
  ): IngestOutcome {
    const { store, clock, log } = this.deps;
    const semantics = this.settings().semantics;
    const outcome = ingestUpdate(store, update, origin, clock.now(), {
      ...(semantics ? { semantics } : {}),
      ...(look ? { look } : {}),
      ownSource: this.ownSource,
      ...(this.deps.handoverOf ? { handoverOf: this.deps.handoverOf } : {}),
    });
    const refusedAgain = refusedBefore && (outcome.status === "rejected" || outcome.status === "stale");
    // An item refused before and read again (a start's or a reconnection's catch-up) is counted as
    // what it is, a duplicate: counted as refused again, every restart looked like a burst of bad
    // updates to an admin's rate alert on this counter.
    this.deps.metrics?.updateIngested(origin.via, refusedAgain ? { status: "duplicate" } : outcome);
    const fields = { source: update.source, transmissionId: update.transmissionId, via: origin.via };
    if (refusedAgain)
      log.debug("update of an item refused before, refused again: not told again", {
        ...fields,
        status: outcome.status,
      });
    else if (outcome.status === "rejected") {
      log.warn("update rejected", { ...fields, reason: outcome.reason });
      this.refusedUpdate(update.source, origin.via, outcome.reason);
    } else if (outcome.status === "stale") {
      log.warn("stale update ignored", { ...fields, sequence: outcome.sequence, lastSequence: outcome.lastSequence });
      // An agent's node re-read at a start holds only updates AlertBot remembers (duplicates): one
      // behind the source's sequence is an agent restored from a backup, or two agents on one
      // source, and every update of it is being dropped.
      this.refusedUpdate(
        update.source,
        origin.via,
        `refused as stale: sequence ${outcome.sequence} is not past ${outcome.lastSequence} (an agent whose state was restored from a backup, or two agents sending for one source?)`,
      );
    } else if (outcome.status === "duplicate") log.debug("duplicate update ignored", fields);
    else {
      if (update.replace) this.fullStates.set(update.source, clock.now());
      log.debug("update applied", { ...fields, changes: outcome.changes.length });
      this.skew.observe(update, clock.now());
    }
    return outcome;
  }

  /**
   * Answers a chat line. Strangers get a polite refusal and change nothing; after a command what it
   * declared it changed is acted on at once (an ack tells the others, and schedules the ack's
   * expiry). With `answer`, the reply is given to it (and null returned); without, it is returned.
   * The line is a one-to-one chat unless `line` says otherwise (`web` hands out links only there).
   */
  async handleChat(
    fromJid: string,
    body: string,
    answer?: (reply: string) => Promise<void>,
    { direct = true, sentAt }: LineContext = {},
  ): Promise<string | null> {
    const { reply, outcome } = await this.commands.run(fromJid, body, answer, { direct, sentAt });
    // The answer goes out before what the command sets in motion: "unack 42" is confirmed before
    // the notice it re-sends, not after.
    if (reply !== null && answer) await answer(reply);
    if (outcome?.ok) await this.applyEffects(outcome.effects);
    return answer ? null : reply;
  }

  /**
   * Acts on what a successful command declared it changed, whichever door it came through: changed
   * alerts are news for the others already told, so the policy runs at once; a new or ended silence
   * changes what every raised alert owes.
   */
  async applyEffects(effects: readonly CommandEffect[]): Promise<void> {
    if (effects.includes("silences-lifted")) this.dispatcher.releaseHeld();
    if (effects.includes("silences-changed")) await this.reconsider();
    else if (effects.includes("alerts-changed")) void this.tick();
    if (effects.length > 0) this.changed();
  }

  /** Runs a command from the web board (see CommandRunner.runFromBoard) and acts on what it changed. */
  async handleBoard(jid: string, body: string): Promise<{ ok: boolean; reply: string }> {
    const outcome = await this.commands.runFromBoard(jid, body);
    if (outcome.ok) await this.applyEffects(outcome.effects);
    return { ok: outcome.ok, reply: outcome.reply };
  }

  /** When `source` last sent its full state (a `replace` update) since the bot started, if it has. */
  lastFullState(source: string): number | undefined {
    return this.fullStates.get(source);
  }

  /** Calls `listener` after anything that may change what a board shows (updates, due work, commands, agents). */
  watch(listener: () => void): void {
    this.watchers.push(listener);
  }

  /** Tells the watchers something a board shows changed outside the core (AlertBot's own trouble). */
  changed(): void {
    for (const listener of this.watchers) listener();
  }

  /**
   * Runs everything due now: scheduled transitions, ack expiry, and notices owed. Ticks never overlap
   * (two at once could tell the same notice twice); a tick asked for during one runs right after it.
   */
  tick(): Promise<void> {
    return this.runTick();
  }

  // One transaction per chunk of due alerts, the sends' bookkeeping included: each step committing
  // on its own wrote the same pages to the WAL again and again, for every update.
  // Chunks, with the event loop let in between, because looking again at every open alert after a
  // silence takes long with a large backlog, and chat, commands and updates must not wait for all of it.
  private async runDue(): Promise<void> {
    // Before anything due is acted on: after a freeze, the update that woke the process may be read first.
    this.freeze.look();
    const { store, clock, log, inputs } = this.deps;
    const { policy, semantics } = this.settings();
    const seen = new Set<number>();
    for (let first = true, last = false; !last; first = false) {
      if (!first) await nextTurn();
      if (this.stopped) return;
      try {
        store.transaction(() => {
          const now = clock.now();
          const hold = this.raiseHold(now, policy.hostDown.graceMs);
          let look: PolicyLook | undefined;
          const evaluate = (changes: readonly StoredChange[]): void => {
            if (changes.length === 0) return;
            this.changed();
            look ??= policyLook(store, inputs, now);
            for (const { alert } of changes) {
              seen.add(alert.shortId);
              const told = evaluateAlert(store, policy, inputs, log, alert, now, look);
              if (told.length > 0) this.postToRoom(alert, told[0]!.kind);
            }
          };
          // What an update just saved is looked at as it was saved: reading it back through the
          // due index cost more than the policy's own look at a fresh raise. First, before anything
          // else this round saves, so that the records are still what the store holds.
          if (first && this.justSaved) evaluate(processDueOf(store, this.justSaved.values(), now, hold));
          if (first) this.markUnheardDown(now, policy.hostDown.graceMs);
          if (first) this.raiseHostsDown(policy.hostDown, now, semantics);
          if (first) this.lookAtRefused(policy.hostDown.importance, now, semantics);
          if (first && this.standing.raiseAgain(store, policy.hostDown.importance, now, semantics)) this.changed();
          const seenBefore = seen.size;
          const changes = processDue(store, now, DUE_CHUNK, hold);
          evaluate(changes);
          // A short chunk is the last; so is one of alerts already looked at in this run (the
          // policy wants them again at once: they wait for the timer). The outbox is planned once,
          // at the end: it reads every pending delivery.
          last = changes.length < DUE_CHUNK || seen.size === seenBefore;
          if (last) this.dispatcher.flush();
        });
      } catch (err) {
        // Tried again at the next tick (every 250 ms while something is due): the storage alarm
        // has said once, loudly, that the database cannot be written.
        if (err instanceof StorageUnavailableError) log.debug("processing due alerts failed", { reason: err.reason });
        else log.error("processing due alerts failed", { err });
        return;
      }
    }
  }

  /**
   * Tells the alert's workgroup room what just happened to it, in one line (built only when there
   * is a room). `alert` is as the policy just looked at it: reading it again for every alert told
   * cost more than the line, and most workgroups have no room.
   */
  private postToRoom(alert: AlertRecord, kind: DeliveryKind): void {
    const { roomPost } = this.deps;
    if (!roomPost) return;
    const { policy } = this.settings();
    const workgroup = classify(policy.rules, alert).workgroup;
    // Only once what it tells of is stored: a rolled-back write would leave the room a line about nothing.
    void this.deps.store
      .committed()
      .then((stored) =>
        stored ? roomPost(workgroup, () => buildMessage(alert, kind).text.split("\n")[0] ?? "") : undefined,
      );
  }

  /**
   * Raises AlertBot's alert about refused updates when one came, rewrites its text when more came
   * (see REFUSED_TEXT_EVERY_MS), and clears it after an hour without. Noted in memory only once that is stored: a round rolled back (the disk full) raises or
   * clears it at the next tick. Noted before, the alert about a sender refused on and on was never
   * raised (nor one about a sender fixed since ever cleared) until a restart.
   */
  private lookAtRefused(importance: number, now: number, semantics: AlertSemantics | undefined): void {
    const { store, log } = this.deps;
    if (!this.refusedToRaise && this.refused.isRaised()) {
      // Raised by this run but not raised in the store: a person cleared it by hand (`clear`). A
      // sender refused since must raise it again, or the clear silenced it until an hour of quiet.
      const stored = store.alerts.find(this.ownSource, REFUSED_ALERT_ID);
      if (stored?.status !== "raised" && this.refused.clearedByHand(stored?.clearedAt ?? now)) {
        this.refusedToRaise = true;
        log.warn("updates refused since AlertBot's own alert about them was cleared by hand: raised again", {
          alert: REFUSED_ALERT_ID,
        });
      }
    }
    if (this.refusedToRaise) {
      store.afterCommit(() => {
        this.refusedToRaise = false;
      });
      store.afterCommit(() => this.refused.written(now));
      if (raiseRefusedUpdates(store, this.ownSource, this.refused, importance, now, semantics)) {
        this.changed();
        log.warn("updates refused: AlertBot's own alert raised", { alert: REFUSED_ALERT_ID, ...this.refused.text() });
      }
    } else {
      const rewriteAt = this.refused.rewriteAt();
      if (rewriteAt !== null && rewriteAt <= now) {
        store.afterCommit(() => this.refused.written(now));
        if (rewriteRefusedUpdates(store, this.ownSource, this.refused, now)) this.changed();
      }
    }
    const quietAt = this.refused.quietAt();
    if (quietAt === null || quietAt > now) return;
    store.afterCommit(() => this.refused.reset());
    if (clearRefusedUpdates(store, this.ownSource, now)) {
      this.changed();
      log.info("no update refused for an hour: AlertBot's own alert cleared", { alert: REFUSED_ALERT_ID });
    }
  }

  /**
   * Scheduled raises that wait because AlertBot could not hear their sender for part of the time
   * they stand for (hearing.ts); undefined when none waits now. One of an agent's while the link is
   * down waits a grace at a time, until the link is back.
   */
  private raiseHold(now: number, graceMs: number): RaiseHold | undefined {
    const latest = this.hearing.holdsUntil(graceMs);
    if (latest === null || latest <= now) return undefined;
    const { store, log } = this.deps;
    return (alert) => {
      if (!this.hearing.mayHold(alert.updatedAt)) return null;
      const agent = (store.sources.get(alert.source)?.ownerJid ?? "") !== "";
      const at = this.hearing.raiseNotBefore(agent, alert.updatedAt, alert.scheduledRaiseAt ?? now, graceMs);
      if (at === null || at <= now) return null;
      // Cut off, an agent's raise waits the grace it gets once the link is back, at a time.
      const until = Number.isFinite(at) ? at : now + (agent ? agentReturnGraceMs(graceMs) : graceMs);
      log.info("scheduled raise held: AlertBot could not hear its sender", {
        source: alert.source,
        alert: alert.alertId,
        untilMs: until,
      });
      return until;
    };
  }

  /**
   * Agents not heard from within the grace after AlertBot could hear them again count as down since
   * then; each is no longer awaited once that is stored (a round rolled back looks at it again:
   * taken off before, an agent gone while AlertBot was cut off was never counted down).
   */
  private markUnheardDown(now: number, graceMs: number): void {
    const { store, log } = this.deps;
    for (const { owner, since } of this.hearing.overdue(now, graceMs)) {
      store.afterCommit(() => this.hearing.countedDown(owner, since));
      store.sources.markDown(owner, since);
      log.warn("agent not heard from since AlertBot could hear it again; counted as down", {
        agent: owner,
        sinceMs: now - since,
      });
      this.changed();
    }
  }

  /** Raises a host-down alert for each agent gone past its grace; their other alerts get held by the policy. */
  private raiseHostsDown(config: HostDownConfig, now: number, semantics: AlertSemantics | undefined): void {
    const { store, log } = this.deps;
    // Cut off, AlertBot cannot tell an agent gone from one unheard: the link coming back looks again.
    if (this.hearing.deafToAgents) {
      this.hostsNextAt = null;
      return;
    }
    const { raised, nextAt } = raiseHostsDown(store, config, now, semantics, (since) =>
      this.hearing.agentNotBefore(since, config.graceMs),
    );
    this.hostsNextAt = nextAt;
    for (const source of raised) log.warn("host down", { source });
  }
}

/** Updates applied per transaction before the event loop gets a turn (chat and commands go in between). */
const INGEST_CHUNK = 32;
/** Updates read ahead and waiting at most before chunks grow to keep up (bounds the bot's memory). */
const INGEST_HIGH_WATER = 5_000;

/** Due alerts handled per transaction before the event loop gets a turn. */
const DUE_CHUNK = 500;
/** Raised alerts made due at once by `reconsider` before the event loop gets a turn. */
const LOOK_AGAIN_SLICE = 2_000;

interface QueuedUpdate {
  readonly update: AlertUpdate;
  readonly origin: UpdateOrigin;
  /** The pubsub item it came in was refused before: a refusal of it now is not told again. */
  readonly refusedBefore: boolean;
  readonly settle: (outcome: IngestOutcome | Promise<IngestOutcome>) => void;
}

/**
 * The alerts the applied updates of a batch saved for the policy to look at, each as last saved,
 * by short id; and how many it looked at as they were written.
 */
function savedBy(results: ReadonlyArray<{ outcome: IngestOutcome } | { error: unknown }>): {
  saved: Map<number, AlertRecord>;
  looked: number;
} {
  const saved = new Map<number, AlertRecord>();
  let looked = 0;
  for (const r of results)
    if ("outcome" in r && r.outcome.status === "applied")
      for (const change of r.outcome.changes)
        if (change.looked) looked++;
        else saved.set(change.alert.shortId, change.alert);
  return { saved, looked };
}

function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

// A floor between wake-ups, so a due time that somehow stays in the past cannot spin the CPU.
const MIN_INTERVAL_MS = 250;
/** When reading the next due time (or running what was due) failed: how soon it is tried again. */
export const DUE_RETRY_MS = 5_000;

/**
 * Keeps one timer armed for the earliest due time the store knows, and calls `onDue` then.
 * `rearm()` after anything that may have changed the earliest due time. Never throws: a read that
 * failed (the database cannot be read) is logged and tried again `DUE_RETRY_MS` later, so the bot
 * keeps running and picks up what is due once the store answers again.
 */
class DueTimer {
  private timer: TimerHandle | null = null;
  private armedFor: number | null = null;
  private lastRun = -Infinity;
  private stopped = false;
  /** True from a failure to the next read that worked: a failure is logged as an error once. */
  private failing = false;

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly nextDue: () => number | null,
    private readonly onDue: () => void,
  ) {}

  /** Arms the timer for the store's next due time (or disarms it when nothing is due). */
  rearm(): void {
    if (this.stopped) return;
    let due: number | null;
    try {
      due = this.nextDue();
    } catch (err) {
      this.failed("cannot read when work is next due; trying again shortly", err);
      return this.arm(this.clock.now() + DUE_RETRY_MS, true);
    }
    if (this.failing) this.log.info("reading when work is next due works again");
    this.failing = false;
    if (due === null) return this.disarm();
    this.arm(Math.max(due, this.lastRun + MIN_INTERVAL_MS), false);
  }

  /** Cancels the timer for good. */
  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  /** Arms for `at`; a retry keeps a timer already armed for sooner. */
  private arm(at: number, retry: boolean): void {
    if (this.timer && this.armedFor !== null && (this.armedFor === at || (retry && this.armedFor < at))) return;
    this.disarm();
    this.armedFor = at;
    this.timer = this.clock.setTimer(at - this.clock.now(), () => {
      this.timer = null;
      this.armedFor = null;
      this.lastRun = this.clock.now();
      try {
        this.onDue();
      } catch (err) {
        this.failed("running due work failed; trying again shortly", err);
        return this.arm(this.clock.now() + DUE_RETRY_MS, true);
      }
      this.rearm();
    });
  }

  // Logged as an error once; each retry after it (every few seconds) only at debug. A database that
  // cannot be written has its own loud alarm.
  private failed(msg: string, err: unknown): void {
    if (this.failing || err instanceof StorageUnavailableError) this.log.debug(msg, { err });
    else this.log.error(msg, { err });
    this.failing = true;
  }

  private disarm(): void {
    this.timer?.cancel();
    this.timer = null;
    this.armedFor = null;
  }
}
