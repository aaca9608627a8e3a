import { type Clock, type TimerHandle, nowSeconds } from "../clock/clock.js";
import { wrapPayload } from "../codec/payload.js";
import type { Alert } from "../codec/types.js";
import type { Logger } from "../log.js";
import type { Outbox } from "../store/outbox.js";
import { StorageUnavailableError } from "../errors.js";
import { coalescingRunner } from "../util/batching.js";
import { buildUpdate, heartbeatAlert, toWireAlert, type AgentAlert } from "../codec/build-update.js";

/** What a publish came to, named after the XMPP error condition when it failed. */
export type PublishResult = { ok: true } | { ok: false; condition: string; text?: string };

/** How the agent core publishes; the XMPP edge implements it while connected. */
export interface PublishPort {
  publish(payload: { data: string; text: string }): Promise<PublishResult>;
}

// Conditions that say this payload will never be accepted: retrying it would block the queue forever.
const POISON = new Set(["bad-request", "not-acceptable", "policy-violation", "payload-too-big", "invalid-payload"]);
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

  /** Records changed alerts and queues them as one update (the changes of one moment go together). */
  change(alerts: readonly AgentAlert[]): void {
    if (alerts.length === 0) return;
    const now = nowSeconds(this.deps.clock);
    for (const a of alerts) this.alerts.set(a.id, a);
    const wire = alerts.map((a) => toWireAlert(a, now));
    // State and queue in one transaction: a crash keeps both or neither. Publishing starts after the commit.
    try {
      this.deps.outbox.transaction(() => {
        this.deps.outbox.saveState(alerts.map((a) => [a.id, JSON.stringify(a)] as const));
        this.queue(wire, false, false);
      });
    } catch (err) {
      // The file cannot be written: the change goes out all the same, kept in memory (see Outbox).
      if (!(err instanceof StorageUnavailableError)) throw err;
      this.queue(wire, false, false);
    }
    void this.pump();
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

  /** Queues the whole state with replace=true, so the bot can always resync from one item. */
  queueFullState(): void {
    this.queue(this.fullStateWire(), true);
  }

  /** Starts the heartbeat and the periodic full state. */
  start(): void {
    const { clock, heartbeatMs, fullStateEveryMs } = this.deps;
    if (heartbeatMs !== null) {
      const beat = (): void => {
        this.queue([this.heartbeatWire(nowSeconds(clock))], false);
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

  private fullStateWire(): Alert[] {
    const now = nowSeconds(this.deps.clock);
    const wire = [...this.alerts.values()].map((a) => toWireAlert(a, now));
    if (this.deps.heartbeatMs !== null) wire.push(this.heartbeatWire(now));
    return wire;
  }

  private heartbeatWire(nowSec: number): Alert {
    const raiseAfter = Math.ceil((3 * (this.deps.heartbeatMs ?? 0)) / 1000);
    return heartbeatAlert(this.deps.source, nowSec, raiseAfter);
  }

  private queue(alerts: Alert[], replace: boolean, pump = true): void {
    const { outbox, clock, source, log } = this.deps;
    const nowSec = nowSeconds(clock);
    const build = (list: Alert[], asReplace: boolean) => (sequence: bigint) => {
      const update = buildUpdate(source, list, { replace: asReplace, nowSec, sequence });
      const { data, text } = wrapPayload(update);
      return { transmissionId: update.transmissionId, data, text };
    };
    if (outbox.size() >= (this.deps.maxEntries ?? DEFAULT_MAX_ENTRIES)) {
      // The state already includes this change: one full state stands for everything queued.
      const dropped = outbox.collapse(build(this.fullStateWire(), true), clock.now());
      log.warn("outbox full: collapsed the queue into one full-state update", {
        dropped,
        collapsedTotal: outbox.collapsedTotal(),
      });
    } else {
      outbox.enqueue(build(alerts, replace), clock.now());
    }
    if (pump) void this.pump();
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
      if (result.ok) {
        outbox.remove(entry.sequence);
        continue;
      }
      if (POISON.has(result.condition)) {
        log.error("server refused an update for good; dropping it", { sequence: entry.sequence, ...result });
        outbox.remove(entry.sequence);
        continue;
      }
      log.warn("publish failed; will retry", { sequence: entry.sequence, backlog: outbox.size(), ...result });
      this.retry?.cancel();
      this.retry = this.deps.clock.setTimer(RETRY_MS, () => void this.pump());
      return;
    }
  }
}
