import { type Clock, type TimerHandle, nowSeconds } from "../clock/clock.js";
import { wrapPayload } from "../codec/payload.js";
import type { Alert } from "../codec/types.js";
import type { Logger } from "../log.js";
import type { Outbox } from "../store/outbox.js";
import { StorageUnavailableError } from "../errors.js";
import { coalescingRunner } from "../util/batching.js";
import { FailureRun } from "../util/failure-run.js";
import { isRefusedForGood } from "../xmpp/errors.js";
import { buildUpdate, heartbeatAlert, toWireAlert, type AgentAlert } from "../codec/build-update.js";
import { packAlerts, planFullState, planStatesOnly, type PlannedUpdate } from "../codec/fit-update.js";
import { type QueuedSpan, type Refusal, UpdateRefusals, refusedAlert, refusedAlertCleared } from "./update-refusals.js";

/** What a publish came to, named after the XMPP error condition when it failed. */
export type PublishResult = { ok: true } | { ok: false; condition: string; text?: string };

/** How the agent core publishes; the XMPP edge implements it while connected. */
export interface PublishPort {
  publish(payload: { data: string; text: string }): Promise<PublishResult>;
}

const RETRY_MS = 5_000;
const DEFAULT_MAX_ENTRIES = 10_000;

/** Everything the agent core needs, injected. */
export interface AgentCoreDeps {
  clock: Clock;
  log: Logger;
  outbox: Outbox;
  source: string;
  /** Heartbeat period; null for none. The heartbeat raises after three missed periods. */
  heartbeatMs: number | null;
  /** How often the whole state goes out again; null for never. */
  fullStateEveryMs?: number | null;
  /** The outbox's bound (default 10,000): past it the queue collapses into one full state. */
  maxEntries?: number;
}

/**
 * The agent without its protocol edge: keeps the current alert state (saved beside the outbox, so
 * a restarted agent resumes it), queues every change in the durable outbox and publishes the queue
 * strictly in order, one confirmed item at a time. The outbox is bounded: when it is full, the
 * whole queue collapses into one fresh full state, so the latest state is never what is lost.
 */
export class AgentCore {
  private readonly alerts = new Map<string, AgentAlert>();
  private port: PublishPort | null = null;
  private readonly runPump = coalescingRunner(
    () => this.drain(),
    () => this.port !== null,
  );
  private heartbeat: TimerHandle | null = null;
  private fullState: TimerHandle | null = null;
  private retry: TimerHandle | null = null;
  /** Publishes that keep failing, said as a warning at first and every so often, not at each retry (failure-run.ts). */
  private readonly publishFailures = new FailureRun();
  /** Updates the server refused for good: the states sent again, and the agent's alert (update-refusals.ts). */
  private readonly refusals = new UpdateRefusals();

  constructor(private readonly deps: AgentCoreDeps) {
    for (const { id, json } of deps.outbox.loadState()) this.alerts.set(id, JSON.parse(json) as AgentAlert);
  }

  /** The current alert state (as saved: it survives a restart). */
  current(): AgentAlert[] {
    return [...this.alerts.values()];
  }

  /** Replaces the whole alert state without publishing (at start or on reload, before a full state goes out). */
  load(alerts: readonly AgentAlert[]): void {
    const gone = [...this.alerts.keys()].filter((id) => !alerts.some((a) => a.id === id));
    this.alerts.clear();
    for (const a of alerts) this.alerts.set(a.id, a);
    try {
      this.deps.outbox.saveState([
        ...gone.map((id) => [id, null] as const),
        ...alerts.map((a) => [a.id, JSON.stringify(a)] as const),
      ]);
    } catch (err) {
      // Not saved: a restart before the next change resumes the state saved before (the full state
      // that follows this load goes out all the same).
      if (!(err instanceof StorageUnavailableError)) throw err;
    }
  }

  /**
   * Records changed alerts and queues them: the changes of one moment go together, in as few
   * updates as fit within 64 KiB each (each alert's text bounded).
   */
  change(alerts: readonly AgentAlert[]): void {
    this.record(alerts);
    void this.pump();
  }

  /** `change` without starting the pump; returns the span queued, if any. */
  private record(alerts: readonly AgentAlert[]): QueuedSpan | null {
    if (alerts.length === 0) return null;
    const now = nowSeconds(this.deps.clock);
    const next = new Map(this.alerts);
    for (const a of alerts) next.set(a.id, a);
    const updates = packAlerts(
      this.deps.source,
      alerts.map((a) => toWireAlert(a, now)),
    ).map((run) => ({ replace: false, alerts: run }));
    // State and queue in one transaction: a crash keeps both or neither. Publishing starts after the commit.
    let span: QueuedSpan | null;
    try {
      span = this.deps.outbox.transaction(() => {
        this.deps.outbox.saveState(alerts.map((a) => [a.id, JSON.stringify(a)] as const));
        return this.queue(updates, next, false);
      });
    } catch (err) {
      // The file cannot be written: the change goes out all the same, kept in memory (see Outbox).
      if (!(err instanceof StorageUnavailableError)) throw err;
      span = this.queue(updates, next, false);
    }
    // Only once queued: a change that could not be queued leaves the state as saved.
    for (const a of alerts) this.alerts.set(a.id, a);
    return span;
  }

