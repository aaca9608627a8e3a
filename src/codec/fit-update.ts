// Alerts packed into AlertUpdates that each stay within Mauve's 64 KiB, whatever their text: the
// agent and the HTTP routes both turn lists of any length into updates here. Sizes are computed
// (an update is its envelope plus the size of each alert), never found by encoding and retrying.
import { boundDetailBytes } from "./html.js";
import { encodeUpdate, encodedAlertBytes } from "./protobuf.js";
import { FIELD_LIMITS, MAX_UPDATE_BYTES, type Alert } from "./types.js";
import { truncateChars } from "./text.js";

/**
 * The most detail, in UTF-8 bytes after escaping, an agent puts in one alert. With every other
 * field at Mauve's limits (id, subject and summary, 4 bytes a character) an alert then takes at
 * most ~23.5 KiB, so it fits in an update from any source, and two or more share one.
 */
export const AGENT_DETAIL_MAX_BYTES = 16_384;

// The largest value a uint64 field takes, for the envelope's worst case.
const MAX_UINT64 = (1n << 64n) - 1n;

/** One update to build: whether it replaces the source's state, and its alerts. */
export interface PlannedUpdate {
  readonly replace: boolean;
  readonly alerts: Alert[];
}

/**
 * How a full state went out: `whole` in one replace update; `trimmed`, the texts first in plain
 * updates, then one replace update with ids and states only (empty text fields do not overwrite
 * at the receiver); `split`, as plain updates only, because even the raised ids do not fit in one
 * update: alerts the receiver holds that are not listed are then not cleared.
 */
export type FullStateShape = "whole" | "trimmed" | "split";

/** The update envelope's largest size for `source`: transmission id, sequence and time at their widest. */
function envelopeBytes(source: string): number {
  return encodeUpdate({
    transmissionId: MAX_UINT64,
    source,
    replace: true,
    alerts: [],
    signature: new Uint8Array(),
    transmissionTimeS: Number.MAX_SAFE_INTEGER,
    sequence: MAX_UINT64,
  }).length;
}

/**
 * `alert` with its text bounded so that it fits in one update of `source`: id, subject and summary
 * to Mauve's limits (the receiver cuts them there anyway), detail to `maxDetailBytes` and to the
 * room the other fields leave.
 */
export function fitAlert(alert: Alert, source: string, maxDetailBytes: number = AGENT_DETAIL_MAX_BYTES): Alert {
  return fit(alert, envelopeBytes(source), maxDetailBytes);
}

function fit(alert: Alert, envelope: number, maxDetailBytes: number): Alert {
  const bounded: Alert = {
    ...alert,
    id: truncateChars(alert.id, FIELD_LIMITS.id),
    subject: truncateChars(alert.subject, FIELD_LIMITS.subject),
    summary: truncateChars(alert.summary, FIELD_LIMITS.summary),
  };
  // The detail's length prefix grows by at most 3 bytes as the detail does; 8 leaves a margin.
  const room = MAX_UPDATE_BYTES - envelope - encodedAlertBytes({ ...bounded, detail: "" }) - 8;
  return { ...bounded, detail: boundDetailBytes(alert.detail, Math.max(0, Math.min(maxDetailBytes, room))) };
}

/**
 * Splits `alerts` (each fitted first) into runs, in order, each of which fits in one update of
 * `source`; an empty list gives no runs.
 */
export function packAlerts(
  source: string,
  alerts: readonly Alert[],
  maxDetailBytes: number = AGENT_DETAIL_MAX_BYTES,
): Alert[][] {
  const envelope = envelopeBytes(source);
  const budget = MAX_UPDATE_BYTES - envelope;
  const runs: Alert[][] = [];
  let run: Alert[] = [];
  let used = 0;
  for (const a of alerts) {
    const fitted = fit(a, envelope, maxDetailBytes);
    const size = encodedAlertBytes(fitted);
    if (run.length > 0 && used + size > budget) {
      runs.push(run);
      run = [];
      used = 0;
    }
    run.push(fitted);
    used += size;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

const hasText = (a: Alert): boolean => a.subject !== "" || a.summary !== "" || a.detail !== "";
const withoutText = (a: Alert): Alert => ({ ...a, subject: "", summary: "", detail: "" });
// Cleared now and not due to raise later (a heartbeat is both): a replace clears it by leaving it out.
const clearedOnly = (a: Alert): boolean => a.raiseTimeS === 0 && a.clearTimeS !== 0;

/**
 * The updates that carry a full state of `source` (replace=true: the receiver clears every alert
 * not listed), so that none passes 64 KiB. A replace cannot be split in two (the second would clear
 * the first's alerts), so one that does not fit loses its texts, which go out just before it in
 * plain updates; cleared alerts are then left out of it too, since the replace clears them anyway.
 */
export function planFullState(
  source: string,
  alerts: readonly Alert[],
): { shape: FullStateShape; updates: PlannedUpdate[] } {
  const envelope = envelopeBytes(source);
  const budget = MAX_UPDATE_BYTES - envelope;
  const fitted = alerts.map((a) => fit(a, envelope, AGENT_DETAIL_MAX_BYTES));
  const fits = (list: readonly Alert[]): boolean => list.reduce((sum, a) => sum + encodedAlertBytes(a), 0) <= budget;
  if (fits(fitted)) return { shape: "whole", updates: [{ replace: true, alerts: fitted }] };
  const texts = packAlerts(source, fitted.filter(hasText)).map((run) => ({ replace: false, alerts: run }));
  for (const ids of [fitted.map(withoutText), fitted.filter((a) => !clearedOnly(a)).map(withoutText)]) {
    if (fits(ids)) return { shape: "trimmed", updates: [...texts, { replace: true, alerts: ids }] };
  }
  return { shape: "split", updates: packAlerts(source, fitted).map((run) => ({ replace: false, alerts: run })) };
}

/**
 * The updates that carry where each of `source`'s alerts stands and little more, for a server that
 * refused a full state with its texts: ids, states and times, with their subjects and summaries
 * when `keepSummaries`, else every text empty. Details are always left out (the receiver keeps the
 * texts it holds where a field is empty). One replace when it fits; else, as a trimmed full state,
 * the summaries in plain updates and then one replace with ids and states; else plain updates.
 */
export function planStatesOnly(source: string, alerts: readonly Alert[], keepSummaries: boolean): PlannedUpdate[] {
  const envelope = envelopeBytes(source);
  const budget = MAX_UPDATE_BYTES - envelope;
  const fits = (list: readonly Alert[]): boolean => list.reduce((sum, a) => sum + encodedAlertBytes(a), 0) <= budget;
  const noDetail = alerts.map((a) => fit(a, envelope, 0));
  if (keepSummaries && fits(noDetail)) return [{ replace: true, alerts: noDetail }];
  const texts = keepSummaries
    ? packAlerts(source, noDetail.filter(hasText), 0).map((run) => ({ replace: false, alerts: run }))
    : [];
  const bare = noDetail.map(withoutText);
  for (const ids of [bare, bare.filter((a) => !clearedOnly(a))])
    if (fits(ids)) return [...texts, { replace: true, alerts: ids }];
  return [...texts, ...packAlerts(source, bare, 0).map((run) => ({ replace: false, alerts: run }))];
}
