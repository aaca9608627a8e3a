import type { Clock, TimerHandle } from "../clock/clock.js";
import { nowSeconds } from "../clock/clock.js";
import { wrapPayload } from "../codec/payload.js";
import type { Alert } from "../codec/types.js";
import type { Logger } from "../log.js";
import type { Outbox } from "../store/outbox.js";
import { coalescingRunner } from "../util/coalescing-runner.js";
import { buildUpdate, heartbeatAlert, toWireAlert, type AgentAlert } from "./build-update.js";

/** What a publish came to, named after the XMPP error condition when it failed. */
export type PublishResult = { ok: true } | { ok: false; condition: string; text?: string };

/** How the agent core publishes; the XMPP edge implements it while connected. */
export interface PublishPort {
  publish(payload: { data: string; text: string }): Promise<PublishResult>;
}

// Conditions that say this payload will never be accepted: retrying it would block the queue forever.
const POISON = new Set(["bad-request", "not-acceptable", "policy-violation", "payload-too-big", "invalid-payload"]);
const RETRY_MS = 5_000;

/** Everything the agent core needs, injected. */
export interface AgentCoreDeps {
  clock: Clock;
  log: Logger;
  outbox: Outbox;
  source: string;
  /** Heartbeat period; null for none. The heartbeat raises after three missed periods. */
  heartbeatMs: number | null;
}

/**
 * The agent without its protocol edge: keeps the current alert state, queues every change in the
 * durable outbox and publishes the queue strictly in order, one confirmed item at a time.
 */
export class AgentCore {
  private readonly alerts = new Map<string, AgentAlert>();
  private port: PublishPort | null = null;
  private readonly runPump = coalescingRunner(() => this.drain(), () => this.port !== null);
  private heartbeat: TimerHandle | null = null;
  private retry: TimerHandle | null = null;

  constructor(private readonly deps: AgentCoreDeps) {}

  /** Sets the alert state without publishing (used at start, before the full state goes out). */
  load(alerts: readonly AgentAlert[]): void {
    for (const a of alerts) this.alerts.set(a.id, a);
  }

  /** Records changed alerts and queues them as one update (the changes of one moment go together). */
  change(alerts: readonly AgentAlert[]): void {
    if (alerts.length === 0) return;
    const now = nowSeconds(this.deps.clock);
    for (const a of alerts) this.alerts.set(a.id, a);
    this.queue(alerts.map((a) => toWireAlert(a, now)), false);
  }

  /** Queues the whole state with replace=true, so the bot can always resync from one item. */
  queueFullState(): void {
    const now = nowSeconds(this.deps.clock);
    const wire = [...this.alerts.values()].map((a) => toWireAlert(a, now));
    if (this.deps.heartbeatMs !== null) wire.push(this.heartbeatWire(now));
    this.queue(wire, true);
  }

  /** Starts the heartbeat timer. */
  startHeartbeat(): void {
    const period = this.deps.heartbeatMs;
    if (period === null) return;
    const beat = (): void => {
      this.queue([this.heartbeatWire(nowSeconds(this.deps.clock))], false);
      this.heartbeat = this.deps.clock.setTimer(period, beat);
    };
    this.heartbeat = this.deps.clock.setTimer(period, beat);
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

  /** Stops timers (the outbox keeps what is queued). */
  stop(): void {
    this.heartbeat?.cancel();
    this.retry?.cancel();
    this.port = null;
  }

  private heartbeatWire(nowSec: number): Alert {
    const raiseAfter = Math.ceil((3 * (this.deps.heartbeatMs ?? 0)) / 1000);
    return heartbeatAlert(this.deps.source, nowSec, raiseAfter);
  }

  private queue(alerts: Alert[], replace: boolean): void {
    const { outbox, clock, source } = this.deps;
    const nowSec = nowSeconds(clock);
    outbox.enqueue((sequence) => {
      const update = buildUpdate(source, alerts, { replace, nowSec, sequence });
      const { data, text } = wrapPayload(update);
      return { transmissionId: update.transmissionId, data, text };
    }, clock.now());
    void this.pump();
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
