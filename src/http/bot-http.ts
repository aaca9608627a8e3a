import type { Clock } from "../clock/clock.js";
import type { AlertUpdate } from "../codec/types.js";
import type { IngestOutcome } from "../ingest/ingest-update.js";
import type { Logger } from "../log.js";
import type { HttpConfig } from "./http-config.js";
import { ingestRoutes } from "./ingest-routes.js";
import { startHttpListener, type HttpListener } from "./listener.js";
import type { PromMetrics } from "./metrics.js";

/** What AlertBot's HTTP endpoints need from the running bot. */
export interface BotHttpDeps {
  /** Applies an update posted with the token named `sender`, down the bot's one path. */
  apply(update: AlertUpdate, sender: string): Promise<IngestOutcome>;
  clock: Clock;
  log: Logger;
  /** Served at /metrics when given. */
  metrics?: PromMetrics | undefined;
  /** A webhook alert refused on its own (see IngestRouteDeps.refused). */
  refused?: (source: string, reason: string) => void;
}

/**
 * Starts AlertBot's HTTP listener with its endpoints: /metrics, Alertmanager's webhook and the
 * JSON update. Other features (the web board) add their routes to the listener it returns.
 */
export async function startBotHttp(config: HttpConfig, deps: BotHttpDeps): Promise<HttpListener> {
  const { metrics, log } = deps;
  const listener = await startHttpListener(config, {
    log,
    ...(metrics ? { onAnswer: (path: string, status: number) => metrics.httpAnswered(path, status) } : {}),
  });
  if (metrics) listener.addRoute(metrics.route());
  const routes = ingestRoutes(config, {
    apply: deps.apply,
    clock: deps.clock,
    log,
    ...(metrics ? { onWebhook: (n: number, refused: number) => metrics.webhookReceived(n, refused) } : {}),
    ...(deps.refused ? { refused: deps.refused } : {}),
  });
  for (const route of routes) listener.addRoute(route);
  log.info("listening for HTTP", {
    host: listener.address.host,
    port: listener.address.port,
    metrics: metrics !== undefined,
    senders: config.tokens.map((t) => t.name),
  });
  return listener;
}
