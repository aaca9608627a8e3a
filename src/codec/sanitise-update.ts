// Bounds and hygiene for every text field of an update, applied by the decoder to everything
// that arrives, whatever the path (pubsub, legacy UDP), before anything else sees it.
import { CodecError } from "../errors.js";
import { decodeEntities, sanitiseDetail, toPlainText } from "./html.js";
import { FIELD_LIMITS, MAX_TIME_S, type LimitedField, type Alert, type AlertUpdate } from "./types.js";
import { sourceNameProblem } from "./source-name.js";
import { charCount, foldLines, stripControls, truncateChars } from "./text.js";

/** A sanitised update with log-safe notes on what was changed (never the content itself). */
export interface SanitisedUpdate {
  readonly update: AlertUpdate;
  readonly notes: readonly string[];
  /**
   * Why each alert left out of `update` was refused ("alert[2] has an empty id"): one that no
   * receiver could key, refused alone. Empty when every alert was kept.
   */
  readonly refused: readonly string[];
}

// Like Mauve's remove_html, only text with something tag-like in it is read as HTML, so that
// "load < 5" or "a<5" stay as they are.
const LOOKS_LIKE_HTML = /<[a-zA-Z/!?]/;

/**
 * Subject and summary are one line of plain text (only detail is HTML): tags are removed as Mauve
 * does, entities decoded, and line breaks and controls folded into a space, so that no renderer
 * (chat, mail headers, SMS) can be made to start a line with the sender's text.
 */
function plainTextLine(value: string): string {
  const folded = foldLines(value);
  const text = LOOKS_LIKE_HTML.test(folded) ? toPlainText(folded) : decodeEntities(folded);
  return foldLines(text).trim();
}

// Identifiers are keys and node names: no control characters at all, not even \n or \t.
function clean(value: string, field: LimitedField, label: string, notes: string[], identifier: boolean): string {
  const stripped = identifier ? stripControls(value, false) : plainTextLine(value);
  if (identifier && stripped !== value) notes.push(`${label}: control characters removed`);
  const limit = FIELD_LIMITS[field];
  if (stripped.length <= limit) return stripped; // UTF-16 units bound the code points
  const chars = charCount(stripped);
  if (chars <= limit) return stripped;
  notes.push(`${label}: truncated from ${chars} to ${limit} characters`);
  return truncateChars(stripped, limit);
}

// A time past MAX_TIME_S reads as MAX_TIME_S: every date past it means "never" all the same, and
// the year 275760 is where the milliseconds of a Date end: such a time threw wherever it was shown.
function boundTime(seconds: number, label: string, notes: string[]): number {
  if (seconds <= MAX_TIME_S) return seconds;
  notes.push(`${label}: after 9999-12-31, read as then`);
  return MAX_TIME_S;
}

/** Cleans and bounds one alert's text fields and times; `label` (e.g. "alert[2]") prefixes the notes. */
function sanitiseAlert(alert: Alert, label: string, notes: string[]): Alert {
  const id = clean(alert.id, "id", `${label}.id`, notes, true);
  if (id.trim() === "") throw new CodecError(`${label} has an empty id`);
  const detail = sanitiseDetail(alert.detail, FIELD_LIMITS.detail);
  if (detail.truncated) notes.push(`${label}.detail: truncated to ${FIELD_LIMITS.detail} characters`);
  return {
    ...alert,
    id,
    raiseTimeS: boundTime(alert.raiseTimeS, `${label}.raise_time`, notes),
    clearTimeS: boundTime(alert.clearTimeS, `${label}.clear_time`, notes),
    suppressUntilS: boundTime(alert.suppressUntilS, `${label}.suppress_until`, notes),
    subject: clean(alert.subject, "subject", `${label}.subject`, notes, false),
    summary: clean(alert.summary, "summary", `${label}.summary`, notes, false),
    detail: detail.html,
  };
}

/**
 * Applies Mauve's limits and our hygiene to an update: control characters stripped from ids,
 * subject and summary reduced to one line of text, long text truncated and times past the year
 * 9999 brought back to its end (noted, not rejected),
 * detail HTML sanitised; a source that would need any cleaning is refused. Throws CodecError for an
 * empty source, which no receiver could key. An alert no receiver could key (an empty id, or one
 * `unreadable` names: an id missing or not UTF-8, by its index) is left out and its reason listed
 * in `refused`: it used to refuse the whole update, and a datagram or an item has no answer its
 * sender could act on, so every other alert of it was lost. Such an alert was never stored, so
 * a `replace` without it clears nothing it named. Throws CodecError when every alert is refused.
 */
export function sanitiseUpdate(
  update: AlertUpdate,
  unreadable: ReadonlyMap<number, string> = new Map(),
): SanitisedUpdate {
  const notes: string[] = [];
  const source = clean(update.source, "source", "source", notes, true);
  if (source.trim() === "") throw new CodecError("update has an empty source");
  // A source is an identity: cleaned, "web1\t" would pass for "web1", so one that needs it is refused.
  // Other breaches of the source rule (spaces, look-alikes) are refused where updates are ingested.
  if (source !== update.source)
    throw new CodecError(sourceNameProblem(update.source) ?? "source refused: it would need cleaning");
  const alerts: Alert[] = [];
  const refused: string[] = [];
  update.alerts.forEach((alert, i) => {
    const problem = unreadable.get(i);
    if (problem !== undefined) return void refused.push(problem);
    try {
      alerts.push(sanitiseAlert(alert, `alert[${i}]`, notes));
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      refused.push(err.message);
    }
  });
  if (refused.length > 0 && alerts.length === 0) throw new CodecError(refused[0]!);
  const transmissionTimeS = boundTime(update.transmissionTimeS, "transmission_time", notes);
  return { update: { ...update, source, alerts, transmissionTimeS }, notes, refused };
}
