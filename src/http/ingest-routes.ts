// Alerts posted over HTTP (Alertmanager's webhook, the generic JSON update) become AlertUpdates
// that go through the codec's bounds and sanitising like a UDP packet, then down the bot's one path.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Clock } from "../clock/clock.js";
import { newTransmissionId } from "../codec/build-update.js";
import { fitAlert, packAlerts } from "../codec/fit-update.js";
import { decodeUpdate, encodeUpdate } from "../codec/protobuf.js";
import type { Alert, AlertUpdate } from "../codec/types.js";
import { CodecError } from "../errors.js";
import { compilePattern, type CompiledPattern } from "../policy/matcher.js";
import type { IngestOutcome } from "../ingest/ingest-update.js";
import type { Logger } from "../log.js";
import { alertsBySource, readWebhook, truncatedAlerts } from "./alertmanager.js";
import type { HttpConfig, HttpTokenConfig } from "./http-config.js";
import { parseJson } from "./json-checks.js";
import { readJsonUpdate } from "./json-update.js";
import { jsonError, type HttpRequest, type HttpResponse, type Route } from "./listener.js";

/** Where Alertmanager's webhook_configs url points (plus the listener's address). */
export const ALERTMANAGER_PATH = "/webhook/alertmanager";
/** Where scripts POST one update as JSON. */
export const JSON_UPDATE_PATH = "/api/update";

/** How posted updates reach the bot, and what the routes log with. */
export interface IngestRouteDeps {
  /** Applies an update sent with the token named `sender` (the bot's core, via "http"). */
  apply(update: AlertUpdate, sender: string): Promise<IngestOutcome>;
  clock: Clock;
  log: Logger;
  /** Counts alerts received per webhook, and those refused on their own (for /metrics); optional. */
  onWebhook?: (alerts: number, refused: number) => void;
  /**
   * A webhook alert refused on its own, before it reached the bot (unreadable, or nothing to key it
   * by): Alertmanager does not send it again and logs the 422 only in its own log, so AlertBot's
   * alert about refused updates says so (refused-updates.ts). `source` is "alertmanager" when the
   * alert was too malformed to have one.
   */
  refused?: (source: string, reason: string) => void;
}

// Tokens are compared as digests in constant time: neither their length nor a prefix leaks.
function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** Finds the sender of a request by its bearer token; a 401 answer when there is none. */
export function authenticate(
  req: HttpRequest,
  tokens: readonly HttpTokenConfig[],
): { ok: true; token: HttpTokenConfig } | { ok: false; answer: HttpResponse } {
  const challenge = { "www-authenticate": 'Bearer realm="mauve"' };
  const header = req.headers.authorization ?? "";
  const m = /^Bearer +(\S+)\s*$/i.exec(header);
  if (!m?.[1])
    return { ok: false, answer: jsonError(401, "expected an Authorization: Bearer <token> header", challenge) };
  const given = digest(m[1]);
  // Every token is compared, so the time taken does not say which one came close.
  let found: HttpTokenConfig | undefined;
  for (const t of tokens) if (timingSafeEqual(given, digest(t.token.reveal())) && !found) found = t;
  if (!found)
    return {
      ok: false,
      answer: jsonError(
        401,
        tokens.length === 0 ? "no tokens are configured (http.tokens): nobody may post" : "unknown token",
        challenge,
      ),
    };
  return { ok: true, token: found };
}

/** Whether a token may write a source: its patterns, compiled once per listener. */
function sourceCheck(tokens: readonly HttpTokenConfig[]): (token: HttpTokenConfig, source: string) => boolean {
  // The config loader has checked every pattern, so none is dropped here.
  const compile = (pattern: string): CompiledPattern[] => {
    const c = compilePattern(pattern);
    return c.ok ? [c.regex] : [];
  };
  const compiled = new Map(tokens.map((t) => [t, t.sources.flatMap(compile)]));
  return (token, source) => (compiled.get(token) ?? []).some((p) => p.test(source));
}

