// Plain-text hygiene shared by the decoder, the sanitiser and the summary.
import { Buffer } from "node:buffer";

// C0 and C1 controls and DEL; \t (9) and \n (10) are handled by the callers' choice.
// eslint-disable-next-line no-control-regex
const CONTROLS_KEEP_LINES = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;
// Identifiers lose every control, and the line and paragraph separators some clients break lines at.
// eslint-disable-next-line no-control-regex
const CONTROLS_ALL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g;
// Anything that can start a new line somewhere a one-line field is shown (\r, \n, \v, \f, NEL,
// U+2028, U+2029) and the other controls, with the spaces around them.
// eslint-disable-next-line no-control-regex
const LINE_BREAKS = / *[\u0000-\u001F\u007F-\u009F\u2028\u2029]+ */g;
// Bidi embeddings, overrides and isolates can make a chat line read differently from
// what it contains ("Trojan Source"), and the noncharacters are not allowed in XML.
const INVISIBLE_TRICKS = /[\u202A-\u202E\u2066-\u2069\uFFFE\uFFFF]/g;
// A lone surrogate can't be encoded as UTF-8 or carried in XML.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

// Printable ASCII holds nothing the patterns above match, and nearly every field that arrives is
// printable ASCII: it skips the passes, which otherwise ran on every field of every update.
const PRINTABLE_ASCII = /^[\x20-\x7E]*$/;

/** Removes control characters (keeping \n and \t unless `keepLines` is false) and bidi tricks. */
export function stripControls(text: string, keepLines = true): string {
  if (PRINTABLE_ASCII.test(text)) return text;
  return text
    .replace(/\r\n?/g, keepLines ? "\n" : "")
    .replace(keepLines ? CONTROLS_KEEP_LINES : CONTROLS_ALL, "")
    .replace(INVISIBLE_TRICKS, "")
    .replace(LONE_SURROGATE, "\uFFFD");
}

/** Counts Unicode code points, the unit of Mauve's limits (a string's length counts UTF-16 units). */
export function charCount(text: string): number {
  let n = text.length;
  for (let i = 0; i + 1 < text.length; i++) {
    if ((text.charCodeAt(i) & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n--;
      i++;
    }
  }
  return n;
}

/** The first `max` code points of `text`, never splitting a surrogate pair. */
export function truncateChars(text: string, max: number): string {
  if (text.length <= max) return text; // code points never outnumber UTF-16 units
  let units = 0;
  for (let n = 0; n < max && units < text.length; n++) {
    const c = text.charCodeAt(units);
    units += c >= 0xd800 && c <= 0xdbff && (text.charCodeAt(units + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
  }
  return text.slice(0, units);
}

/**
 * Folds every line break and control character (and the spaces around them) into one space, and
 * drops bidi tricks: a one-line field can then never put text at the start of a line of its own.
 */
export function foldLines(text: string): string {
  if (PRINTABLE_ASCII.test(text)) return text;
  return stripControls(text.replace(LINE_BREAKS, " "), false);
}

/** Collapses every run of whitespace (line breaks and controls included) into one space and trims. */
export function oneLine(text: string): string {
  // Printable ASCII's only whitespace is the space: without a run of two or one at either end,
  // there is nothing to fold, collapse or trim (most lines, every audit line among them).
  if (PRINTABLE_ASCII.test(text) && !text.includes("  ") && !text.startsWith(" ") && !text.endsWith(" ")) return text;
  return foldLines(text).replace(/\s+/g, " ").trim();
}

/**
 * Multi-line sender text (a detail) set off as a quote: every line, including any a client would
 * start at U+2028 or a form feed, begins with "> ", so none can pass for one of ours.
 */
export function quoteLines(text: string): string {
  return text
    .split(/\r\n|[\n\r\v\f\u0085\u2028\u2029]/)
    .map((line) => (line === "" ? ">" : `> ${line}`))
    .join("\n");
}

/** `text` cut to at most `max` code points, ending in "…" when something was cut. */
export function ellipsize(text: string, max: number): string {
  if (charCount(text) <= max) return text;
  return truncateChars(text, Math.max(0, max - 1)) + "…";
}

/** The UTF-8 size of `text` in bytes, as it goes on the wire (a lone surrogate becomes U+FFFD, 3 bytes). */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
