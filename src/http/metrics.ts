// AlertBot's /metrics in Prometheus' text format, with prom-client. Counters are bumped by one-line
// hooks in the bot (the BotMetrics interface); gauges are read from the store when scraped.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { IngestOutcome } from "../ingest/ingest-update.js";
import type { Route } from "./listener.js";

/** What the bot reports as it runs; every hook is optional to call and cheap. */
export interface BotMetrics {
  /** An update went through ingest (`via`: pubsub, udp, http, bot). */
  updateIngested(via: string, outcome: IngestOutcome): void;
  /** An update, or one alert of it, AlertBot refused (`via`: pubsub, udp, http), whatever refused it. */
  updateRefused(via: string, reason: string): void;
  /** One delivery attempt on a channel, and how long since the first attempt of that notice. */
  noticeAttempt(channel: string, ok: boolean, elapsedMs: number): void;
  /** A chat command ran (`outcome`: ok, refused, failed, unparsed, stranger). */
  commandRun(command: string, outcome: string): void;
  /** The XMPP session came back after a disconnection. */
  xmppReconnected(): void;
}

/** The numbers read at scrape time. */
export interface MetricsGauges {
  alerts(): { raised: number; acked: number; cleared: number };
  outbox(): { ready: number; waiting: number; oldestReadyAgeMs: number };
  /** History lines not yet published on the audit feed. */
  auditLag(): number;
  /** Writes the active committed that wait for the replica log, besides the batch on its way (0 without failover). */
  replicaBacklog(): number;
  /** Writes the active holds for a refused replica log at most, past which it gives them up (said in the backlog's help). */
  readonly replicaHeldLimit: number;
  agents(): { connected: number; down: number };
  /** Live events held back for a catch-up, the nodes kept for theirs, and how long the oldest has waited. */
  catchUp(): { heldEvents: number; keptNodes: number; oldestKeptAgeMs: number };
  /** Whether the bot's last write to its database, or its probe, committed (false through a full disk). */
  databaseWritable(): boolean;
  /** Whether the last configuration reload was refused (a restart would not start on that file). */
  configRefused(): boolean;
  /**
   * Mauve UDP updates held in memory until the database takes writes again (see held-updates.ts),
   * and datagrams the kernel dropped unread since the listener started (see udp-drops.ts).
   */
  udp(): { held: number; dropped: number };
}

/** The reason of a rejected update in a few stable words (the full reason is logged, and may name a source). */
export function rejectionClass(reason: string): string {
  if (/does not match node/.test(reason)) return "node-mismatch";
  if (/is not the owner/.test(reason)) return "not-owner";
  if (/the known source/.test(reason)) return "lookalike";
  if (/source name|source ".*" has/.test(reason)) return "source-name";
  if (/^refused as stale/.test(reason)) return "stale";
  if (/^malformed datagram/.test(reason)) return "malformed";
  if (/^alert\b/.test(reason)) return "alert";
  return "other";
}

/** The metrics of one running AlertBot, in its own registry (tests run several bots in one process). */
export class PromMetrics implements BotMetrics {
  readonly registry = new Registry();
  private readonly updates: Counter<"via" | "outcome" | "reason">;
  private readonly refused: Counter<"via" | "reason">;
  private readonly notices: Counter<"channel" | "outcome">;
  private readonly latency: Histogram<"channel">;
  private readonly commands: Counter<"command" | "outcome">;
  private readonly reconnects: Counter;
  private readonly webhookAlerts: Counter;
  private readonly webhookRefused: Counter;
  private readonly httpRequests: Counter<"path" | "status">;