/**
 * The updates carrying `alerts` for `source`, each within Mauve's 64 KiB (split as the agent's are,
 * a detail cut only when its alert alone would not fit) and each passed through the decoder, which
 * applies the bounds and sanitising every update gets (a CodecError for what no receiver could
 * key, such as an empty id).
 */
export function packUpdates(
  source: string,
  alerts: readonly Alert[],
  nowSec: number,
  transmissionId: bigint | null = null,
): AlertUpdate[] {
  return packAlerts(source, alerts, Number.POSITIVE_INFINITY).map((part) =>
    decodeUpdate(
      encodeUpdate({
        transmissionId: transmissionId ?? newTransmissionId(),
        source,
        replace: false,
        alerts: part,
        signature: new Uint8Array(),
        transmissionTimeS: nowSec,
        sequence: 0n,
      }),
    ),
  );
}

/**
 * The updates for one source of a webhook, as packUpdates makes them, and the alerts left out:
 * one that no receiver could key (an alertname of spaces or control characters, nothing else to
 * name it by) is refused on its own. It used to refuse the whole webhook with a 400, which
 * Alertmanager never sends again: every other alert of its group was lost, on every repeat.
 */
function packSource(
  source: string,
  alerts: readonly Alert[],
  nowSec: number,
): { updates: AlertUpdate[]; refused: Array<{ source: string; reason: string }> } {
  try {
    return { updates: packUpdates(source, alerts, nowSec), refused: [] };
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
  }
  const good: Alert[] = [];
  const refused: Array<{ source: string; reason: string }> = [];
  for (const alert of alerts) {
    try {
      packUpdates(source, [alert], nowSec);
      good.push(alert);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      const why = err.message.replace(/^alert\[\d+\] /, "");
      refused.push({ source, reason: `alert ${JSON.stringify(alert.id)} of source ${source} refused: it ${why}` });
    }
  }
  return { updates: good.length > 0 ? packUpdates(source, good, nowSec) : [], refused };
}

interface Applied {
  applied: number;
  duplicate: number;
  stale: number;
  /** What was refused; `source` is missing for a webhook alert too malformed to have one. */
  rejected: Array<{ source?: string; reason: string }>;
}

async function applyAll(updates: readonly AlertUpdate[], sender: string, deps: IngestRouteDeps): Promise<Applied> {
  const tally: Applied = { applied: 0, duplicate: 0, stale: 0, rejected: [] };
  const outcomes = await Promise.all(updates.map((u) => deps.apply(u, sender)));
  outcomes.forEach((o, i) => {
    if (o.status === "rejected") tally.rejected.push({ source: updates[i]!.source, reason: o.reason });
    else tally[o.status]++;
  });
  for (const r of tally.rejected) deps.log.warn("HTTP update rejected", { sender, source: r.source, reason: r.reason });
  return tally;
}

