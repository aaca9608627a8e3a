import type { AlertRecord } from "../alerts/types.js";
import { charCount, oneLine, truncateChars } from "../codec/text.js";
import { wantsAck, type NotificationMessage } from "./message.js";

/** The default SMS length: one GSM-7 segment. */
export const SMS_DEFAULT_CHARS = 160;

// "…" is outside the GSM-7 alphabet and would halve the segment size, so SMS spells it "...".
const gsm = (text: string): string => oneLine(text).replace(/…/g, "...");

/**
 * The SMS text of a message: `#42 RAISED web1 disk-full: … Say "ack 42" in chat`, one line, at
 * most `maxChars` code points. The ack hint is never cut; the headline is shortened to make room.
 * Nobody can answer an SMS (the gateway only sends), so the hint says where acks are taken.
 * A digest lists its alerts' ids (see {@link digestSms}).
 */
export function smsText(message: NotificationMessage, maxChars: number = SMS_DEFAULT_CHARS): string {
  if (message.kind === "digest" && message.alerts !== undefined && message.alerts.length > 0) return digestSms(message.subject, message.alerts, maxChars);
  const id = message.shortId;
  const hint = id !== undefined && wantsAck(message.kind) ? ` Say "ack ${id}" in chat` : "";
  const headline = gsm(`${id === undefined ? "" : `#${id} `}${message.subject}`);
  return fit(headline, hint, maxChars);
}

function fit(headline: string, hint: string, maxChars: number): string {
  const room = maxChars - charCount(hint);
  if (room < 20) return truncateChars(headline, maxChars);
  const body = charCount(headline) <= room ? headline : truncateChars(headline, room - 3).trimEnd() + "...";
  return body + hint;
}

/**
 * A digest by SMS: `DIGEST 4 alerts, 4 raised: #3 web1 raid; #1 web1 disk; #2 #4. Say "ack <id>" in chat`.
 * Ids matter most (they are what people ack), so every id that fits is listed, most urgent first,
 * and the first few keep their names while the length allows; the ids left out are counted.
 */
function digestSms(subject: string, alerts: readonly AlertRecord[], maxChars: number): string {
  const hint = ` Say "ack <id>" in chat`;
  const head = `${gsm(subject)}:`;
  const named = (a: AlertRecord): string => gsm(`#${a.shortId} ${a.source} ${a.alertId}`);
  const build = (withNames: number, ids: number): string => {
    const listed = alerts.slice(0, ids).map((a, i) => (i < withNames ? `${named(a)};` : `#${a.shortId}`));
    const more = alerts.length > ids ? ` +${alerts.length - ids} more` : "";
    return `${head} ${listed.join(" ").replace(/;$/, "")}${more}.${hint}`;
  };
  const fits = (text: string): boolean => charCount(text) <= maxChars;
  // Grown one at a time, so a digest of thousands costs no more than what one SMS can hold.
  let ids = 0;
  while (ids < alerts.length && fits(build(0, ids + 1))) ids++;
  let withNames = 0;
  while (withNames < ids && fits(build(withNames + 1, ids))) withNames++;
  if (ids > 0) return build(withNames, ids);
  return fit(`${head} +${alerts.length} more.`, hint, maxChars);
}