  /**
   * Records newer text of alerts already held in the same state, without queuing an update: a
   * changed summary alone is not news, but the next full state carries it (docs/agents.md).
   */
  refresh(alerts: readonly AgentAlert[]): void {
    const newer = alerts.filter((a) => {
      const held = this.alerts.get(a.id);
      return held !== undefined && held.state === a.state && JSON.stringify(held) !== JSON.stringify(a);
    });
    if (newer.length === 0) return;
    for (const a of newer) this.alerts.set(a.id, a);
    try {
      this.deps.outbox.saveState(newer.map((a) => [a.id, JSON.stringify(a)] as const));
    } catch (err) {
      // Kept in memory: the full state carries it all the same; a restart resumes the older text.
      if (!(err instanceof StorageUnavailableError)) throw err;
    }
  }

  /**
   * Queues the whole state with replace=true, so the bot can always resync from it: one update, or
   * when that would pass 64 KiB, the texts first and then one replace with ids and states.
   */
  queueFullState(): void {
    const span = this.queue(this.fullStateUpdates(this.alerts));
    if (span) this.refusals.fullStateQueued(span);
  }

  /** Starts the heartbeat and the periodic full state. */
  start(): void {
    const { clock, heartbeatMs, fullStateEveryMs } = this.deps;
    if (heartbeatMs !== null) {
      const beat = (): void => {
        this.queue([{ replace: false, alerts: [this.heartbeatWire(nowSeconds(clock))] }]);
        this.heartbeat = clock.setTimer(heartbeatMs, beat);
      };
      this.heartbeat = clock.setTimer(heartbeatMs, beat);
    }
    const every = fullStateEveryMs ?? null;
    if (every !== null) {
      const resend = (): void => {
        this.queueFullState();
        this.fullState = clock.setTimer(every, resend);
      };
      this.fullState = clock.setTimer(every, resend);
    }
  }

  /** Connects or disconnects the publisher; on connect the queue starts draining. */
  setPort(port: PublishPort | null): void {
    this.port = port;
    if (port) void this.pump();
  }

  /** Drains the outbox in order while a publisher is connected; resolves when it stops. */
  pump(): Promise<void> {
    return this.runPump();
  }

  /** How many updates wait for the server. */
  backlog(): number {
    return this.deps.outbox.size();
  }

  /** How many queued updates were ever dropped by collapsing a full outbox. */
  collapsed(): number {
    return this.deps.outbox.collapsedTotal();
  }

  /** Stops timers (the outbox keeps what is queued). */
  stop(): void {
    this.heartbeat?.cancel();
    this.fullState?.cancel();
    this.retry?.cancel();
    this.port = null;
  }

  private fullStateUpdates(state: ReadonlyMap<string, AgentAlert>): PlannedUpdate[] {
    const { clock, source, log, heartbeatMs } = this.deps;
    const now = nowSeconds(clock);
    const wire = [...state.values()].map((a) => toWireAlert(a, now));
    if (heartbeatMs !== null) wire.push(this.heartbeatWire(now));
    const { shape, updates } = planFullState(source, wire);
    if (shape === "trimmed")
      log.info("the full state passes 64 KiB: its texts go first, then one replace with ids and states", {
        alerts: wire.length,
        updates: updates.length,
      });
    else if (shape === "split")
      log.error(
        "the raised alerts' ids alone pass 64 KiB: the full state goes without replace, so alerts this agent no longer has are not cleared at the bot",
        { alerts: wire.length, updates: updates.length },
      );
    return updates;
  }

  private heartbeatWire(nowSec: number): Alert {
    const raiseAfter = Math.ceil((3 * (this.deps.heartbeatMs ?? 0)) / 1000);
    return heartbeatAlert(this.deps.source, nowSec, raiseAfter);
  }

