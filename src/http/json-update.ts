// The generic JSON ingest's body: one AlertUpdate with Mauve's field names (docs/integrations.md).
import { blankAlert, type Alert } from "../codec/types.js";
import { isObject, type Checked } from "./json-checks.js";

/** One update as posted, before the codec's bounds and sanitising. */
export interface JsonUpdate {
  readonly source: string;
  readonly replace: boolean;
  readonly alerts: Alert[];
  /** Given by the sender to make retries apply once; else the listener picks one. */
  readonly transmissionId: bigint | null;
}

const UPDATE_KEYS = new Set(["source", "replace", "alerts", "transmission_id"]);
const ALERT_KEYS = new Set([
  "id",
  "raise_time",
  "clear_time",
  "subject",
  "summary",
  "detail",
  "importance",
  "suppress_until",
]);
const TEXT_FIELDS = ["subject", "summary", "detail"] as const;
const TIME_FIELDS = [
  ["raise_time", "raiseTimeS"],
  ["clear_time", "clearTimeS"],
  ["suppress_until", "suppressUntilS"],
] as const;

function unknownKey(value: Record<string, unknown>, known: ReadonlySet<string>, at: string): string | undefined {
  const extra = Object.keys(value).find((k) => !known.has(k));
  return extra === undefined ? undefined : `${at}${extra}: unknown field (expected one of: ${[...known].join(", ")})`;
}

// UNIX seconds, or "now" (the receiver's clock) so that a shell script needs no `date +%s`.
function time(value: unknown, at: string, nowSec: number): Checked<number> {
  if (value === undefined || value === 0) return { ok: true, value: 0 };
  if (value === "now") return { ok: true, value: nowSec };
  if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return { ok: true, value };
  return { ok: false, problem: `${at}: expected UNIX seconds or "now", got ${JSON.stringify(value)}` };
}

function readAlert(raw: unknown, at: string, nowSec: number): Checked<Alert> {
  if (!isObject(raw)) return { ok: false, problem: `${at}: expected an object` };
  const extra = unknownKey(raw, ALERT_KEYS, `${at}.`);
  if (extra !== undefined) return { ok: false, problem: extra };
  if (typeof raw["id"] !== "string" || raw["id"] === "")
    return { ok: false, problem: `${at}.id: expected a non-empty string` };
  const alert: Alert = blankAlert(raw["id"]);
  for (const field of TEXT_FIELDS) {
    const v = raw[field];
    if (v === undefined) continue;
    if (typeof v !== "string") return { ok: false, problem: `${at}.${field}: expected a string` };
    alert[field] = v;
  }
  for (const [key, field] of TIME_FIELDS) {
    const t = time(raw[key], `${at}.${key}`, nowSec);
    if (!t.ok) return t;
    alert[field] = t.value;
  }
  const importance = raw["importance"];
  if (importance !== undefined) {
    if (typeof importance !== "number" || !Number.isInteger(importance) || importance < 0 || importance > 0xffffffff) {
      return { ok: false, problem: `${at}.importance: expected a whole number from 0 to 4294967295` };
    }
    alert.importance = importance;
  }
  return { ok: true, value: alert };
}

/**
 * Reads `{ "source": "backup1", "alerts": [{ "id": "nightly", "summary": "…" }] }`: Mauve's fields
 * in snake_case, unknown fields refused (a typo must not be dropped silently). An alert with
 * neither time set is raised now, as in Mauve.
 */
export function readJsonUpdate(body: unknown, nowSec: number): Checked<JsonUpdate> {
  if (!isObject(body))
    return { ok: false, problem: 'expected a JSON object like {"source": "backup1", "alerts": [...]}' };
  const extra = unknownKey(body, UPDATE_KEYS, "");
  if (extra !== undefined) return { ok: false, problem: extra };
  if (typeof body["source"] !== "string" || body["source"] === "")
    return { ok: false, problem: "source: expected a non-empty string" };
  const replace = body["replace"] ?? false;
  if (typeof replace !== "boolean") return { ok: false, problem: "replace: expected true or false" };
  const rawAlerts = body["alerts"] ?? [];
  if (!Array.isArray(rawAlerts)) return { ok: false, problem: "alerts: expected a list" };
  if (rawAlerts.length === 0 && !replace)
    return { ok: false, problem: 'alerts: expected at least one alert (or "replace": true to clear the source)' };
  const alerts: Alert[] = [];
  for (const [i, raw] of rawAlerts.entries()) {
    const alert = readAlert(raw, `alerts[${i}]`, nowSec);
    if (!alert.ok) return alert;
    alerts.push(alert.value);
  }
  const id = body["transmission_id"];
  if (id !== undefined && (typeof id !== "string" || !/^[1-9][0-9]{0,19}$/.test(id) || BigInt(id) >= 1n << 64n)) {
    return {
      ok: false,
      problem:
        "transmission_id: expected a decimal string of a 64-bit number (as a string: JSON numbers lose digits past 2^53)",
    };
  }
  return {
    ok: true,
    value: { source: body["source"], replace, alerts, transmissionId: id === undefined ? null : BigInt(id) },
  };
}
