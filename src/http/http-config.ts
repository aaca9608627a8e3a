import { boardSection, type BoardConfig } from "./board-config.js";
import { listenAddress } from "../ingest/udp-listener.js";
import { patternReader } from "../policy/pattern-reader.js";
import { bool, int, str } from "../schema/scalars.js";
import { list, maybe, object, optional } from "../schema/combinators.js";
import { expected, indexPath, INVALID, isMapping, keyPath, type Reader } from "../schema/reader.js";
import type { Secret } from "../schema/secret.js";
import { secret } from "../schema/secret.js";

/** One sender allowed to post alerts: its bearer token and the sources it may write. */
export interface HttpTokenConfig {
  /** Shown in logs and history ("by prometheus (http)"), never the token. */
  readonly name: string;
  readonly token: Secret;
  /** Globs or /regexes/ of the sources this token speaks for (checked at load, compiled by the listener). */
  readonly sources: readonly string[];
}

/** How an Alertmanager webhook alert becomes a Mauve alert (docs/integrations.md). */
export interface AlertmanagerMapping {
  /** The first of these labels that an alert has names its source. */
  readonly sourceLabels: readonly string[];
  /** The source when none of `sourceLabels` is set. */
  readonly defaultSource: string;
  /** Labels joined to `alertname` (in this order) to make the alert id. */
  readonly idLabels: readonly string[];
  /** Annotations tried in order for the summary, then for the detail. */
  readonly summaryAnnotations: readonly string[];
  readonly detailAnnotations: readonly string[];
  /** `severity` label value → Mauve importance; a severity not listed gets the default (0). */
  readonly importance: Readonly<Record<string, number>>;
}

/** AlertBot's HTTP listener: Alertmanager webhook, JSON ingest, /metrics (and later the web board). */
export interface HttpConfig {
  readonly host: string;
  readonly port: number;
  /** Requests with a longer body are refused with 413 before it is read in full. */
  readonly maxBodyBytes: number;
  /** Serve /metrics (Prometheus text format, no auth: keep the listener on loopback or behind a proxy). */
  readonly metrics: boolean;
  readonly tokens: readonly HttpTokenConfig[];
  readonly alertmanager: AlertmanagerMapping;
  /** The web board; null when it is off (the default). */
  readonly board: BoardConfig | null;
}

/** The listener's default port; the address defaults to loopback. */
export const DEFAULT_HTTP_PORT = 9095;

const listen = listenAddress(DEFAULT_HTTP_PORT);

const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const labelName = str({ pattern: LABEL, what: "a Prometheus label name like instance" });

const pattern = patternReader('a source glob like "web*" or a /regex/');

const tokenEntry: Reader<HttpTokenConfig> = (value, path, ctx) => {
  const read = object({
    name: str({ pattern: /^[A-Za-z0-9._-]{1,64}$/, what: "a short name like prometheus" }),
    token: secret(),
    sources: list(pattern, { min: 1 }),
  })(value, path, ctx);
  if (read === INVALID) return INVALID;
  return { name: read.name, token: read.token, sources: read.sources };
};

// severity → importance: Mauve's importances are whole numbers; 0 means "the default".
const importanceTable: Reader<Readonly<Record<string, number>>> = (value, path, ctx) => {
  if (!isMapping(value))
    return expected("a mapping of severities to importances like { critical: 80, warning: 40 }", value, path, ctx);
  const out: Record<string, number> = {};
  let ok = true;
  const importance = int(0, 0xffffffff);
  for (const [severity, raw] of Object.entries(value)) {
    const read = importance(raw, keyPath(path, severity), ctx);
    if (read === INVALID) ok = false;
    else out[severity] = read;
  }
  return ok ? Object.freeze(out) : INVALID;
};

/** The same table as the agent's plugin states: critical 80, warning 40. */
export const DEFAULT_SEVERITY_IMPORTANCE = { critical: 80, error: 80, warning: 40, info: 20, none: 10 } as const;

const alertmanagerSection = object({
  source_labels: optional(list(labelName, { min: 1 }), ["instance", "job"]),
  default_source: optional(
    str({ pattern: /^[A-Za-z0-9._-]{1,512}$/, what: 'a source name like "alertmanager"' }),
    "alertmanager",
  ),
  id_labels: optional(list(labelName), []),
  summary_annotations: optional(list(labelName, { min: 1 }), ["summary", "description"]),
  detail_annotations: optional(list(labelName, { min: 1 }), ["description", "runbook_url"]),
  importance: optional(importanceTable, DEFAULT_SEVERITY_IMPORTANCE),
});

/** Reads `http: { listen, max_body_bytes, metrics, tokens, alertmanager }`; absent means no listener (the default). */
export const httpSection: Reader<HttpConfig> = (value, path, ctx) => {
  const read = object({
    listen: optional(listen, `127.0.0.1:${DEFAULT_HTTP_PORT}`),
    max_body_bytes: optional(int(1024, 256 * 1024 * 1024), 16 * 1024 * 1024),
    metrics: optional(bool(), true),
    tokens: optional(list(tokenEntry, { unique: [{ key: "name", of: (t) => t.name }] }), []),
    alertmanager: optional(alertmanagerSection, {}),
    board: maybe(boardSection),
  })(value, path, ctx);
  if (read === INVALID) return INVALID;
  // Two tokens with one value would make the sender ambiguous: refused, without naming the value.
  const seen = new Map<string, string>();
  let ok = true;
  read.tokens.forEach((t, i) => {
    const first = seen.get(t.token.reveal());
    if (first !== undefined) {
      ctx.report(
        keyPath(indexPath(keyPath(path, "tokens"), i), "token"),
        `the same token as ${first}: give each sender its own`,
      );
      ok = false;
    } else seen.set(t.token.reveal(), t.name);
  });
  if (!ok) return INVALID;
  return {
    host: read.listen.host,
    port: read.listen.port,
    maxBodyBytes: read.maxBodyBytes,
    metrics: read.metrics,
    tokens: read.tokens,
    alertmanager: read.alertmanager,
    board: read.board,
  };
};
