import { charCount, oneLine, truncateChars } from "../codec/text.js";
import { wantsAck, type NotificationMessage } from "./message.js";

/** The default SMS length: one GSM-7 segment. */
export const SMS_DEFAULT_CHARS = 160;

/**
 * The SMS text of a message: `#42 RAISED web1 disk-full: … Reply "ack 42"`, one line, at most
 * `maxChars` code points. The ack hint is never cut; the headline is shortened to make room.
 */
export function smsText(message: NotificationMessage, maxChars: number = SMS_DEFAULT_CHARS): string {
  const id = message.shortId;
  const hint = id !== undefined && wantsAck(message.kind) ? ` Reply "ack ${id}"` : "";
  // "…" is outside the GSM-7 alphabet and would halve the segment size, so SMS spells it "...".
  const headline = oneLine(`${id === undefined ? "" : `#${id} `}${message.subject}`).replace(/…/g, "...");
  const room = maxChars - charCount(hint);
  if (room < 20) return truncateChars(headline, maxChars);
  const body = charCount(headline) <= room ? headline : truncateChars(headline, room - 3).trimEnd() + "...";
  return body + hint;
}
