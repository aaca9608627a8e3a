// Prometheus Alertmanager's webhook (payload version 4) as Mauve alerts. The payload is documented
// at https://prometheus.io/docs/alerting/latest/configuration/#webhook_config; the mapping is ours
// and configurable (docs/integrations.md).
import { createHash } from "node:crypto";
import type { Alert } from "../codec/types.js";
import { FIELD_LIMITS } from "../codec/types.js";
import { stripControls } from "../codec/text.js";
import type { AlertmanagerMapping } from "./http-config.js";
import { escapeHtml, isObject, stringMap, type Checked } from "./json-checks.js";

/** One webhook alert, as far as the mapping reads it. */
export interface WebhookAlert {
  readonly status: "firing" | "resolved";
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly generatorURL: string;
}

/** How many alerts Alertmanager left out of a webhook (its `max_alerts`): they never reach Mauve. */
export function truncatedAlerts(body: unknown): number {
  const n = isObject(body) ? body["truncatedAlerts"] : 0;
  return typeof n === "number" && Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** A webhook's alerts that the mapping can read, and those it cannot, each with its problem. */
export interface ReadWebhook {
  readonly alerts: WebhookAlert[];
  /** `alerts[3].status: expected "firing" or "resolved", got "pending"`, one per alert left out. */
  readonly refused: string[];
}

/**
 * A webhook payload checked for the fields the mapping reads (others are ignored, as Alertmanager
 * adds fields over time). Only a payload that is not a version-4 webhook is refused whole: an alert
 * the mapping cannot read is left out alone, with its problem, and the others are kept. One such
 * alert used to refuse the webhook with a 400, which Alertmanager never sends again: every other
 * alert of its group was lost, on every repeat.
 */
export function readWebhook(body: unknown): Checked<ReadWebhook> {
  if (!isObject(body)) return { ok: false, problem: "expected a JSON object (Alertmanager's webhook payload)" };
  if (body["version"] !== "4")
    return {
      ok: false,
      problem: `expected "version": "4" (Alertmanager's webhook payload), got ${JSON.stringify(body["version"]) ?? "nothing"}`,
    };
  const raw = body["alerts"];
  if (!Array.isArray(raw)) return { ok: false, problem: 'expected "alerts" to be a list' };
  const alerts: WebhookAlert[] = [];
  const refused: string[] = [];
  for (const [i, a] of raw.entries()) {
    const read = readAlert(a, `alerts[${i}]`);
    if (read.ok) alerts.push(read.value);
    else refused.push(read.problem);
  }
  return { ok: true, value: { alerts, refused } };
}

function readAlert(a: unknown, at: string): Checked<WebhookAlert> {
  if (!isObject(a)) return { ok: false, problem: `${at}: expected an object` };
  const status = a["status"];
  if (status !== "firing" && status !== "resolved")
    return {
      ok: false,
      problem: `${at}.status: expected "firing" or "resolved", got ${JSON.stringify(status) ?? "nothing"}`,
    };
  const labels = stringMap(a["labels"], `${at}.labels`);
  if (!labels.ok) return labels;
  // No alertname is no reason to lose an alert (Alertmanager's API does not require one): its
  // other labels name it (alertIdOf); one with no label at all is refused when it is keyed.
  const annotations =
    a["annotations"] === undefined
      ? { ok: true as const, value: {} }
      : stringMap(a["annotations"], `${at}.annotations`);
  if (!annotations.ok) return annotations;
  const generatorURL = typeof a["generatorURL"] === "string" ? a["generatorURL"] : "";
  return { ok: true, value: { status, labels: labels.value, annotations: annotations.value, generatorURL } };
}

const NOT_IN_SOURCE = /[^A-Za-z0-9._-]/g;

/**
 * The source an alert belongs to: the first of the mapping's labels it has, with a port dropped
 * (`web1:9100` → `web1`, as `instance` usually carries one) and every character the source rule
 * does not allow replaced by "_", so that any label value names a valid source.
 */
export function sourceOf(
  labels: Readonly<Record<string, string>>,
  mapping: AlertmanagerMapping,
): { source: string; label: string | null } {
  for (const label of mapping.sourceLabels) {
    const source = sourceOfValue(labels[label]);
    if (source !== "") return { source, label };
  }
  return { source: mapping.defaultSource, label: null };
}

/** The source one label value names ("" for none): a port dropped, other characters made "_". */
function sourceOfValue(value: string | undefined): string {
  if (value === undefined || value === "") return "";
  const host = /^\[(.*)\]:\d+$/.exec(value)?.[1] ?? /^([^:]*):\d+$/.exec(value)?.[1] ?? value;
  return Array.from(host.replace(NOT_IN_SOURCE, "_")).slice(0, FIELD_LIMITS.source).join("");
}

// Longer ids would be cut at Mauve's 256 characters, and two long ones could become one.
const MAX_READABLE_ID = 200;

// A label value is written bare unless it holds one of these (or a character the sanitiser would
// strip from an id, see quoted): bare, `a="1,b=2"` and `a=1,b=2` were one id, and so one alert.
const NEEDS_QUOTES = /[,={}"\\]/;

/**
 * `text` in double quotes, with `"` and `\` escaped, and every character the sanitiser strips from an
 * id (controls, line separators, bidi overrides, lone surrogates) written as `\u{…}`: stripped,
 * `a\u0007` and `a` were one id.
 */
function quoted(text: string): string {
  let out = "";
  for (const ch of text) {
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (stripControls(ch, false) !== ch) out += `\\u{${ch.codePointAt(0)!.toString(16)}}`;
    else out += ch;
  }
  return `"${out}"`;
}

// Prometheus's label names; anything else a webhook's JSON may carry as a key is written quoted.
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function needsQuotes(text: string, special: RegExp): boolean {
  return special.test(text) || stripControls(text, false) !== text;
}

/**
 * The alert id: `alertname`, then the chosen labels as `{name=value,...}` (all other labels but
 * `sourceLabel`, the one the source is its value, sorted by name, when `id_labels` is empty). The
 * same labels give the same id on every repeat, and different labels different ids: a value (or an
 * alertname) that could be read more than one way is written quoted (`{query="a=1,b=2"}`). An id
 * too long to keep whole ends in a digest of the alertname and the labels instead.
 */
export function alertIdOf(
  labels: Readonly<Record<string, string>>,
  mapping: AlertmanagerMapping,
  sourceLabel: string | null,
): string {
  const name = labels["alertname"] ?? "";
  const chosen =
    mapping.idLabels.length > 0
      ? mapping.idLabels
      : Object.keys(labels)
          .filter((l) => l !== "alertname" && l !== sourceLabel)
          .sort();
  const parts = chosen
    .filter((l) => labels[l] !== undefined && labels[l] !== "")
    .map((l) => {
      const value = labels[l]!;
      const key = LABEL_NAME.test(l) ? l : quoted(l);
      return `${key}=${needsQuotes(value, NEEDS_QUOTES) ? quoted(value) : value}`;
    });
  // The name is read up to the first "{": one holding "{" (or starting with a quote) is quoted.
  const shownName = needsQuotes(name, /^"|{/) ? quoted(name) : name;
  const id = parts.length === 0 ? shownName : `${shownName}{${parts.join(",")}}`;
  if (Array.from(id).length <= MAX_READABLE_ID) return id;
  const digest = createHash("sha256")
    .update(JSON.stringify([name, ...parts]))
    .digest("hex")
    .slice(0, 16);
  return `${Array.from(shownName)
    .slice(0, MAX_READABLE_ID - 20)
    .join("")}{#${digest}}`;
}

function first(annotations: Readonly<Record<string, string>>, names: readonly string[]): string {
  for (const n of names) if (annotations[n]) return annotations[n];
  return "";
}

// The detail is HTML (sanitised again downstream like every update's): annotations, then labels.
function detailOf(alert: WebhookAlert, mapping: AlertmanagerMapping): string {
  const notes = mapping.detailAnnotations
    .filter((n) => alert.annotations[n])
    .map((n) => `<p><b>${escapeHtml(n)}</b>: ${escapeHtml(alert.annotations[n] ?? "")}</p>`);
  const labels = Object.keys(alert.labels)
    .sort()
    .map((l) => `<li>${escapeHtml(l)}=${escapeHtml(alert.labels[l] ?? "")}</li>`);
  const link = /^https?:\/\//.test(alert.generatorURL)
    ? `<p><a href="${escapeHtml(alert.generatorURL)}">source</a></p>`
    : "";
  return `${notes.join("")}<ul>${labels.join("")}</ul>${link}`;
}

/** One webhook alert as a Mauve alert of `source` at `nowSec`: firing raises now, resolved clears now. */
export function toMauveAlert(
  alert: WebhookAlert,
  mapping: AlertmanagerMapping,
  sourceLabel: string | null,
  nowSec: number,
): Alert {
  const severity = alert.labels["severity"];
  return {
    id: alertIdOf(alert.labels, mapping, sourceLabel),
    raiseTimeS: alert.status === "firing" ? nowSec : 0,
    clearTimeS: alert.status === "resolved" ? nowSec : 0,
    subject: "",
    summary: first(alert.annotations, mapping.summaryAnnotations) || (alert.labels["alertname"] ?? ""),
    detail: detailOf(alert, mapping),
    // Own keys only: a severity of "constructor" read Object's constructor as the importance.
    importance:
      severity !== undefined && Object.hasOwn(mapping.importance, severity) ? (mapping.importance[severity] ?? 0) : 0,
    suppressUntilS: 0,
  };
}

/** The alerts of a webhook grouped by source, in the order they came. */
export function alertsBySource(
  alerts: readonly WebhookAlert[],
  mapping: AlertmanagerMapping,
  nowSec: number,
): Map<string, Alert[]> {
  const out = new Map<string, Alert[]>();
  for (const a of alerts) {
    const { source, label } = sourceOf(a.labels, mapping);
    const list = out.get(source) ?? [];
    // A source label the source does not carry whole (a port dropped, characters replaced) stays
    // in the id: db1:9121 and db1:9122 firing the same alert were one alert of db1, the second
    // never told, and the first told CLEARED when the second resolved.
    // Only the first of the source labels is left out, and only when no later one names the same
    // source: `Down` with `instance=web1` and `Down` with `job=web1` (no instance) were one alert.
    const [firstLabel, ...later] = mapping.sourceLabels;
    const carried =
      label !== null &&
      label === firstLabel &&
      a.labels[label] === source &&
      !later.some((l) => sourceOfValue(a.labels[l]) === source)
        ? label
        : null;
    list.push(toMauveAlert(a, mapping, carried, nowSec));
    out.set(source, list);
  }
  return out;
}