  constructor(gauges: MetricsGauges) {
    const registers = [this.registry];
    this.updates = new Counter({
      name: "mauve_updates_total",
      help: "AlertUpdates through ingest, by path, outcome (applied, duplicate, stale, rejected) and rejection reason",
      labelNames: ["via", "outcome", "reason"],
      registers,
    });
    this.refused = new Counter({
      name: "mauve_refused_total",
      help: "Updates, and alerts of them refused alone, that AlertBot refused (each feeds its refused-updates alert), by path and reason: rejected, stale, unreadable items and datagrams",
      labelNames: ["via", "reason"],
      registers,
    });
    this.notices = new Counter({
      name: "mauve_notice_attempts_total",
      help: "Delivery attempts of notices, by channel and outcome (sent, failed)",
      labelNames: ["channel", "outcome"],
      registers,
    });
    this.latency = new Histogram({
      name: "mauve_notice_delivery_seconds",
      help: "Time from a notice's first attempt to its delivery, by channel (retries included)",
      labelNames: ["channel"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.commands = new Counter({
      name: "mauve_commands_total",
      help: "Chat commands, by command and outcome",
      labelNames: ["command", "outcome"],
      registers,
    });
    this.reconnects = new Counter({
      name: "mauve_xmpp_reconnects_total",
      help: "Times the XMPP session came back after a disconnection",
      registers,
    });
    this.webhookAlerts = new Counter({
      name: "mauve_alertmanager_alerts_total",
      help: "Alerts received in Alertmanager webhooks",
      registers,
    });
    this.webhookRefused = new Counter({
      name: "mauve_alertmanager_alerts_refused_total",
      help: "Alerts of Alertmanager webhooks refused on their own (unreadable, or nothing to key them by; the others were taken)",
      registers,
    });
    this.httpRequests = new Counter({
      name: "mauve_http_requests_total",
      help: "HTTP requests answered, by route and status",
      labelNames: ["path", "status"],
      registers,
    });

    new Gauge({
      name: "mauve_alerts",
      help: "Alerts by state (raised: raised and not acknowledged)",
      labelNames: ["state"],
      registers,
      collect() {
        const a = gauges.alerts();
        for (const [state, n] of Object.entries(a)) this.set({ state }, n);
      },
    });
    new Gauge({
      name: "mauve_outbox_notices",
      help: "Notices in the delivery outbox: ready to go now, or waiting for their time (fallbacks)",
      labelNames: ["state"],
      registers,
      collect() {
        const o = gauges.outbox();
        this.set({ state: "ready" }, o.ready);
        this.set({ state: "waiting" }, o.waiting);
      },
    });
    new Gauge({
      name: "mauve_outbox_oldest_ready_seconds",
      help: "How long the oldest notice ready to go has waited (0: none)",
      registers,
      collect() {
        this.set(gauges.outbox().oldestReadyAgeMs / 1000);
      },
    });
    new Gauge({
      name: "mauve_audit_feed_lag_lines",
      help: "History lines not yet published on the audit feed (as of its last stored cursor: up to 500 lines behind while a round is published)",
      registers,
      collect() {
        this.set(gauges.auditLag());
      },
    });
    new Gauge({
      name: "mauve_replica_log_backlog_writes",
      help: `Writes the active AlertBot committed that wait for the replica log, besides the batch on its way (0 without failover); rising while the XMPP server refuses the log, and held in memory until it takes them (at most ${gauges.replicaHeldLimit.toLocaleString("en")}: past that they are given up and the standby rebuilds from a snapshot)`,
      registers,
      collect() {
        this.set(gauges.replicaBacklog());
      },
    });
    new Gauge({
      name: "mauve_agents",
      help: "Agents (accounts owning sources) by presence: connected or down",
      labelNames: ["state"],
      registers,
      collect() {
        const a = gauges.agents();
        this.set({ state: "connected" }, a.connected);
        this.set({ state: "down" }, a.down);
      },
    });
    new Gauge({
      name: "mauve_catch_up_held_events",
      help: "Live pubsub events held back until a catch-up has read their node's retained items",
      registers,
      collect() {
        this.set(gauges.catchUp().heldEvents);
      },
    });
    new Gauge({
      name: "mauve_catch_up_waiting_nodes",
      help: "Agent nodes whose live events wait for their retained items to be read (a resync, or a node that could not be read: retried with back-off)",
      registers,
      collect() {
        this.set(gauges.catchUp().keptNodes);
      },
    });
    new Gauge({
      name: "mauve_catch_up_oldest_wait_seconds",
      help: "How long the node waiting longest for its catch-up has waited (0: none; after 10 minutes its events are applied without its retained items)",
      registers,
      collect() {
        this.set(gauges.catchUp().oldestKeptAgeMs / 1000);
      },
    });
    new Gauge({
      name: "mauve_database_writable",
      help: "1 while AlertBot can write its database; 0 from a write that failed (disk full, I/O error, read-only) until a probe commits: updates are refused meanwhile",
      registers,
      collect() {
        this.set(gauges.databaseWritable() ? 1 : 0);
      },
    });
    new Gauge({
      name: "mauve_config_last_reload_successful",
      help: "0 while the configuration file was refused at the last reload (AlertBot runs on the one it had, and a restart would not start: exit 78); 1 otherwise",
      registers,
      collect() {
        this.set(gauges.configRefused() ? 0 : 1);
      },
    });
    new Gauge({
      name: "mauve_udp_held_updates",
      help: "Mauve UDP updates held in memory because the database could not be written, applied in order once it can (a restart loses them)",
      registers,
      collect() {
        this.set(gauges.udp().held);
      },
    });
    new Counter({
      name: "mauve_udp_dropped_datagrams_total",
      help: "Mauve UDP datagrams the kernel dropped unread at AlertBot's socket: a burst beyond its receive buffer (raise net.core.rmem_max and udp.receive_buffer_bytes)",
      registers,
      collect() {
        this.reset();
        this.inc(gauges.udp().dropped);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  updateIngested(via: string, outcome: IngestOutcome): void {
    this.updates.inc({
      via,
      outcome: outcome.status,
      reason: outcome.status === "rejected" ? rejectionClass(outcome.reason) : "",
    });
  }

  updateRefused(via: string, reason: string): void {
    this.refused.inc({ via, reason: rejectionClass(reason) });
  }

  noticeAttempt(channel: string, ok: boolean, elapsedMs: number): void {
    this.notices.inc({ channel, outcome: ok ? "sent" : "failed" });
    if (ok) this.latency.observe({ channel }, elapsedMs / 1000);
  }

  commandRun(command: string, outcome: string): void {
    this.commands.inc({ command, outcome });
  }

  xmppReconnected(): void {
    this.reconnects.inc();
  }

  /** Alerts that arrived in one Alertmanager webhook. */
  webhookReceived(alerts: number, refused = 0): void {
    this.webhookAlerts.inc(alerts);
    if (refused > 0) this.webhookRefused.inc(refused);
  }

  /** An HTTP answer (unknown paths are counted together, so strangers cannot grow the label set). */
  httpAnswered(path: string, status: number): void {
    this.httpRequests.inc({ path, status: String(status) });
  }

  /** GET /metrics. */
  route(): Route {
    return {
      method: "GET",
      path: "/metrics",
      handle: async () => ({
        status: 200,
        text: await this.registry.metrics(),
        contentType: this.registry.contentType,
      }),
    };
  }
}