  /**
   * Queues `updates` in order; `state` is the state they leave (a change's, before it is recorded).
   * Returns the outbox sequences they took (a collapse's full state stands for them), if any.
   */
  private queue(updates: readonly PlannedUpdate[], state = this.alerts, pump = true): QueuedSpan | null {
    const { outbox, clock, source, log } = this.deps;
    const nowSec = nowSeconds(clock);
    const build = (u: PlannedUpdate) => (sequence: bigint) => {
      const update = buildUpdate(source, u.alerts, { replace: u.replace, nowSec, sequence });
      const { data, text } = wrapPayload(update);
      return { transmissionId: update.transmissionId, data, text };
    };
    const sequences: bigint[] = [];
    if (outbox.size() >= (this.deps.maxEntries ?? DEFAULT_MAX_ENTRIES)) {
      // `state` includes this change: one full state stands for everything queued (several
      // updates when it passes 64 KiB: the first replaces the queue, the rest follow it).
      const [first, ...rest] = this.fullStateUpdates(state);
      const dropped = first ? outbox.collapse(build(first), clock.now()) : 0;
      const collapsed = outbox.peek();
      if (first && collapsed) sequences.push(collapsed.sequence);
      for (const u of rest) sequences.push(outbox.enqueue(build(u), clock.now()).sequence);
      log.warn("outbox full: collapsed the queue into one full-state update", {
        dropped,
        collapsedTotal: outbox.collapsedTotal(),
      });
    } else {
      for (const u of updates) sequences.push(outbox.enqueue(build(u), clock.now()).sequence);
    }
    if (pump) void this.pump();
    const [first, last] = [sequences[0], sequences.at(-1)];
    return first !== undefined && last !== undefined ? { first, last } : null;
  }

  /**
   * The server refused the update `sequence` for good, and it was dropped: the agent says so with
   * an alert of its own and sends where each alert stands again, without details (update-refusals.ts).
   */
  private refusedForGood(sequence: bigint, refusal: Refusal): void {
    const { log } = this.deps;
    const fields = { sequence, condition: refusal.condition, ...(refusal.text ? { text: refusal.text } : {}) };
    const wasRaised = this.refusals.raised;
    const verdict = this.refusals.refused(sequence, refusal);
    if (verdict === "states-refused") {
      log.error("server refused even the alerts' states without their texts; dropping them", fields);
      return;
    }
    if (verdict === "covered") {
      log.error("server refused an update for good; dropping it (the states sent after it cover it)", fields);
      return;
    }
    if (verdict === "bare") {
      log.error("server refused the alerts' states with their summaries; sending them again without any text", fields);
      const states = this.queue(this.statesOnlyUpdates(false), this.alerts, false);
      if (states) this.refusals.statesQueued(states, "bare");
      return;
    }
    log.error(
      `server refused an update for good; dropping it, sending the alerts' states again without their details${wasRaised ? "" : ` and raising ${refusedAlert(refusal).id}`}`,
      fields,
    );
    const alertSpan = wasRaised ? null : this.record([refusedAlert(refusal)]);
    const states = this.queue(this.statesOnlyUpdates(true), this.alerts, false);
    const first = alertSpan?.first ?? states?.first;
    const last = states?.last ?? alertSpan?.last;
    if (first !== undefined && last !== undefined) this.refusals.statesQueued({ first, last }, "summaries");
  }

  /** The whole state as ids, states and times, with summaries or without any text (fit-update.ts). */
  private statesOnlyUpdates(keepSummaries: boolean): PlannedUpdate[] {
    const now = nowSeconds(this.deps.clock);
    const wire = [...this.alerts.values()].map((a) => toWireAlert(a, now));
    if (this.deps.heartbeatMs !== null) wire.push(this.heartbeatWire(now));
    return planStatesOnly(this.deps.source, wire, keepSummaries);
  }

  private async drain(): Promise<void> {
    const { outbox, log } = this.deps;
    for (;;) {
      const port = this.port;
      const entry = outbox.peek();
      if (!port || !entry) return;
      let result: PublishResult;
      try {
        result = await port.publish({ data: entry.data, text: entry.text });
      } catch (err) {
        result = { ok: false, condition: "internal", text: err instanceof Error ? err.message : String(err) };
      }
      // Disconnected or stopped while it was on its way: it waits in the outbox for the next
      // connection (the disconnect says so), and no retry is due on a session that is gone.
      if (!result.ok && this.port !== port) return;
      if (result.ok) {
        outbox.remove(entry.sequence);
        const ended = this.publishFailures.worked(this.deps.clock.now());
        if (ended) log.info("publishing again", { failedForMs: ended.endedAfterMs, backlog: outbox.size() });
        if (this.refusals.accepted(entry.sequence)) {
          log.info("the server took a full state with its texts again: cleared the refused-update alert");
          this.record([refusedAlertCleared()]);
        }
        continue;
      }
      if (isRefusedForGood(result)) {
        outbox.remove(entry.sequence);
        this.refusedForGood(entry.sequence, result);
        continue;
      }
      const failure = { sequence: entry.sequence, backlog: outbox.size(), ...result };
      this.publishFailures.sayFailed(log, "publish failed; will retry", failure, this.deps.clock.now());
      this.retry?.cancel();
      this.retry = this.deps.clock.setTimer(RETRY_MS, () => void this.pump());
      return;
    }
  }
}