/** The ingest endpoints: Alertmanager's webhook and the generic JSON update, both behind bearer tokens. */
export function ingestRoutes(config: Pick<HttpConfig, "tokens" | "alertmanager">, deps: IngestRouteDeps): Route[] {
  const mayWrite = sourceCheck(config.tokens);
  const body = (
    req: HttpRequest,
    handle: (sender: HttpTokenConfig, json: unknown) => Promise<HttpResponse>,
  ): Promise<HttpResponse> | HttpResponse => {
    const auth = authenticate(req, config.tokens);
    if (!auth.ok) return auth.answer;
    const json = parseJson(req.body);
    if (!json.ok) return jsonError(400, json.problem);
    return handle(auth.token, json.value);
  };

  const webhook: Route = {
    method: "POST",
    path: ALERTMANAGER_PATH,
    handle: (req) =>
      body(req, async (token, json) => {
        const startedAt = deps.clock.now();
        const read = readWebhook(json);
        if (!read.ok) return jsonError(400, read.problem);
        const { alerts } = read.value;
        const unreadable = read.value.refused.map((problem) => ({
          reason: problem,
        }));
        for (const r of unreadable) deps.log.warn("HTTP update rejected", { sender: token.name, reason: r.reason });
        const truncated = truncatedAlerts(json);
        if (truncated > 0)
          deps.log.warn("Alertmanager left alerts out of a webhook (max_alerts): set it to 0", {
            sender: token.name,
            truncated,
          });
        const nowSec = Math.floor(deps.clock.now() / 1000);
        const bySource = alertsBySource(alerts, config.alertmanager, nowSec);
        const forbidden = [...bySource.keys()].filter((s) => !mayWrite(token, s));
        const packed = [...bySource]
          .filter(([s]) => mayWrite(token, s))
          .map(([s, alerts]) => packSource(s, alerts, nowSec));
        const updates = packed.flatMap((p) => p.updates);
        const tally = await applyAll(updates, token.name, deps);
        const refused = packed.flatMap((p) => p.refused);
        for (const r of refused)
          deps.log.warn("HTTP update rejected", { sender: token.name, source: r.source, reason: r.reason });
        tally.rejected.unshift(...unreadable, ...refused);
        for (const r of unreadable) deps.refused?.(config.alertmanager.defaultSource, r.reason);
        for (const r of refused) deps.refused?.(r.source, r.reason);
        deps.onWebhook?.(alerts.length + unreadable.length, unreadable.length + refused.length);
        const summary = {
          alerts: alerts.length + unreadable.length,
          updates: updates.length,
          applied: tally.applied,
          duplicate: tally.duplicate,
          rejected: tally.rejected,
          forbidden,
        };
        deps.log.info("Alertmanager webhook applied", {
          sender: token.name,
          alerts: alerts.length + unreadable.length,
          updates: updates.length,
          applied: tally.applied,
          elapsedMs: deps.clock.now() - startedAt,
        });
        if (forbidden.length > 0) {
          deps.log.warn("HTTP sender may not write these sources", {
            sender: token.name,
            sources: forbidden.slice(0, 20),
            count: forbidden.length,
          });
          return {
            status: 403,
            json: {
              error: `token ${token.name} may not write source(s) ${forbidden.slice(0, 5).join(", ")}${forbidden.length > 5 ? "…" : ""} (allowed: ${token.sources.join(", ")}); the other alerts were applied`,
              ...summary,
            },
          };
        }
        if (tally.rejected.length > 0) return { status: 422, json: { error: tally.rejected[0]!.reason, ...summary } };
        return { status: 200, json: summary };
      }),
  };

  const update: Route = {
    method: "POST",
    path: JSON_UPDATE_PATH,
    handle: (req) =>
      body(req, async (token, json) => {
        const nowSec = Math.floor(deps.clock.now() / 1000);
        const read = readJsonUpdate(json, nowSec);
        if (!read.ok) return jsonError(400, read.problem);
        const { source, alerts, replace, transmissionId } = read.value;
        if (!mayWrite(token, source))
          return jsonError(
            403,
            `token ${token.name} may not write source ${source} (allowed: ${token.sources.join(", ")})`,
          );
        let decoded: AlertUpdate;
        try {
          decoded = decodeUpdate(
            encodeUpdate({
              transmissionId: transmissionId ?? newTransmissionId(),
              source,
              replace,
              // Each alert's text bounded as the decoder bounds it, its detail to what the update has
              // room for: a long log posted as a summary or detail used to refuse the alert with a
              // 400 ("update would be 80045 bytes"), where the webhook and the agent cut it.
              alerts: alerts.map((a) => fitAlert(a, source, Number.POSITIVE_INFINITY)),
              signature: new Uint8Array(),
              transmissionTimeS: nowSec,
              sequence: 0n,
            }),
          );
        } catch (err) {
          if (err instanceof CodecError) return jsonError(400, err.message);
          throw err;
        }
        const outcome = await deps.apply(decoded, token.name);
        if (outcome.status === "rejected") {
          deps.log.warn("HTTP update rejected", { sender: token.name, source, reason: outcome.reason });
          return jsonError(422, outcome.reason);
        }
        const changes =
          outcome.status === "applied"
            ? outcome.changes.map((c) => ({ id: c.alert.shortId, alert: c.alert.alertId, transition: c.transition }))
            : [];
        return {
          status: 200,
          json: { status: outcome.status, transmission_id: decoded.transmissionId.toString(), changes },
        };
      }),
  };
  return [webhook, update];
}
